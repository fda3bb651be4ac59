"""What analytics knows about one customer, and the version rules that keep it right.

Events arrive out of order and more than once. Each kind of fact carries the customer version
that last set it, and only a newer version replaces it:
- the snapshot (Registered, Updated, the survivor of Merged): the demographic fields;
- the blacklist flag (Blacklisted, Unblacklisted, and the flag inside a snapshot);
- the merge pointer (Merged, for the merged-away record, and the pointer inside a snapshot);
- each consent channel (ConsentChanged, and the consents inside a snapshot).
Kept apart because blacklist and merge events carry no snapshot: a Blacklisted v3 that arrives
before Registered v1 must neither hide that snapshot nor be undone by it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

UNKNOWN = "unknown"  # the segment key of a field the customer record leaves empty


@dataclass(frozen=True)
class CustomerSnapshot:
    """The customer record as a Registered, Updated or Merged event carries it."""

    customer_id: str
    region: str | None
    city: str | None
    gender: str  # female, male, other or unknown
    birth_date: date | None
    acquisition_source: str  # web, phone, sales_rep, ..., or unknown
    blacklisted: bool
    merged_into: str | None
    registered_at: datetime
    tags: frozenset[str] = frozenset()
    granted_consents: frozenset[str] = frozenset()  # channels: email, sms, phone, post


@dataclass(frozen=True)
class Consent:
    granted: bool
    version: int  # the customer version that set it


@dataclass
class CustomerFacts:
    customer_id: str
    region: str | None = None
    city: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    acquisition_source: str | None = None
    registered_at: datetime | None = None  # None until a snapshot arrives
    blacklisted: bool = False
    merged_into: str | None = None
    snapshot_version: int = 0
    blacklist_version: int = 0
    merge_version: int = 0
    last_event_at: datetime | None = None  # time of the newest event applied to this customer
    tags: frozenset[str] = frozenset()  # taken with the snapshot's fields
    consents: dict[str, Consent] = field(default_factory=dict)  # by channel

    @property
    def granted_consents(self) -> frozenset[str]:
        return frozenset(channel for channel, consent in self.consents.items() if consent.granted)

    @property
    def registered(self) -> bool:
        return self.snapshot_version > 0

    @property
    def counted(self) -> bool:
        """Counted in the segments: registered and not merged into another customer."""
        return self.registered and self.merged_into is None

    def apply_snapshot(self, snapshot: CustomerSnapshot, version: int, at: datetime) -> bool:
        """Take a newer snapshot's fields, blacklist flag and merge pointer; False if all stale."""
        applied = self._take_fields(snapshot, version)
        applied |= self._flag_blacklisted(snapshot.blacklisted, version)
        applied |= self._point_to(snapshot.merged_into, version)
        for channel in snapshot.granted_consents | self.consents.keys():
            applied |= self._consent(channel, channel in snapshot.granted_consents, version)
        return self._touched(at, applied)

    def set_consent(self, channel: str, granted: bool, version: int, at: datetime) -> bool:
        return self._touched(at, self._consent(channel, granted, version))

    def set_blacklisted(self, blacklisted: bool, version: int, at: datetime) -> bool:
        return self._touched(at, self._flag_blacklisted(blacklisted, version))

    def mark_merged(self, survivor_id: str, version: int, at: datetime) -> bool:
        """Merged into `survivor_id`, even if this customer's registration is still on the way."""
        return self._touched(at, self._point_to(survivor_id, version))

    def _take_fields(self, snapshot: CustomerSnapshot, version: int) -> bool:
        if version <= self.snapshot_version:
            return False
        self.region = snapshot.region
        self.city = snapshot.city
        self.gender = snapshot.gender
        self.birth_date = snapshot.birth_date
        self.acquisition_source = snapshot.acquisition_source
        self.registered_at = snapshot.registered_at
        self.tags = snapshot.tags
        self.snapshot_version = version
        return True

    def _flag_blacklisted(self, blacklisted: bool, version: int) -> bool:
        if version <= self.blacklist_version:
            return False
        self.blacklisted = blacklisted
        self.blacklist_version = version
        return True

    def _point_to(self, merged_into: str | None, version: int) -> bool:
        if version <= self.merge_version:
            return False
        self.merged_into = merged_into
        self.merge_version = version
        return True

    def _consent(self, channel: str, granted: bool, version: int) -> bool:
        current = self.consents.get(channel)
        if current is not None and version <= current.version:
            return False
        self.consents[channel] = Consent(granted, version)
        return True

    def _touched(self, at: datetime, applied: bool) -> bool:
        if applied and (self.last_event_at is None or at > self.last_event_at):
            self.last_event_at = at
        return applied
