"""The lead aggregate: someone who may buy, from capture to conversion.

    new -> assigned -> qualified -> converted
    new | assigned | qualified -> disqualified | merged (into another lead)

A lead is assigned to a team (by the teams' rules) and to a rep (round robin, or by hand); it
carries its score (rule points) and its win probability (the team's model, or a rep's
override). Every change raises the version and records an event. Pure Python; times are UTC
and passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_sales.domain.assignment import AssignmentReason
from crm_sales.domain.scoring import (
    Features,
    Prediction,
    RuleScore,
    email_quality,
    normal_email,
    normal_phone,
    phone_quality,
)
from crm_sales.domain.teams import CompanySize, LeadSource
from crm_sales.domain.values import Actor

NOTES_MAX_LENGTH = 4000
REASON_MAX_LENGTH = 500
TAG_MAX_LENGTH = 50
MAX_TAGS = 30
# The stage a lead's features are predicted at: before any opportunity stage.
LEAD_STAGE = "lead"
_CONTACT_LIMITS = {
    "name": 200,
    "company": 200,
    "email": 254,
    "phone": 40,
    "region": 100,
    "city": 100,
}


class LeadStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"
    MERGED = "merged"


OPEN = frozenset({LeadStatus.NEW, LeadStatus.ASSIGNED, LeadStatus.QUALIFIED})


class OpenLeadExists(AlreadyExists):
    """Another open lead has this email or phone: one person is one open lead (merge them)."""


CONVERTIBLE = frozenset({LeadStatus.ASSIGNED, LeadStatus.QUALIFIED})


@dataclass(frozen=True)
class Contact:
    name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""
    region: str = ""
    city: str = ""
    company_size: CompanySize | None = None

    def checked(self) -> Contact:
        """Trimmed; a violation per field too long, and one when neither a name, a company,
        an email nor a phone says who it is."""
        violations: list[FieldViolation] = []
        trimmed: dict[str, str] = {}
        for name, limit in _CONTACT_LIMITS.items():
            text = " ".join(str(getattr(self, name)).split())
            if len(text) > limit:
                violations.append(
                    FieldViolation(f"contact.{name}", f"must be at most {limit} characters")
                )
            trimmed[name] = text
        if not any(trimmed[name] for name in ("name", "company", "email", "phone")):
            violations.append(
                FieldViolation("contact", "needs a name, a company, an email or a phone")
            )
        if trimmed["email"] and email_quality(trimmed["email"]) == "invalid":
            violations.append(FieldViolation("contact.email", "is not an email address"))
        if violations:
            raise ValidationFailed(violations)
        return Contact(
            name=trimmed["name"],
            company=trimmed["company"],
            email=trimmed["email"],
            phone=trimmed["phone"],
            region=trimmed["region"],
            city=trimmed["city"],
            company_size=self.company_size,
        )


@dataclass(frozen=True)
class ScoreOverride:
    probability: Decimal
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class LeadSnapshot:
    """A lead as it stands after a change: what its events carry."""

    lead: Lead


@dataclass
class Lead:
    id: UUID
    status: LeadStatus
    source: LeadSource
    campaign_id: str
    contact: Contact
    notes: str
    tags: frozenset[str]
    owner_id: str | None
    team_id: UUID | None
    score: int
    score_reasons: tuple[str, ...]  # the rule's, then the model's
    predicted: Decimal  # the model's win probability
    override: ScoreOverride | None
    merged_into_id: UUID | None
    customer_id: UUID | None
    opportunity_id: UUID | None
    disqualify_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        source: LeadSource,
        campaign_id: str,
        contact: Contact,
        notes: str,
        tags: Iterable[str],
        actor: Actor,
        now: datetime,
    ) -> Lead:
        lead = cls(
            id=id,
            status=LeadStatus.NEW,
            source=source,
            campaign_id=campaign_id.strip(),
            contact=contact.checked(),
            notes=_notes(notes),
            tags=_tags(tags),
            owner_id=None,
            team_id=None,
            score=0,
            score_reasons=(),
            predicted=Decimal(0),
            override=None,
            merged_into_id=None,
            customer_id=None,
            opportunity_id=None,
            disqualify_reason=None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        lead._events.append(LeadCreated(lead.snapshot(), actor))
        return lead

    # -- what it is -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def win_probability(self) -> Decimal:
        return self.predicted if self.override is None else self.override.probability

    @property
    def email_key(self) -> str:
        return normal_email(self.contact.email)

    @property
    def phone_key(self) -> str:
        return normal_phone(self.contact.phone)

    def features(self) -> Features:
        return Features(
            stage=LEAD_STAGE,
            source=self.source.value,
            region=self.contact.region,
            tags=self.tags,
            email_quality=email_quality(self.contact.email),
            phone_quality=phone_quality(self.contact.phone),
        )

    def facts(self) -> list[str]:
        """The keys of the scoring table this lead earns points for."""
        contact = self.contact
        facts = [f"email={email_quality(contact.email)}", f"phone={phone_quality(contact.phone)}"]
        facts += [name for name in ("name", "company", "city") if getattr(contact, name)]
        if contact.company_size is not None:
            facts.append(f"size={contact.company_size.value}")
        facts.append(f"source={self.source.value}")
        return facts

    def snapshot(self) -> LeadSnapshot:
        return LeadSnapshot(replace(self, _events=[]))

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events

    # -- changes --------------------------------------------------------------------------------

    def rescore(self, rule: RuleScore, prediction: Prediction) -> None:
        """The score follows from the lead and its team's model: part of whichever change
        made it, not a change of its own."""
        self.score = rule.points
        self.predicted = prediction.probability
        self.score_reasons = rule.reasons + prediction.reasons

    def update(
        self,
        actor: Actor,
        now: datetime,
        *,
        contact: Contact | None = None,
        notes: str | None = None,
        tags: Iterable[str] | None = None,
    ) -> None:
        self._open_for(actor, "update")
        new_contact = self.contact if contact is None else contact.checked()
        new_notes = self.notes if notes is None else _notes(notes)
        new_tags = self.tags if tags is None else _tags(tags)
        self.contact, self.notes, self.tags = new_contact, new_notes, new_tags
        self._changed(now)
        self._events.append(LeadUpdated(self.snapshot(), actor))

    def assign(
        self,
        actor: Actor,
        now: datetime,
        *,
        owner_id: str | None,
        team_id: UUID | None,
        reason: AssignmentReason,
    ) -> None:
        """By hand (MANUAL): a manager to anyone, a rep an unowned lead to themselves; by the
        rules (RULE, ROUND_ROBIN) on behalf of whoever created it."""
        self._open_for(actor, "assign", staff_only=reason is AssignmentReason.MANUAL)
        by_rep = reason is AssignmentReason.MANUAL and not actor.is_manager
        if by_rep and (self.owner_id is not None or owner_id != actor.subject):
            raise PermissionDenied("a rep may only take an unowned lead for themselves")
        owner = None if owner_id is None else owner_id.strip() or None
        if owner is not None and len(owner) > 100:
            raise ValidationFailed(FieldViolation("owner_id", "must be at most 100 characters"))
        from_owner, from_team = self.owner_id, self.team_id
        self.owner_id, self.team_id = owner, team_id
        if owner is not None and self.status is LeadStatus.NEW:
            self.status = LeadStatus.ASSIGNED
        self._changed(now)
        self._events.append(
            LeadAssigned(self.snapshot(), actor, from_owner, owner, from_team, team_id, reason)
        )

    def qualify(self, actor: Actor, now: datetime) -> None:
        self._open_for(actor, "qualify")
        if self.status is not LeadStatus.ASSIGNED:
            raise FailedPrecondition(f"a {self.status} lead cannot be qualified: assign it first")
        self.status = LeadStatus.QUALIFIED
        self._changed(now)
        self._events.append(LeadQualified(self.snapshot(), actor))

    def disqualify(self, actor: Actor, now: datetime, reason: str) -> None:
        self._open_for(actor, "disqualify")
        text = " ".join(reason.split())
        if not text or len(text) > REASON_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation("reason", f"must be 1 to {REASON_MAX_LENGTH} characters")
            )
        self.status, self.disqualify_reason = LeadStatus.DISQUALIFIED, text
        self._changed(now)
        self._events.append(LeadDisqualified(self.snapshot(), actor, text))

    def absorb(
        self, duplicate: Lead, actor: Actor, now: datetime, *, captured: bool = False
    ) -> None:
        """The duplicate's notes and tags join this lead's; the duplicate is merged into it.
        `captured`: the duplicate is a lead just captured (by whoever captures leads)."""
        if duplicate.id == self.id:
            raise ValidationFailed(FieldViolation("duplicate_id", "is the survivor itself"))
        self._open_for(actor, "merge into", staff_only=not captured)
        duplicate._open_for(actor, "merge", staff_only=not captured)
        if duplicate.notes and duplicate.notes not in self.notes:
            self.notes = _notes("\n\n".join(part for part in (self.notes, duplicate.notes) if part))
        self.tags = _tags(self.tags | duplicate.tags)
        self._changed(now)
        duplicate.status, duplicate.merged_into_id = LeadStatus.MERGED, self.id
        duplicate._changed(now)
        self._events.append(LeadMerged(self.snapshot(), actor, duplicate.id, duplicate.version))

    def override_score(
        self, actor: Actor, now: datetime, probability: Decimal, reason: str
    ) -> None:
        self._open_for(actor, "score")
        violations = []
        if not probability.is_finite() or not Decimal(0) <= probability <= Decimal(1):
            violations.append(FieldViolation("win_probability", "must be between 0 and 1"))
        text = " ".join(reason.split())
        if not text or len(text) > REASON_MAX_LENGTH:
            violations.append(
                FieldViolation("reason", f"must be 1 to {REASON_MAX_LENGTH} characters")
            )
        if violations:
            raise ValidationFailed(violations)
        self.override = ScoreOverride(probability, text, actor.subject, now)
        self._changed(now)
        self._events.append(LeadScored(self.snapshot(), actor, overridden=True, reason=text))

    def clear_score_override(self, actor: Actor, now: datetime) -> None:
        self._open_for(actor, "score")
        if self.override is None:
            raise FailedPrecondition("the lead's score is not overridden")
        self.override = None
        self._changed(now)
        self._events.append(LeadScored(self.snapshot(), actor, overridden=False, reason=""))

    def convert(self, actor: Actor, now: datetime, customer_id: UUID, opportunity_id: UUID) -> None:
        self.check_convertible(actor)
        self.status = LeadStatus.CONVERTED
        self.customer_id, self.opportunity_id = customer_id, opportunity_id
        self._changed(now)
        self._events.append(LeadConverted(self.snapshot(), actor, customer_id, opportunity_id))

    def check_convertible(self, actor: Actor) -> None:
        """Before asking the customer service anything: is conversion allowed at all."""
        self._open_for(actor, "convert")
        if self.status not in CONVERTIBLE:
            raise FailedPrecondition(f"a {self.status} lead cannot be converted: assign it first")

    def relink_customer(self, actor: Actor, now: datetime, survivor_id: UUID) -> None:
        """The customer it was converted into was merged into `survivor_id` (whoever merged
        them: no check of the actor)."""
        if self.customer_id == survivor_id:
            return
        self.customer_id = survivor_id
        self._changed(now)
        self._events.append(LeadUpdated(self.snapshot(), actor))

    def _open_for(self, actor: Actor, what: str, *, staff_only: bool = True) -> None:
        if staff_only and not actor.is_staff:
            raise PermissionDenied(f"only sales staff may {what} a lead")
        if not self.is_open:
            raise FailedPrecondition(f"a {self.status} lead cannot be changed ({what})")

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def _notes(notes: str) -> str:
    text = notes.strip()
    if len(text) > NOTES_MAX_LENGTH:
        raise ValidationFailed(
            FieldViolation("notes", f"must be at most {NOTES_MAX_LENGTH} characters")
        )
    return text


def _tags(tags: Iterable[str]) -> frozenset[str]:
    cleaned = frozenset(" ".join(tag.split()).lower() for tag in tags if tag.strip())
    if any(len(tag) > TAG_MAX_LENGTH for tag in cleaned):
        raise ValidationFailed(
            FieldViolation("tags", f"each must be at most {TAG_MAX_LENGTH} characters")
        )
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed(FieldViolation("tags", f"at most {MAX_TAGS}"))
    return cleaned


# -- events: each carries the lead after the change, with its version and actor --------------


@dataclass(frozen=True)
class LeadEvent:
    lead: LeadSnapshot
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.lead.lead.id

    @property
    def version(self) -> int:
        return self.lead.lead.version


@dataclass(frozen=True)
class LeadCreated(LeadEvent):
    pass


@dataclass(frozen=True)
class LeadUpdated(LeadEvent):
    pass


@dataclass(frozen=True)
class LeadAssigned(LeadEvent):
    from_owner_id: str | None
    to_owner_id: str | None
    from_team_id: UUID | None
    to_team_id: UUID | None
    reason: AssignmentReason


@dataclass(frozen=True)
class LeadMerged(LeadEvent):
    duplicate_id: UUID
    duplicate_version: int


@dataclass(frozen=True)
class LeadQualified(LeadEvent):
    pass


@dataclass(frozen=True)
class LeadDisqualified(LeadEvent):
    reason: str


@dataclass(frozen=True)
class LeadScored(LeadEvent):
    overridden: bool
    reason: str


@dataclass(frozen=True)
class LeadConverted(LeadEvent):
    customer_id: UUID
    opportunity_id: UUID
