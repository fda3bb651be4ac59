"""What the service handlers need from storage and from the customer service; adapters
provide it, unit tests fake it."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from crm_platform.paging import Cursor
from crm_platform.ports import Transaction

from crm_service.domain.calendar import CalendarSpec, WorkingCalendar
from crm_service.domain.cases import Case, CaseStatus, CaseType, Contact, Recognized
from crm_service.domain.knowledge import Article, Deflection, Feedback, Suggestion
from crm_service.domain.routing import Agent, AgentLoad, Team
from crm_service.domain.sla import Agreement

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

    def customer_of_contact(self, email: str) -> UUID | None:
        """The customer an earlier case of this contact email was recognized as."""
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
