"""What the service handlers need from storage and from the customer service; adapters
provide it, unit tests fake it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from crm_platform.paging import Cursor
from crm_platform.ports import Transaction

from crm_service.domain.cases import Case, CaseStatus, CaseType, Contact, Recognized
from crm_service.domain.routing import Agent, AgentLoad, Team

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
