"""The case aggregate: one matter a customer brought to the service, from any channel.

    new -> assigned -> in progress <-> waiting on customer -> resolved -> closed
    resolved | closed -> reopened within the window -> in progress (owned) | new (unowned)

An agent works the cases they own; a manager any case; an agent takes an unassigned case for
themselves. The conversation holds replies the customer sees and internal notes they never see;
the customer's reply moves a case waiting on them back to in progress. Every change raises the
version and records an event. Its SLA clocks (clocks.py) stand still while it waits on the
customer or lies resolved; the jobs role records their warnings and breaches on it, and the
first breach escalates it. Pure Python; times are UTC and passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from crm_platform.calendar import CalendarSpec, WorkingCalendar
from crm_platform.errors import (
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_service.domain.clocks import (
    ClockKind,
    ClockState,
    ClockView,
    Pause,
    SlaClock,
    clock_view,
)
from crm_service.domain.routing import AssignmentReason
from crm_service.domain.values import Actor, ActorKind

SUBJECT_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 10000
REFERENCE_MAX_LENGTH = 100
RESOLUTION_MAX_LENGTH = 4000
REASON_MAX_LENGTH = 500
OWNER_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 40
REFERENCE_PREFIX = "CS-"
# the service's own roles (the mail listener) and machine clients open cases too
MACHINES = frozenset({ActorKind.SERVICE, ActorKind.SYSTEM})


class CaseType(StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    AFTER_SALES = "after_sales"
    SUGGESTION = "suggestion"


class CasePriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CaseChannel(StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    PHONE = "phone"
    WEB_FORM = "web_form"
    STAFF = "staff"


class CaseStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN = frozenset(
    {
        CaseStatus.NEW,
        CaseStatus.ASSIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_ON_CUSTOMER,
    }
)
REOPENABLE = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
# the SLA clocks stand still in these: the customer has the next move, or nobody has
PAUSING = frozenset({CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED})


class CustomerRecognition(StrEnum):
    NEW = "new"  # no customer has the contact's email or phone
    RETURNING = "returning"
    BLACKLISTED = "blacklisted"


@dataclass(frozen=True)
class Recognized:
    """Who the contact is, as the customer service answered."""

    recognition: CustomerRecognition
    customer_id: UUID | None  # None for a new contact


@dataclass(frozen=True)
class Contact:
    email: str = ""
    phone: str = ""

    def checked(self) -> Contact:
        email, phone = self.email.strip(), " ".join(self.phone.split())
        violations = []
        if len(email) > EMAIL_MAX_LENGTH:
            violations.append(
                FieldViolation("contact_email", f"must be at most {EMAIL_MAX_LENGTH} characters")
            )
        elif email and (email.count("@") != 1 or " " in email):
            violations.append(FieldViolation("contact_email", "is not an email address"))
        if len(phone) > PHONE_MAX_LENGTH:
            violations.append(
                FieldViolation("contact_phone", f"must be at most {PHONE_MAX_LENGTH} characters")
            )
        if violations:
            raise ValidationFailed(violations)
        return Contact(email=email.lower(), phone=phone)

    @property
    def is_empty(self) -> bool:
        return not (self.email or self.phone)


@dataclass(frozen=True)
class CaseDetails:
    """What the opener says the case is about."""

    type: CaseType
    priority: CasePriority
    subject: str
    description: str = ""
    product_ref: str = ""
    order_ref: str = ""

    def checked(self) -> CaseDetails:
        subject = " ".join(self.subject.split())
        violations = []
        if not subject or len(subject) > SUBJECT_MAX_LENGTH:
            violations.append(
                FieldViolation("subject", f"must be 1 to {SUBJECT_MAX_LENGTH} characters")
            )
        description = _text(self.description, "description", TEXT_MAX_LENGTH, violations)
        product_ref = _text(self.product_ref, "product_ref", REFERENCE_MAX_LENGTH, violations)
        order_ref = _text(self.order_ref, "order_ref", REFERENCE_MAX_LENGTH, violations)
        if violations:
            raise ValidationFailed(violations)
        return replace(
            self,
            subject=subject,
            description=description,
            product_ref=product_ref,
            order_ref=order_ref,
        )


@dataclass(frozen=True)
class Attachment:
    """A file a mail brought; its content is read only to be stored."""

    id: UUID
    filename: str
    content_type: str
    size: int
    data: bytes = field(default=b"", repr=False)


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True)
class Call:
    """A telephone call with the contact, as the telephony system reports it."""

    id: UUID
    phone: str  # the other party's number
    direction: CallDirection
    duration_seconds: int
    recording_url: str
    started_at: datetime

    @property
    def summary(self) -> str:
        """ "Inbound call from +8613800138000, 3 min 20 s" and the recording, if any."""
        minutes, seconds = divmod(self.duration_seconds, 60)
        length = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
        party = "from" if self.direction is CallDirection.INBOUND else "to"
        text = f"{self.direction.capitalize()} call {party} {self.phone}, {length}"
        return f"{text} (recording: {self.recording_url})" if self.recording_url else text


@dataclass(frozen=True)
class CaseMessage:
    id: UUID
    author: Actor  # its subject and kind (a mail's: the sender's address, as a customer)
    body: str
    internal: bool  # an internal note: staff only
    created_at: datetime
    unknown_sender: bool = False  # a mail from an address that is not the case's contact
    mail_id: str = ""  # a mail's Message-ID
    attachments: tuple[Attachment, ...] = ()


@dataclass
class Case:
    id: UUID
    reference: str
    details: CaseDetails
    channel: CaseChannel
    status: CaseStatus
    customer_id: UUID | None
    recognition: CustomerRecognition
    contact: Contact
    owner_id: str | None
    resolution: str
    messages: list[CaseMessage]
    reopen_count: int
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    clocks: list[SlaClock] = field(default_factory=list)  # fixed at the opening
    pauses: list[Pause] = field(default_factory=list)  # oldest first; the last may be open
    escalated_to: str | None = None  # escalated on a breach, to this manager ("": none known)
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(
        cls,
        *,
        id: UUID,
        details: CaseDetails,
        channel: CaseChannel,
        contact: Contact,
        recognized: Recognized,
        actor: Actor,
        now: datetime,
        clocks: list[SlaClock] | None = None,
    ) -> Case:
        if not (actor.is_agent or actor.is_customer or actor.kind in MACHINES):
            raise PermissionDenied("only service staff and customers open cases")
        case = cls(
            id=id,
            reference=reference_of(id),
            details=details.checked(),
            channel=channel,
            status=CaseStatus.NEW,
            customer_id=recognized.customer_id,
            recognition=recognized.recognition,
            contact=contact.checked(),
            owner_id=None,
            resolution="",
            messages=[],
            reopen_count=0,
            first_response_at=None,
            resolved_at=None,
            closed_at=None,
            version=1,
            created_at=now,
            updated_at=now,
            clocks=list(clocks or ()),
        )
        case._events.append(CaseOpened(case.snapshot()))
        return case

    # -- what it is -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def conversation_for(self, viewer: Actor) -> list[CaseMessage]:
        """The messages `viewer` may read: a customer never sees an internal note."""
        if viewer.is_customer:
            return [message for message in self.messages if not message.internal]
        return list(self.messages)

    @property
    def escalated(self) -> bool:
        return self.escalated_to is not None

    def snapshot(self) -> CaseSnapshot:
        return CaseSnapshot(
            replace(
                self,
                messages=list(self.messages),
                clocks=[replace(clock) for clock in self.clocks],
                pauses=list(self.pauses),
                _events=[],
            )
        )

    # -- SLA --------------------------------------------------------------------------------------

    def clock_views(
        self, calendar_of: Callable[[CalendarSpec], WorkingCalendar], now: datetime
    ) -> list[ClockView]:
        return [
            clock_view(
                clock,
                calendar_of(clock.calendar),
                opened_at=self.created_at,
                stopped_at=self._stopped_at(clock.kind),
                pauses=self.pauses,
                now=now,
            )
            for clock in self.clocks
        ]

    def _stopped_at(self, kind: ClockKind) -> datetime | None:
        if kind is ClockKind.FIRST_RESPONSE:
            return self.first_response_at
        return self.resolved_at if self.status in REOPENABLE else None

    def record_warning(self, view: ClockView, now: datetime) -> None:
        """The jobs role saw `view` near its target: recorded once, with its event."""
        clock = self._clock(view.kind)
        if clock.warned_at is None:
            clock.warned_at = now
            self._events.append(SlaWarning(self.snapshot(), replace(view, warned_at=now)))

    def record_breach(self, view: ClockView, now: datetime, manager_id: str | None) -> None:
        """`view` reached its target: recorded once, with its event, and the case escalated to
        `manager_id` (its owner's team's manager) the first time one of its clocks breaches."""
        clock = self._clock(view.kind)
        if clock.breached_at is not None:
            return
        clock.breached_at = now
        breached = replace(view, state=ClockState.BREACHED, breached_at=now)
        self._events.append(SlaBreached(self.snapshot(), breached))
        if self.escalated_to is None:
            self.escalated_to = manager_id or ""
            self._changed(now)
            self._events.append(CaseEscalated(self.snapshot(), view.kind, self.escalated_to))

    def _clock(self, kind: ClockKind) -> SlaClock:
        return next(clock for clock in self.clocks if clock.kind is kind)

    def _paused(self, now: datetime) -> None:
        if not self.pauses or self.pauses[-1][1] is not None:
            self.pauses.append((now, None))

    def _resumed(self, now: datetime) -> None:
        if self.pauses and self.pauses[-1][1] is None:
            self.pauses[-1] = (self.pauses[-1][0], now)

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events

    # -- changes --------------------------------------------------------------------------------

    def assign(self, actor: Actor, now: datetime, owner_id: str) -> None:
        """A manager to anyone; an agent an unassigned case to themselves."""
        owner = owner_id.strip()
        if not owner or len(owner) > OWNER_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation("owner_id", f"must be 1 to {OWNER_MAX_LENGTH} characters")
            )
        if not actor.is_agent:
            raise PermissionDenied("only service staff assign cases")
        if not actor.is_manager and (self.owner_id is not None or owner != actor.subject):
            raise PermissionDenied("an agent may only take an unassigned case for themselves")
        if not self.is_open:
            raise FailedPrecondition(f"a {self.status} case cannot be assigned: reopen it first")
        if owner == self.owner_id:
            raise FailedPrecondition(f"the case is assigned to {owner} already")
        self._assign(now, owner, AssignmentReason.MANUAL)

    def route_to(self, now: datetime, owner_id: str) -> None:
        """To the agent routing chose, on behalf of whoever opened or re-routed it."""
        if self.status is not CaseStatus.NEW or self.owner_id is not None:
            raise FailedPrecondition(f"a {self.status} case is not in the unassigned queue")
        self._assign(now, owner_id, AssignmentReason.ROUTED)

    def _assign(self, now: datetime, owner: str, reason: AssignmentReason) -> None:
        from_owner = self.owner_id
        self.owner_id = owner
        if self.status is CaseStatus.NEW:
            self.status = CaseStatus.ASSIGNED
        self._changed(now)
        self._events.append(CaseAssigned(self.snapshot(), from_owner, owner, reason))

    def start(self, actor: Actor, now: datetime) -> None:
        self._worked_by(actor, "start")
        allowed = (CaseStatus.ASSIGNED, CaseStatus.WAITING_ON_CUSTOMER)
        self._move(actor, now, allowed, CaseStatus.IN_PROGRESS)

    def wait_on_customer(self, actor: Actor, now: datetime) -> None:
        self._worked_by(actor, "put on hold")
        self._move(actor, now, (CaseStatus.IN_PROGRESS,), CaseStatus.WAITING_ON_CUSTOMER)

    def resolve(self, actor: Actor, now: datetime, resolution: str) -> None:
        self._worked_by(actor, "resolve")
        text = resolution.strip()
        if not text or len(text) > RESOLUTION_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation("resolution", f"must be 1 to {RESOLUTION_MAX_LENGTH} characters")
            )
        allowed = (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_ON_CUSTOMER)
        self._move(actor, now, allowed, CaseStatus.RESOLVED, reason=text)
        self.resolution, self.resolved_at = text, now

    def close(self, actor: Actor, now: datetime) -> None:
        self._worked_by(actor, "close")
        self._move(actor, now, (CaseStatus.RESOLVED,), CaseStatus.CLOSED)
        self.closed_at = now

    def close_unattended(self, actor: Actor, now: datetime, after: timedelta) -> bool:
        """A case resolved `after` ago or longer closes by itself (the jobs role); whether it
        did."""
        if self.status is not CaseStatus.RESOLVED or self.resolved_at is None:
            return False
        if now - self.resolved_at < after:
            return False
        self._move(actor, now, (CaseStatus.RESOLVED,), CaseStatus.CLOSED, reason="auto-closed")
        self.closed_at = now
        return True

    def reopen(self, actor: Actor, now: datetime, reason: str, window: timedelta) -> None:
        """The customer (their own case) or its agent, within `window` of the resolution."""
        if not (actor.is_customer or actor.is_agent):
            raise PermissionDenied("only the customer or service staff reopen a case")
        if actor.is_agent:
            self._worked_by(actor, "reopen")
        text = " ".join(reason.split())
        if not text or len(text) > REASON_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation("reason", f"must be 1 to {REASON_MAX_LENGTH} characters")
            )
        if self.status not in REOPENABLE:
            raise FailedPrecondition(f"a {self.status} case is open: nothing to reopen")
        if self.resolved_at is not None and now - self.resolved_at > window:
            raise FailedPrecondition(
                f"the case was resolved more than {window.days} days ago: open a new case"
            )
        self.reopen_count += 1
        self.resolution, self.resolved_at, self.closed_at = "", None, None
        target = CaseStatus.IN_PROGRESS if self.owner_id is not None else CaseStatus.NEW
        self._move(actor, now, tuple(REOPENABLE), target, reason=text)

    def add_message(
        self,
        actor: Actor,
        now: datetime,
        *,
        message_id: UUID,
        body: str,
        internal: bool,
        mail_id: str = "",
    ) -> CaseMessage:
        """`mail_id`: the Message-ID the reply goes out under, kept when it is mailed (staff's
        reply the customer sees, to a contact with an email address)."""
        text = body.strip()
        if not text or len(text) > TEXT_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation("body", f"must be 1 to {TEXT_MAX_LENGTH} characters")
            )
        if actor.is_customer and internal:
            raise PermissionDenied("internal notes are for service staff")
        if not (actor.is_customer or actor.is_agent):
            raise PermissionDenied("only the customer and service staff write on a case")
        if self.status is CaseStatus.CLOSED:
            raise FailedPrecondition("a closed case takes no messages: reopen it first")
        author = Actor(subject=actor.subject, kind=actor.kind)
        mailed = actor.is_agent and not internal and bool(self.contact.email)
        message = CaseMessage(
            message_id, author, text, internal, now, mail_id=mail_id if mailed else ""
        )
        self.messages.append(message)
        if actor.is_agent and not internal and self.first_response_at is None:
            self.first_response_at = now
        self._changed(now)
        self._events.append(CaseMessageAdded(self.snapshot(), message))
        if actor.is_customer and self.status is CaseStatus.WAITING_ON_CUSTOMER:
            # the customer answered: the case is the agent's to work again
            self.status = CaseStatus.IN_PROGRESS
            self._resumed(now)
            self._events.append(
                CaseStatusChanged(
                    self.snapshot(), CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.IN_PROGRESS, ""
                )
            )
        return message

    def add_mail(
        self,
        now: datetime,
        *,
        message_id: UUID,
        sender: str,
        body: str,
        mail_id: str,
        attachments: tuple[Attachment, ...] = (),
        known_customer: bool = True,
    ) -> CaseMessage:
        """A mail about the case, as the customer's reply. From an address other than the
        contact's, or from one no customer has (`known_customer`), it still lands in the
        thread, flagged; only the contact's own moves the case out of waiting on them."""
        if self.status is CaseStatus.CLOSED:
            raise FailedPrecondition("a closed case takes no messages: reopen it first")
        text = body.strip()[:TEXT_MAX_LENGTH] or "(no text)"
        known = bool(self.contact.email) and sender.lower() == self.contact.email
        author = Actor(subject=sender.lower(), kind=ActorKind.CUSTOMER)
        flagged = not (known and known_customer)
        message = CaseMessage(message_id, author, text, False, now, flagged, mail_id, attachments)
        self.messages.append(message)
        self._changed(now)
        self._events.append(CaseMessageAdded(self.snapshot(), message))
        if known and self.status is CaseStatus.WAITING_ON_CUSTOMER:
            self.status = CaseStatus.IN_PROGRESS
            self._resumed(now)
            self._events.append(
                CaseStatusChanged(
                    self.snapshot(), CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.IN_PROGRESS, ""
                )
            )
        return message

    def log_call(self, actor: Actor, now: datetime, *, message_id: UUID, call: Call) -> None:
        """A call with the contact, kept as an internal note (staff see it; the customer was
        on the line), by staff or the telephony system."""
        if not (actor.is_agent or actor.kind in MACHINES):
            raise PermissionDenied("only service staff and the telephony system log calls")
        if self.status is CaseStatus.CLOSED:
            raise FailedPrecondition("a closed case takes no messages: reopen it first")
        author = Actor(subject=actor.subject, kind=actor.kind)
        message = CaseMessage(message_id, author, call.summary, True, now)
        self.messages.append(message)
        self._changed(now)
        self._events.append(CaseMessageAdded(self.snapshot(), message))
        self._events.append(CallLogged(self.snapshot(), call))

    # -- rules ----------------------------------------------------------------------------------

    def _worked_by(self, actor: Actor, step: str) -> None:
        if not actor.is_agent:
            raise PermissionDenied(f"only service staff {step} a case")
        if actor.is_manager:
            return
        if self.owner_id is None:
            raise FailedPrecondition(f"an unassigned case must be taken before you {step} it")
        if self.owner_id != actor.subject:
            raise PermissionDenied(f"only the case's agent or a manager may {step} it")

    def _move(
        self,
        actor: Actor,
        now: datetime,
        allowed: tuple[CaseStatus, ...],
        target: CaseStatus,
        *,
        reason: str = "",
    ) -> None:
        if self.status not in allowed:
            raise FailedPrecondition(f"a {self.status} case cannot become {target}")
        from_status, self.status = self.status, target
        if target in PAUSING:
            self._paused(now)
        else:
            self._resumed(now)
        self._changed(now)
        self._events.append(CaseStatusChanged(self.snapshot(), from_status, target, reason))

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def reference_of(case_id: UUID) -> str:
    """The short reference quoted in mail subjects ("CS-1A2B3C4D")."""
    return REFERENCE_PREFIX + case_id.hex[:8].upper()


