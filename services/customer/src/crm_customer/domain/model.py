"""The customer aggregate: a person or an organization, its consents, blacklist and merges.

Pure Python. Times are timezone-aware UTC and are passed in by the caller (`now`), so the
rules are deterministic under test.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from crm_platform.errors import FailedPrecondition, FieldViolation, ValidationFailed

from crm_customer.domain import events as domain_events
from crm_customer.domain.contact import normalize_email, normalize_phone
from crm_customer.domain.values import (
    Actor,
    Consent,
    ConsentChannel,
    CustomerState,
    Interaction,
    InteractionChannel,
    PartyKind,
    Profile,
)

NAME_MAX_LENGTH = 200
PLACE_MAX_LENGTH = 100
TAG_MAX_LENGTH = 50
MAX_TAGS = 50
PREFERENCE_KEY_MAX_LENGTH = 100
PREFERENCE_VALUE_MAX_LENGTH = 1000
MAX_PREFERENCES = 50
REASON_MAX_LENGTH = 500
SUMMARY_MAX_LENGTH = 4000
# Touchpoints are reported by other systems whose clocks may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)


PROFILE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Profile))
# Only people have these; they are neither accepted for nor merged into an organization.
PERSON_ONLY_FIELDS = ("birth_date", "gender")
_FIELD_PREFIX = "customer."


def normalize_profile(
    profile: Profile, names: Collection[str], *, today: date, phone_region: str
) -> Profile:
    """Normalize the fields in `names` and check the rules that span fields.

    Only the named fields are normalized, so a stored value that predates a stricter rule does
    not block changes to other fields. All violations are reported together.
    """
    normalizers: dict[str, Callable[[Any], object]] = {
        "name": lambda v: _required_text(v, _FIELD_PREFIX + "name", NAME_MAX_LENGTH),
        "email": lambda v: normalize_email(v, field=_FIELD_PREFIX + "email") if _given(v) else None,
        "phone": lambda v: (
            normalize_phone(v, default_region=phone_region, field=_FIELD_PREFIX + "phone")
            if _given(v)
            else None
        ),
        "region": lambda v: _optional_text(v, _FIELD_PREFIX + "region", PLACE_MAX_LENGTH),
        "city": lambda v: _optional_text(v, _FIELD_PREFIX + "city", PLACE_MAX_LENGTH),
        "birth_date": lambda v: _birth_date(v, today),
        "tags": _normalize_tags,
        "preferences": _preferences,
    }
    violations: list[FieldViolation] = []
    values: dict[str, object] = {}
    for name in names:
        normalize = normalizers.get(name)
        if normalize is None:
            continue  # enums and ids arrive already checked
        try:
            values[name] = normalize(getattr(profile, name))
        except ValidationFailed as exc:
            violations.extend(exc.violations)
    result = replace(profile, **values)  # type: ignore[arg-type]
    if not violations:
        violations.extend(_cross_field_violations(result))
    if violations:
        raise ValidationFailed(violations)
    return result


def _normalize_tags(raw: Collection[str]) -> tuple[str, ...]:
    tags = {tag.strip().lower() for tag in raw}
    if "" in tags:
        raise ValidationFailed(FieldViolation(_FIELD_PREFIX + "tags", "must not be blank"))
    if any(len(tag) > TAG_MAX_LENGTH for tag in tags):
        raise ValidationFailed(
            FieldViolation(_FIELD_PREFIX + "tags", f"must be at most {TAG_MAX_LENGTH} characters")
        )
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(
            FieldViolation(_FIELD_PREFIX + "tags", f"at most {MAX_TAGS} tags are allowed")
        )
    return tuple(sorted(tags))


def _given(value: str | None) -> bool:
    return bool(value and value.strip())


def _required_text(value: str, field_path: str, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed(FieldViolation(field_path, "is required"))
    if len(text) > max_length:
        raise ValidationFailed(
            FieldViolation(field_path, f"must be at most {max_length} characters")
        )
    return text


def _optional_text(value: str | None, field_path: str, max_length: int) -> str | None:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationFailed(
            FieldViolation(field_path, f"must be at most {max_length} characters")
        )
    return text or None


def _birth_date(value: date | None, today: date) -> date | None:
    if value is not None and value > today:
        raise ValidationFailed(
            FieldViolation(_FIELD_PREFIX + "birth_date", "must not be in the future")
        )
    return value


def _preferences(raw: Mapping[str, str]) -> dict[str, str]:
    path = _FIELD_PREFIX + "preferences"
    preferences = {key.strip(): value.strip() for key, value in raw.items()}
    if "" in preferences:
        raise ValidationFailed(FieldViolation(path, "keys must not be blank"))
    if len(preferences) > MAX_PREFERENCES:
        raise ValidationFailed(FieldViolation(path, f"at most {MAX_PREFERENCES} are allowed"))
    if any(len(key) > PREFERENCE_KEY_MAX_LENGTH for key in preferences):
        raise ValidationFailed(
            FieldViolation(path, f"keys must be at most {PREFERENCE_KEY_MAX_LENGTH} characters")
        )
    if any(len(value) > PREFERENCE_VALUE_MAX_LENGTH for value in preferences.values()):
        raise ValidationFailed(
            FieldViolation(path, f"values must be at most {PREFERENCE_VALUE_MAX_LENGTH} characters")
        )
    return preferences


def _cross_field_violations(profile: Profile) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    if profile.email is None and profile.phone is None:
        violations.append(
            FieldViolation(_FIELD_PREFIX + "email", "an email or a phone is required")
        )
    if profile.kind is PartyKind.ORGANIZATION:
        violations.extend(
            FieldViolation(_FIELD_PREFIX + name, "only a person has this field")
            for name in PERSON_ONLY_FIELDS
            if getattr(profile, name) is not None
        )
    return violations


@dataclass
class Customer:
    id: UUID
    profile: Profile
    created_at: datetime
    updated_at: datetime
    version: int = 1
    blacklisted: bool = False
    blacklist_reason: str | None = None
    merged_into_id: UUID | None = None
    consents: dict[ConsentChannel, Consent] = field(default_factory=dict)
    events: list[domain_events.DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def register(
        cls, profile: Profile, *, customer_id: UUID, now: datetime, phone_region: str
    ) -> Customer:
        customer = cls(
            id=customer_id,
            profile=normalize_profile(
                profile, PROFILE_FIELDS, today=now.date(), phone_region=phone_region
            ),
            created_at=now,
            updated_at=now,
        )
        customer.events.append(domain_events.CustomerRegistered(customer.state()))
        return customer

    def pull_events(self) -> list[domain_events.DomainEvent]:
        """The events recorded since the last pull, each handed out once."""
        pulled, self.events = self.events, []
        return pulled

    def state(self) -> CustomerState:
        """The record as it stands, for an event: later changes do not show through."""
        return CustomerState(
            id=self.id,
            profile=self.profile,
            created_at=self.created_at,
            updated_at=self.updated_at,
            version=self.version,
            blacklisted=self.blacklisted,
            blacklist_reason=self.blacklist_reason,
            merged_into_id=self.merged_into_id,
            consents=dict(self.consents),
        )

    def update(
        self, changes: Profile, names: Collection[str], *, now: datetime, phone_region: str
    ) -> tuple[str, ...]:
        """Apply the fields in `names` from `changes`; returns the fields that really changed."""
        self.ensure_live()
        candidate = replace(self.profile, **{name: getattr(changes, name) for name in names})
        candidate = normalize_profile(candidate, names, today=now.date(), phone_region=phone_region)
        changed = tuple(
            name
            for name in PROFILE_FIELDS
            if getattr(candidate, name) != getattr(self.profile, name)
        )
        if changed:
            self.profile = candidate
            self._touch(now)
            self.events.append(domain_events.CustomerUpdated(self.state(), changed))
        return changed

    def blacklist(self, reason: str, *, now: datetime) -> None:
        self.ensure_live()
        if self.blacklisted:
            raise FailedPrecondition(f"customer {self.id} is already blacklisted")
        reason = _reason(reason)
        self.blacklisted = True
        self.blacklist_reason = reason
        self._touch(now)
        self.events.append(domain_events.CustomerBlacklisted(self.id, reason, self.version))

    def unblacklist(self, reason: str, *, now: datetime) -> None:
        self.ensure_live()
        if not self.blacklisted:
            raise FailedPrecondition(f"customer {self.id} is not blacklisted")
        reason = _reason(reason)
        self.blacklisted = False
        self.blacklist_reason = None
        self._touch(now)
        self.events.append(domain_events.CustomerUnblacklisted(self.id, reason, self.version))

    def set_consent(
        self, channel: ConsentChannel, granted: bool, *, now: datetime,
        requested_by: Actor | None = None,
    ) -> bool:  # fmt: skip
        """Record the customer's answer for a channel; False when it was already the answer.
        `requested_by`: who gave it, when not whoever makes the change (an event's actor)."""
        self.ensure_live()
        current = self.consents.get(channel)
        if current is not None and current.granted == granted:
            return False
        self.consents[channel] = Consent(channel, granted, now)
        self._touch(now)
        self.events.append(
            domain_events.ConsentChanged(self.id, channel, granted, self.version, requested_by)
        )
        return True

    def log_interaction(
        self,
        *,
        interaction_id: UUID,
        channel: InteractionChannel,
        summary: str,
        occurred_at: datetime | None,
        actor: Actor,
        now: datetime,
    ) -> Interaction:
        """A touchpoint on the timeline. It does not change the customer record or its version."""
        self.ensure_live()
        text = _required_text(summary, "summary", SUMMARY_MAX_LENGTH)
        occurred_at = occurred_at or now
        if occurred_at > now + CLOCK_SKEW:
            raise ValidationFailed(FieldViolation("occurred_at", "must not be in the future"))
        interaction = Interaction(
            id=interaction_id,
            customer_id=self.id,
            channel=channel,
            summary=text,
            occurred_at=occurred_at,
            actor=actor,
            recorded_at=now,
        )
        self.events.append(domain_events.InteractionLogged(interaction, self.version))
        return interaction

    def ensure_live(self) -> None:
        """A merged record is kept for history and redirection only: it takes no changes."""
        if self.merged_into_id is not None:
            raise FailedPrecondition(f"customer {self.id} was merged into {self.merged_into_id}")

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def merge(survivor: Customer, merged: Customer, *, now: datetime) -> None:
    """Merge `merged` into `survivor` (identity resolution of two records of one party).

    Rules:
    - Merging a record into itself, or when either record is already merged, is a
      FailedPrecondition.
    - The survivor keeps its own non-empty fields and fills each empty one from the merged
      record (the owner and the partner assignment too: a survivor assigned to no partner
      takes the merged record's partner). Birth date and gender are not filled into an
      organization.
    - Tags and preferences are unioned; on a preference key present in both, the survivor wins.
    - For each consent channel the most recently updated answer wins (the survivor's on a tie).
    - A blacklist on either side stays on the survivor (with the merged record's reason when
      only the merged record was blacklisted).
    - The merged record gets merged_into_id = the survivor: it leaves lists and dedupe, takes no
      more changes, and recognition of its email or phone leads to the survivor. Its timeline
      moves to the survivor (done by the service layer, which owns interactions).
    - Both records' versions go up; one CustomerMerged event describes the change.
    """
    if survivor.id == merged.id:
        raise FailedPrecondition("a customer cannot be merged into itself")
    survivor.ensure_live()
    merged.ensure_live()

    kept, taken = survivor.profile, merged.profile
    filled: dict[str, object] = {}
    for name in PROFILE_FIELDS:
        if name in ("tags", "preferences") or not _is_empty(getattr(kept, name)):
            continue
        if kept.kind is PartyKind.ORGANIZATION and name in PERSON_ONLY_FIELDS:
            continue
        filled[name] = getattr(taken, name)
    survivor.profile = replace(
        kept,
        tags=tuple(sorted(set(kept.tags) | set(taken.tags))),
        preferences={**taken.preferences, **kept.preferences},
        **filled,  # type: ignore[arg-type]
    )

    for channel, theirs in merged.consents.items():
        ours = survivor.consents.get(channel)
        if ours is None or theirs.updated_at > ours.updated_at:
            survivor.consents[channel] = theirs

    if merged.blacklisted and not survivor.blacklisted:
        survivor.blacklisted = True
        survivor.blacklist_reason = merged.blacklist_reason

    merged.merged_into_id = survivor.id
    merged._touch(now)
    survivor._touch(now)
    survivor.events.append(
        domain_events.CustomerMerged(survivor.state(), merged.id, merged.version)
    )


def _is_empty(value: object) -> bool:
    return value is None or value in ("", (), {})


def _reason(raw: str) -> str:
    return _required_text(raw, "reason", REASON_MAX_LENGTH)
