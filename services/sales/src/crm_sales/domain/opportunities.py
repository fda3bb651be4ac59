"""The opportunity aggregate: a deal with a customer, worked through the pipeline's stages.

    prospecting -> qualification -> needs analysis -> proposal -> negotiation   (open, any order)
    open -> won (closed won, 100 %)     open -> lost (closed lost, 0 %) -> restored (open again)

Each open stage has a win probability, the team's (`PipelineStages`, default 10/20/40/60/80 %);
the deal's probability is its stage's unless overridden, and an override holds until the stage
changes. A won deal is final; a lost one may be restored to the stage it was lost from.

Who may: staff of the sales roles take every step (the service first narrows them to what they
can see); a partner user may move the stage of a deal assigned to their partner, but updating,
winning, losing, restoring and assigning are the company's; assigning is a manager's.

Pure Python. Times are timezone-aware UTC and passed in by the caller (`now`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import ClassVar, TypeVar
from uuid import UUID

from crm_platform.errors import (
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_sales.domain.scoring import Features, email_quality, phone_quality
from crm_sales.domain.values import Actor, ActorKind, Money, checked_text, who

TITLE_MAX_LENGTH = 200
OWNER_MAX_LENGTH = 100
TEXT_MAX_LENGTH = 100  # source, region, a tag, a name
NOTE_MAX_LENGTH = 2000
EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 40
MAX_TAGS = 20
MAX_CONTACTS = 20
MAX_COMPETITORS = 20
HUNDRED = Decimal(100)
_PERCENT_STEP = Decimal("0.01")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ()./-]{3,40}")
_T = TypeVar("_T")
_R = TypeVar("_R")


class OpportunityStage(StrEnum):
    PROSPECTING = "prospecting"
    QUALIFICATION = "qualification"
    NEEDS_ANALYSIS = "needs_analysis"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


OPEN_STAGES = (
    OpportunityStage.PROSPECTING,
    OpportunityStage.QUALIFICATION,
    OpportunityStage.NEEDS_ANALYSIS,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
)


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class LostReason(StrEnum):
    PRICE = "price"
    COMPETITOR = "competitor"
    TIMING = "timing"
    NO_BUDGET = "no_budget"
    NO_DECISION = "no_decision"
    PRODUCT_FIT = "product_fit"
    OTHER = "other"


class ContactRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    CHAMPION = "champion"
    USER = "user"
    ECONOMIC_BUYER = "economic_buyer"
    TECHNICAL_BUYER = "technical_buyer"
    OTHER = "other"


class ThreatLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class PipelineStages:
    """The win probability (a percent) of each open stage; the closed ones are 100 and 0."""

    probabilities: Mapping[OpportunityStage, Decimal]

    DEFAULT: ClassVar[PipelineStages]

    @classmethod
    def of(cls, percents: Mapping[str, Decimal | str | int], field_path: str) -> PipelineStages:
        """Stages from a team's settings: a percent (0-100, at most 2 decimals) for some open
        stages by name; the stages it leaves out keep the default."""
        probabilities = dict(cls.DEFAULT.probabilities)
        violations = []
        for name, value in percents.items():
            at = f"{field_path}.{name}"
            if name not in {stage.value for stage in OPEN_STAGES}:
                violations.append(FieldViolation(at, "is not an open pipeline stage"))
                continue
            try:
                probabilities[OpportunityStage(name)] = percent(Decimal(value), at)
            except (InvalidOperation, ValueError):
                violations.append(FieldViolation(at, "is not a number"))
            except ValidationFailed as exc:
                violations.extend(exc.violations)
        if violations:
            raise ValidationFailed(violations)
        return cls(probabilities)

    def probability(self, stage: OpportunityStage) -> Decimal:
        if stage is OpportunityStage.CLOSED_WON:
            return HUNDRED.quantize(_PERCENT_STEP)
        if stage is OpportunityStage.CLOSED_LOST:
            return Decimal(0).quantize(_PERCENT_STEP)
        return self.probabilities[stage]


PipelineStages.DEFAULT = PipelineStages(
    dict(
        zip(
            OPEN_STAGES,
            (Decimal(p).quantize(_PERCENT_STEP) for p in (10, 20, 40, 60, 80)),
            strict=True,
        )
    )
)


@dataclass(frozen=True)
class Contact:
    """A person on the customer's side of the deal."""

    name: str
    email: str
    phone: str
    role: ContactRole


