"""Marketing's copy of each customer's contact details and consent, kept from the customer
service's events: whom a campaign may reach, and how. Pure Python.

Events may arrive out of order (redelivery, several relays), and each carries the customer's
version. Each piece of the copy (the profile, the blacklisting, each channel's consent) keeps
the version it was last set at, and an event changes only the pieces it is newer for: a late
snapshot cannot undo a newer consent change, and a consent change arriving before the
customer's first snapshot is kept when that snapshot comes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from uuid import UUID


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    POST = "post"


@dataclass(frozen=True)
class Profile:
    name: str = ""
    email: str = ""
    phone: str = ""
    region: str = ""
    city: str = ""


@dataclass(frozen=True)
class Versioned:
    """A value and the customer version it was set at (0: never set)."""

    value: bool = False
    version: int = 0


@dataclass
class Contact:
    customer_id: UUID
    profile: Profile = field(default_factory=Profile)
    profile_version: int = 0
    blacklisted: Versioned = field(default_factory=Versioned)
    consents: dict[Channel, Versioned] = field(default_factory=dict)
    merged_into_id: UUID | None = None

    @property
    def version(self) -> int:
        """The newest customer version the copy has seen."""
        return max(
            [self.profile_version, self.blacklisted.version]
            + [consent.version for consent in self.consents.values()]
        )

    def consents_to(self, channel: Channel) -> bool:
        return self.consents.get(channel, Versioned()).value

    def reachable_by(self, channel: Channel) -> bool:
        """May be sent something on `channel`: consented, not blacklisted, not merged away,
        and with an address for it."""
        address = {
            Channel.EMAIL: self.profile.email,
            Channel.SMS: self.profile.phone,
            Channel.PHONE: self.profile.phone,
            Channel.POST: self.profile.city,
        }[channel]
        return (
            self.consents_to(channel)
            and not self.blacklisted.value
            and self.merged_into_id is None
            and bool(address)
        )

    def apply_snapshot(
        self,
        profile: Profile,
        blacklisted: bool,
        consents: dict[Channel, bool],
        merged_into_id: UUID | None,
        version: int,
    ) -> bool:
        """A whole record as the customer service sent it at `version`; whether it changed
        anything."""
        changed = False
        if version > self.profile_version:
            self.profile, self.profile_version = profile, version
            if merged_into_id is not None:
                self.merged_into_id = merged_into_id
            changed = True
        changed = self.set_blacklisted(blacklisted, version) or changed
        for channel, granted in consents.items():
            changed = self.set_consent(channel, granted, version) or changed
        return changed

    def set_blacklisted(self, blacklisted: bool, version: int) -> bool:
        if version <= self.blacklisted.version:
            return False
        self.blacklisted = Versioned(blacklisted, version)
        return True

    def set_consent(self, channel: Channel, granted: bool, version: int) -> bool:
        if version <= self.consents.get(channel, Versioned()).version:
            return False
        self.consents = {**self.consents, channel: Versioned(granted, version)}
        return True

    def unsubscribe(self, channel: Channel) -> bool:
        """The person unsubscribed here: no more on `channel` from now on. The version stays
        the customer's, so their service's own change (newer) is applied when it comes."""
        current = self.consents.get(channel, Versioned())
        if not current.value:
            return False
        self.consents = {**self.consents, channel: Versioned(False, current.version)}
        return True

    def merge_into(self, survivor_id: UUID, version: int) -> bool:
        """This customer was merged into `survivor_id` (at this record's `version`): nothing
        is sent to it any more; the survivor's own copy carries on."""
        if self.merged_into_id == survivor_id:
            return False
        self.merged_into_id = survivor_id
        self.profile_version = max(self.profile_version, version)
        return True

    def copy(self) -> Contact:
        return replace(self, consents=dict(self.consents))
