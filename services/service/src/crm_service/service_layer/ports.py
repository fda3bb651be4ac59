"""What the service handlers need from storage and from the customer service; adapters
provide it, unit tests fake it."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from crm_platform.calendar import CalendarSpec, WorkingCalendar
from crm_platform.paging import Cursor
from crm_platform.ports import Transaction

from crm_service.domain.care import CareOccasion, CareTask
from crm_service.domain.cases import Case, CaseStatus, CaseType, Contact, Recognized
from crm_service.domain.contacts import CustomerContact
from crm_service.domain.knowledge import Article, Deflection, Feedback, Suggestion
from crm_service.domain.outbound import OutboundMail
from crm_service.domain.routing import Agent, AgentLoad, Team
from crm_service.domain.sla import Agreement
from crm_service.domain.surveys import Survey

if TYPE_CHECKING:  # visibility.py reads TeamDirectory from here
    from crm_service.service_layer.visibility import Scope


@dataclass(frozen=True)
class CaseFilters:
    scope: Scope  # what the caller may see
    status: CaseStatus | None = None
    owner_id: str | None = None
    unassigned: bool = False
    customer_id: UUID | None = None


class CaseRepository(Protocol):
    def get(self, case_id: UUID) -> Case | None: ...

    def add(self, case: Case) -> None: ...

    def save(self, case: Case) -> None: ...

    def list(self, filters: CaseFilters, after: Cursor | None, limit: int) -> list[Case]: ...

    def find_by_reference(self, reference: str) -> Case | None: ...

    def find_by_mail(self, mail_ids: builtins.list[str]) -> Case | None:
        """The case a mail with one of these Message-IDs went to."""
        ...

    def resolved_before(self, moment: datetime, limit: int) -> builtins.list[UUID]:
        """The ids of cases resolved before `moment` and still resolved, oldest first."""
        ...

    def latest_open_of(self, customer_id: UUID | None, phone: str) -> Case | None:
        """The newest open case of the customer (None: of a contact with this phone)."""
        ...

    def with_running_clocks(self, after: Cursor | None, limit: int) -> builtins.list[Case]:
        """The open cases with a clock not breached yet, oldest first, after `after` (their
        created_at and id)."""
        ...


class Agreements(Protocol):
    """The service agreements; a second one for the same customer and order reference is
    AlreadyExists."""

    def get(self, agreement_id: UUID) -> Agreement | None: ...

    def of_customer(self, customer_id: UUID) -> list[Agreement]: ...

    def list(
        self, customer_id: UUID | None, after: Cursor | None, limit: int
    ) -> builtins.list[Agreement]:
        """Oldest first."""
        ...

    def add(self, agreement: Agreement) -> None: ...

    def save(self, agreement: Agreement) -> None: ...


class Knowledge(Protocol):
    """The articles with their published versions, feedback and suggested answers."""

    def get(self, article_id: UUID) -> Article | None: ...

    def many(self, article_ids: builtins.list[UUID]) -> builtins.list[Article]:
        """In the order asked; ids of no article are left out."""
        ...

    def list(
        self, published_only: bool, category: str, after: Cursor | None, limit: int
    ) -> builtins.list[Article]:
        """Oldest first."""
        ...

    def add(self, article: Article) -> None: ...

    def save(self, article: Article) -> bool:
        """True when the change published a new version."""
        ...

    def put_feedback(self, article_id: UUID, reader: str, helpful: bool, now: datetime) -> None:
        """The reader's answer, replacing any earlier one."""
        ...

    def feedback_of(self, article_ids: builtins.list[UUID]) -> dict[UUID, Feedback]: ...

    def add_suggestion(self, suggestion: Suggestion) -> None: ...

    def suggestion(self, suggestion_id: UUID) -> Suggestion | None: ...

    def save_suggestion(self, suggestion: Suggestion) -> None:
        """Solved once: a second marking, even concurrent, is a Conflict."""
        ...

    def deflection(self, since: datetime | None) -> Deflection: ...


class ArticleSearch(Protocol):
    """The full-text index of the published articles."""

    def index(self, article: Article) -> None:
        """The article's published version, replacing what was indexed of it."""
        ...

    def search(
        self, terms: builtins.list[str], category: str, limit: int
    ) -> builtins.list[tuple[UUID, float]]:
        """Article ids matching any of `terms` (in `category`, "" any), best first, with
        their rank (higher is better)."""
        ...


# A working calendar for its spec, with its country's holidays (ValidationFailed: no such
# country)
Calendars = Callable[[CalendarSpec], WorkingCalendar]