@dataclass(frozen=True)
class Competitor:
    """Another vendor on the deal."""

    name: str
    notes: str  # their strengths, what we know
    threat: ThreatLevel


@dataclass(frozen=True)
class Loss:
    reason: LostReason
    note: str
    competitor: str  # who won it, when the reason is a competitor; else empty


# -- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpportunitySnapshot:
    """An opportunity as it stands after a change: what subscribers need of it."""

    id: UUID
    title: str
    customer_id: UUID
    owner_id: str | None
    team_id: UUID | None
    partner_id: UUID | None
    lead_id: UUID | None
    stage: OpportunityStage
    status: OpportunityStatus
    amount: Money | None
    probability: Decimal
    expected_close: date | None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class OpportunityEvent:
    """What every event of an opportunity carries."""

    opportunity: OpportunitySnapshot
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.opportunity.id

    @property
    def version(self) -> int:
        return self.opportunity.version


@dataclass(frozen=True)
class OpportunityOpened(OpportunityEvent):
    pass


@dataclass(frozen=True)
class OpportunityUpdated(OpportunityEvent):
    pass


@dataclass(frozen=True)
class OpportunityAssigned(OpportunityEvent):
    previous_owner_id: str | None
    previous_partner_id: UUID | None


@dataclass(frozen=True)
class OpportunityStageChanged(OpportunityEvent):
    from_stage: OpportunityStage
    to_stage: OpportunityStage


@dataclass(frozen=True)
class OpportunityWon(OpportunityEvent):
    pass


@dataclass(frozen=True)
class OpportunityLost(OpportunityEvent):
    reason: LostReason
    note: str
    competitor: str


@dataclass(frozen=True)
class OpportunityRestored(OpportunityEvent):
    to_stage: OpportunityStage


# -- the aggregate ------------------------------------------------------------------------------