def _text(value: str, name: str, limit: int, violations: list[FieldViolation]) -> str:
    text = value.strip()
    if len(text) > limit:
        violations.append(FieldViolation(name, f"must be at most {limit} characters"))
    return text


# -- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseSnapshot:
    """A case as it stands after a change: what its events carry."""

    case: Case


@dataclass(frozen=True)
class CaseEvent:
    case: CaseSnapshot

    @property
    def subject_id(self) -> UUID:
        return self.case.case.id

    @property
    def version(self) -> int:
        return self.case.case.version


@dataclass(frozen=True)
class CaseOpened(CaseEvent):
    pass


@dataclass(frozen=True)
class CaseAssigned(CaseEvent):
    from_owner_id: str | None
    to_owner_id: str
    reason: AssignmentReason


@dataclass(frozen=True)
class CaseStatusChanged(CaseEvent):
    from_status: CaseStatus
    to_status: CaseStatus
    reason: str


@dataclass(frozen=True)
class CaseMessageAdded(CaseEvent):
    message: CaseMessage


@dataclass(frozen=True)
class SlaWarning(CaseEvent):
    clock: ClockView


@dataclass(frozen=True)
class SlaBreached(CaseEvent):
    clock: ClockView


@dataclass(frozen=True)
class CaseEscalated(CaseEvent):
    kind: ClockKind  # the clock whose breach escalated it
    manager_id: str  # "": the owner has no team manager


@dataclass(frozen=True)
class CallLogged(CaseEvent):
    call: Call