class Customers(Protocol):
    """The customer service, asked with the caller's own token: who a contact is. Raises
    `Unavailable` when it does not answer in time (then nothing may change)."""

    def recognize(self, contact: Contact) -> Recognized: ...


class TeamDirectory(Protocol):
    """Who works with whom: what service_layer/visibility.py needs of the service teams."""

    def colleagues_of(self, subject: str) -> frozenset[str]:
        """The agents whose cases `subject` sees through their teams: the members of each team
        they belong to, and of each team they manage."""
        ...


class Routing(Protocol):
    """Teams, agents with their open cases, required skills and the round-robin cursors."""

    def add_team(self, team: Team) -> None: ...

    def team(self, team_id: UUID) -> Team | None: ...

    def teams(self) -> list[Team]: ...

    def agent(self, user_id: str) -> Agent | None: ...

    def put_agent(self, agent: Agent) -> None: ...

    def loads(self, team_id: UUID | None = None) -> list[AgentLoad]: ...

    def required_skills(self) -> dict[CaseType, str]: ...

    def set_required_skill(self, case_type: CaseType, skill: str) -> None: ...

    def lock_cursor(self, skill: str) -> str | None:
        """The cursor of `skill`, locked until the transaction ends."""
        ...

    def advance_cursor(self, skill: str, user_id: str) -> None: ...


class OutboundMailbox(Protocol):
    """The mail the service sends, queued with the change that caused it."""

    def add(self, mail: OutboundMail) -> None: ...

    def get(self, mail_id: UUID) -> OutboundMail | None: ...

    def save(self, mail: OutboundMail) -> None: ...

    def due(self, now: datetime, limit: int) -> builtins.list[OutboundMail]:
        """Queued mail whose time has come, locked for this transaction (skipping what another
        sender holds), oldest first."""
        ...

    def claimed_before(self, moment: datetime) -> builtins.list[OutboundMail]:
        """Mail claimed for sending before `moment` and never settled, locked."""
        ...

    def of_case(self, case_id: UUID) -> builtins.list[OutboundMail]:
        """Oldest first."""
        ...


class CustomerContacts(Protocol):
    """The copy of the customers' contact details (domain/contacts.py)."""

    def get(self, customer_id: UUID) -> CustomerContact | None: ...

    def put(self, contact: CustomerContact) -> None:
        """Stored unless the copy holds a newer version of the customer already."""
        ...

    def by_email(self, email: str) -> CustomerContact | None:
        """The customer (not a merged loser) with this lowercase email."""
        ...

    def by_phone(self, phone: str) -> CustomerContact | None:
        """The customer (not a merged loser) with this E.164 phone."""
        ...

    def celebrating(self, month: int, day: int) -> builtins.list[CustomerContact]:
        """The customers (not merged losers) born, or customers since, on this day of the
        year (and on 29 February when `day` is the 28th of a February)."""
        ...

    def clear(self) -> None: ...


class Surveys(Protocol):
    """One satisfaction survey per case; a stale version on save is a Conflict."""

    def add(self, survey: Survey) -> None: ...

    def get(self, survey_id: UUID) -> Survey | None: ...

    def of_case(self, case_id: UUID) -> Survey | None: ...

    def save(self, survey: Survey) -> None: ...

    def answered_since(self, since: datetime | None) -> builtins.list[Survey]: ...


class SurveyLinks(Protocol):
    """The signed links of the survey mail: unguessable, unchangeable."""

    def url(self, survey_id: UUID) -> str: ...

    def read(self, token: str) -> UUID | None:
        """The survey a token names; None: no token of ours."""
        ...


class CareTasks(Protocol):
    def has(self, customer_id: UUID, occasion: CareOccasion, year: int) -> bool: ...

    def add(self, task: CareTask) -> None:
        """A second task for the same customer, occasion and year, even concurrent, is
        AlreadyExists."""
        ...

    def of_owner(self, owner_id: str, after: Cursor | None, limit: int) -> builtins.list[CareTask]:
        """Newest first (created_at, id)."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction: the cases' changes and their events commit together."""

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def teams(self) -> TeamDirectory: ...

    @property
    def routing(self) -> Routing: ...

    @property
    def agreements(self) -> Agreements: ...

    @property
    def knowledge(self) -> Knowledge: ...

    @property
    def search(self) -> ArticleSearch: ...

    @property
    def outbound(self) -> OutboundMailbox: ...

    @property
    def contacts(self) -> CustomerContacts: ...

    @property
    def surveys(self) -> Surveys: ...

    @property
    def care(self) -> CareTasks: ...