@dataclass
class Opportunity:
    id: UUID
    title: str
    customer_id: UUID
    owner_id: str | None  # the sales rep in charge
    team_id: UUID | None  # whose pipeline stages it follows
    partner_id: UUID | None  # the partner it is assigned to
    lead_id: UUID | None  # the lead it was converted from
    stage: OpportunityStage
    status: OpportunityStatus
    amount: Money | None
    expected_close: date | None
    probability: Decimal  # a percent
    probability_overridden: bool
    source: str
    region: str
    tags: frozenset[str]
    email: str  # the contact details it came with (the lead's)
    phone: str
    contacts: list[Contact]  # the first is the primary contact
    competitors: list[Competitor]
    loss: Loss | None
    # the open stage it was won or lost from: where a restore takes it back, what the win
    # model learns (the closed stage itself would tell it the outcome)
    closed_from: OpportunityStage | None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(
        cls,
        *,
        id: UUID,
        title: str,
        customer_id: UUID,
        owner_id: str | None,
        team_id: UUID | None,
        partner_id: UUID | None,
        lead_id: UUID | None,
        amount: Money | None,
        expected_close: date | None,
        source: str,
        region: str,
        tags: frozenset[str],
        email: str,
        phone: str,
        actor: Actor,
        now: datetime,
        stages: PipelineStages,
        contacts: Sequence[Contact] = (),
        competitors: Sequence[Competitor] = (),
    ) -> Opportunity:
        """A new deal in prospecting, at the stage's probability."""
        if not actor.is_staff:
            raise PermissionDenied(f"{who(actor)} may not open an opportunity")
        violations: list[FieldViolation] = []
        texts = _texts(
            violations,
            ("title", title, TITLE_MAX_LENGTH, True),
            ("owner_id", owner_id or "", OWNER_MAX_LENGTH, False),
            ("source", source, TEXT_MAX_LENGTH, False),
            ("region", region, TEXT_MAX_LENGTH, False),
            ("email", email, EMAIL_MAX_LENGTH, False),
            ("phone", phone, PHONE_MAX_LENGTH, False),
        )
        if texts.get("email") and not _EMAIL.fullmatch(texts["email"]):
            violations.append(FieldViolation("email", "is not an email address"))
        checked_tags = _checked(violations, _tags, tags)
        checked_contacts = _checked(violations, checked_contacts_of, contacts)
        checked_competitors = _checked(violations, checked_competitors_of, competitors)
        if violations:
            raise ValidationFailed(violations)
        assert checked_tags is not None
        assert checked_contacts is not None
        assert checked_competitors is not None
        stage = OpportunityStage.PROSPECTING
        opportunity = cls(
            id=id,
            title=texts["title"],
            customer_id=customer_id,
            owner_id=texts["owner_id"] or None,
            team_id=team_id,
            partner_id=partner_id,
            lead_id=lead_id,
            stage=stage,
            status=OpportunityStatus.OPEN,
            amount=amount,
            expected_close=expected_close,
            probability=stages.probability(stage),
            probability_overridden=False,
            source=texts["source"],
            region=texts["region"],
            tags=checked_tags,
            email=texts["email"],
            phone=texts["phone"],
            contacts=checked_contacts,
            competitors=checked_competitors,
            loss=None,
            closed_from=None,
            version=1,
            created_at=now,
            updated_at=now,
            closed_at=None,
        )
        opportunity._events.append(OpportunityOpened(opportunity.snapshot(), actor))
        return opportunity

    # -- changes --------------------------------------------------------------------------------

    def update(
        self,
        actor: Actor,
        now: datetime,
        *,
        title: str | None = None,
        amount: Money | None = None,
        expected_close: date | None = None,
        contacts: Sequence[Contact] | None = None,
        competitors: Sequence[Competitor] | None = None,
        probability: Decimal | None = None,
    ) -> None:
        """Change the given fields (None: unchanged) of an open deal; a probability overrides
        the stage's until the stage changes."""
        self._staff_only(actor, "update")
        self._open_only("be updated")
        violations: list[FieldViolation] = []
        new_title = (
            None
            if title is None
            else _texts(violations, ("title", title, TITLE_MAX_LENGTH, True)).get("title")
        )
        new_contacts = (
            None if contacts is None else _checked(violations, checked_contacts_of, contacts)
        )
        new_competitors = (
            None
            if competitors is None
            else _checked(violations, checked_competitors_of, competitors)
        )
        new_probability = (
            None
            if probability is None
            else _checked(violations, lambda value: percent(value, "probability"), probability)
        )
        if violations:
            raise ValidationFailed(violations)
        if new_title is not None:
            self.title = new_title
        if amount is not None:
            self.amount = amount
        if expected_close is not None:
            self.expected_close = expected_close
        if new_contacts is not None:
            self.contacts = new_contacts
        if new_competitors is not None:
            self.competitors = new_competitors
        if new_probability is not None:
            self.probability, self.probability_overridden = new_probability, True
        self._touch(now)
        self._events.append(OpportunityUpdated(self.snapshot(), actor))

    def assign(
        self, actor: Actor, now: datetime, *, owner_id: str | None, partner_id: UUID | None
    ) -> None:
        """Give the deal to another rep (None: nobody) and/or partner (None: no partner)."""
        if not actor.is_manager:
            raise PermissionDenied(f"{who(actor)} may not assign opportunity {self.id}")
        self._open_only("be assigned")
        owner = checked_text(owner_id or "", "owner_id", OWNER_MAX_LENGTH) or None
        previous_owner, previous_partner = self.owner_id, self.partner_id
        self.owner_id, self.partner_id = owner, partner_id
        self._touch(now)
        self._events.append(
            OpportunityAssigned(self.snapshot(), actor, previous_owner, previous_partner)
        )

    def move_stage(
        self, actor: Actor, now: datetime, stage: OpportunityStage, stages: PipelineStages
    ) -> None:
        """To another open stage, in any order; the probability becomes the stage's."""
        if not (actor.is_staff or self._is_own_partner(actor)):
            raise PermissionDenied(f"{who(actor)} may not move opportunity {self.id}")
        self._open_only("change stage")
        if stage not in OPEN_STAGES:
            raise ValidationFailed(
                FieldViolation("stage", "must be an open stage: win or lose the deal to close it")
            )
        if stage is self.stage:
            raise FailedPrecondition(f"opportunity {self.id} is already in {stage}")
        from_stage = self.stage
        self._enter(stage, stages)
        self._touch(now)
        self._events.append(OpportunityStageChanged(self.snapshot(), actor, from_stage, stage))

    def win(self, actor: Actor, now: datetime) -> None:
        self._staff_only(actor, "win")
        self._open_only("be won")
        if self.amount is None or self.amount.amount <= 0:
            raise FailedPrecondition(f"opportunity {self.id} needs an amount to be won")
        self.status, self.closed_at, self.closed_from = OpportunityStatus.WON, now, self.stage
        self.stage, self.probability, self.probability_overridden = (
            OpportunityStage.CLOSED_WON,
            PipelineStages.DEFAULT.probability(OpportunityStage.CLOSED_WON),
            False,
        )
        self._touch(now)
        self._events.append(OpportunityWon(self.snapshot(), actor))

    def lose(
        self, actor: Actor, now: datetime, reason: LostReason, note: str, competitor: str = ""
    ) -> None:
        """Lost for `reason`; a competitor's name is required when they took it, and only
        then."""
        self._staff_only(actor, "lose")
        self._open_only("be lost")
        violations: list[FieldViolation] = []
        texts = _texts(
            violations,
            ("note", note, NOTE_MAX_LENGTH, reason is LostReason.OTHER),
            ("competitor", competitor, TEXT_MAX_LENGTH, reason is LostReason.COMPETITOR),
        )
        if reason is not LostReason.COMPETITOR and texts.get("competitor"):
            violations.append(FieldViolation("competitor", "only when lost to a competitor"))
        if violations:
            raise ValidationFailed(violations)
        self.loss = Loss(reason, texts["note"], texts["competitor"])
        self.status, self.closed_at, self.closed_from = OpportunityStatus.LOST, now, self.stage
        self.stage, self.probability, self.probability_overridden = (
            OpportunityStage.CLOSED_LOST,
            PipelineStages.DEFAULT.probability(OpportunityStage.CLOSED_LOST),
            False,
        )
        self._touch(now)
        self._events.append(
            OpportunityLost(self.snapshot(), actor, reason, self.loss.note, self.loss.competitor)
        )

    def restore(self, actor: Actor, now: datetime, stages: PipelineStages) -> None:
        """A lost deal back to the stage it was lost from, open again."""
        self._staff_only(actor, "restore")
        if self.status is not OpportunityStatus.LOST or self.closed_from is None:
            raise FailedPrecondition(
                f"opportunity {self.id} is {self.status}: only a lost one is restored"
            )
        to_stage = self.closed_from
        self.status, self.closed_at, self.loss = OpportunityStatus.OPEN, None, None
        self.closed_from = None
        self._enter(to_stage, stages)
        self._touch(now)
        self._events.append(OpportunityRestored(self.snapshot(), actor, to_stage))

    # -- queries --------------------------------------------------------------------------------

    @property
    def primary_contact(self) -> Contact | None:
        return self.contacts[0] if self.contacts else None

    def contact_details(self) -> tuple[str, str]:
        """The email and phone to reach the deal by: the primary contact's, else those it came
        with."""
        primary = self.primary_contact
        if primary is None:
            return self.email, self.phone
        return primary.email or self.email, primary.phone or self.phone

    def features(self) -> Features:
        """What the team's win model learns from (and predicts by) for this deal."""
        email, phone = self.contact_details()
        return Features(
            stage=(self.closed_from or self.stage).value,
            source=self.source,
            region=self.region,
            tags=self.tags,
            email_quality=email_quality(email),
            phone_quality=phone_quality(phone),
        )

    def relink_customer(self, actor: Actor, now: datetime, survivor_id: UUID) -> None:
        """Its customer was merged into `survivor_id` (whoever merged them: no check of the
        actor); open or closed, the deal is the survivor's now."""
        if self.customer_id == survivor_id:
            return
        self.customer_id = survivor_id
        self._touch(now)
        self._events.append(OpportunityUpdated(self.snapshot(), actor))

    def snapshot(self) -> OpportunitySnapshot:
        return OpportunitySnapshot(
            id=self.id,
            title=self.title,
            customer_id=self.customer_id,
            owner_id=self.owner_id,
            team_id=self.team_id,
            partner_id=self.partner_id,
            lead_id=self.lead_id,
            stage=self.stage,
            status=self.status,
            amount=self.amount,
            probability=self.probability,
            expected_close=self.expected_close,
            version=self.version,
            created_at=self.created_at,
            updated_at=self.updated_at,
            closed_at=self.closed_at,
        )

    def pull_events(self) -> list[object]:
        pulled, self._events = self._events, []
        return pulled

    # -- rules ----------------------------------------------------------------------------------

    def _enter(self, stage: OpportunityStage, stages: PipelineStages) -> None:
        self.stage, self.probability, self.probability_overridden = (
            stage,
            stages.probability(stage),
            False,
        )

    def _staff_only(self, actor: Actor, what: str) -> None:
        if not actor.is_staff:
            raise PermissionDenied(f"{who(actor)} may not {what} opportunity {self.id}")

    def _open_only(self, what: str) -> None:
        if self.status is not OpportunityStatus.OPEN:
            raise FailedPrecondition(f"opportunity {self.id} is {self.status}: it cannot {what}")

    def _is_own_partner(self, actor: Actor) -> bool:
        return (
            actor.kind is ActorKind.PARTNER
            and actor.partner_id is not None
            and actor.partner_id == self.partner_id
        )

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def percent(value: Decimal, field_path: str) -> Decimal:
    """A probability: 0 to 100, at most 2 decimals."""
    if not value.is_finite() or not Decimal(0) <= value <= HUNDRED:
        raise ValidationFailed(FieldViolation(field_path, "must be a percent from 0 to 100"))
    if value != value.quantize(_PERCENT_STEP):
        raise ValidationFailed(FieldViolation(field_path, "must have at most 2 decimal places"))
    return value.quantize(_PERCENT_STEP)


def checked_contacts_of(contacts: Sequence[Contact]) -> list[Contact]:
    if len(contacts) > MAX_CONTACTS:
        raise ValidationFailed(FieldViolation("contacts", f"at most {MAX_CONTACTS}"))
    violations: list[FieldViolation] = []
    checked: list[Contact] = []
    for index, contact in enumerate(contacts):
        at = f"contacts[{index}]"
        texts = _texts(
            violations,
            (f"{at}.name", contact.name, TEXT_MAX_LENGTH, True),
            (f"{at}.email", contact.email, EMAIL_MAX_LENGTH, False),
            (f"{at}.phone", contact.phone, PHONE_MAX_LENGTH, False),
        )
        name, email, phone = (texts.get(f"{at}.{key}", "") for key in ("name", "email", "phone"))
        if email and not _EMAIL.fullmatch(email):
            violations.append(FieldViolation(f"{at}.email", "is not an email address"))
        if phone and not _PHONE.fullmatch(phone):
            violations.append(FieldViolation(f"{at}.phone", "is not a phone number"))
        if name:
            checked.append(Contact(name, email, phone, contact.role))
    if violations:
        raise ValidationFailed(violations)
    return checked


def checked_competitors_of(competitors: Sequence[Competitor]) -> list[Competitor]:
    if len(competitors) > MAX_COMPETITORS:
        raise ValidationFailed(FieldViolation("competitors", f"at most {MAX_COMPETITORS}"))
    violations: list[FieldViolation] = []
    checked: list[Competitor] = []
    seen: set[str] = set()
    for index, competitor in enumerate(competitors):
        at = f"competitors[{index}]"
        texts = _texts(
            violations,
            (f"{at}.name", competitor.name, TEXT_MAX_LENGTH, True),
            (f"{at}.notes", competitor.notes, NOTE_MAX_LENGTH, False),
        )
        name = texts.get(f"{at}.name", "")
        if name:
            if name.casefold() in seen:
                violations.append(FieldViolation(f"{at}.name", "is listed twice"))
            seen.add(name.casefold())
            checked.append(Competitor(name, texts.get(f"{at}.notes", ""), competitor.threat))
    if violations:
        raise ValidationFailed(violations)
    return checked


def _tags(tags: frozenset[str]) -> frozenset[str]:
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(FieldViolation("tags", f"at most {MAX_TAGS}"))
    return frozenset(checked_text(tag, "tags", TEXT_MAX_LENGTH, required=True) for tag in tags)


def _texts(violations: list[FieldViolation], *specs: tuple[str, str, int, bool]) -> dict[str, str]:
    """Each (field, value, max length, required) trimmed, by field; what is wrong with them
    goes to `violations` (so that one answer reports every field) and the field is left out."""
    texts: dict[str, str] = {}
    for field_path, value, max_length, required in specs:
        try:
            texts[field_path] = checked_text(value, field_path, max_length, required=required)
        except ValidationFailed as exc:
            violations.extend(exc.violations)
    return texts


def _checked(violations: list[FieldViolation], check: Callable[[_T], _R], value: _T) -> _R | None:
    """`check(value)`, or None with what it found wrong added to `violations`."""
    try:
        return check(value)
    except ValidationFailed as exc:
        violations.extend(exc.violations)
        return None
