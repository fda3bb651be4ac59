"""In-memory stand-ins for the customer service's storage, with transaction semantics: what a
unit of work does is visible to the next one only after it commits; as the chassis' unit of
work, it collects the events of every customer read or added at commit, by the principal of
the context."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from crm_customer.adapters.messages import actor_from_proto
from crm_customer.domain.events import DomainEvent
from crm_customer.domain.loyalty import LoyaltyAccount
from crm_customer.domain.model import Customer
from crm_customer.domain.values import Actor, Interaction
from crm_customer.service_layer.ports import CustomerFilters
from crm_platform import context
from crm_platform.paging import Cursor


@dataclass
class Store:
    customers: dict[UUID, Customer] = field(default_factory=dict)
    interactions: dict[UUID, Interaction] = field(default_factory=dict)
    keys: dict[str, UUID] = field(default_factory=dict)
    loyalty: dict[UUID, LoyaltyAccount] = field(default_factory=dict)
    published: list[tuple[DomainEvent, Actor]] = field(default_factory=list)
    commits: int = 0


class FakeCustomers:
    def __init__(self, rows: dict[UUID, Customer], track: Callable[[Customer], None]) -> None:
        self.rows = rows
        self.track = track

    def get(self, customer_id: UUID) -> Customer | None:
        found = self.rows.get(customer_id)
        return self._loaded(found)

    def find_by_email(self, email: str) -> Customer | None:
        return self._live_first([c for c in self.rows.values() if c.profile.email == email])

    def find_by_phone(self, phone: str) -> Customer | None:
        return self._live_first([c for c in self.rows.values() if c.profile.phone == phone])

    def add(self, customer: Customer) -> None:
        assert customer.id not in self.rows
        self.rows[customer.id] = _stored(customer)
        self.track(customer)

    def save(self, customer: Customer) -> None:
        assert customer.id in self.rows
        self.rows[customer.id] = _stored(customer)

    def list_live(
        self, filters: CustomerFilters, after: Cursor | None, limit: int
    ) -> list[Customer]:
        found = [
            c
            for c in self.rows.values()
            if c.merged_into_id is None
            and (not filters.region or (c.profile.region or "").lower() == filters.region.lower())
            and (not filters.tag or filters.tag in c.profile.tags)
            and (filters.source is None or c.profile.acquisition_source == filters.source)
            and (filters.partner_id is None or c.profile.partner_id == filters.partner_id)
            and (after is None or (c.created_at, c.id) > after)
        ]
        found.sort(key=lambda c: (c.created_at, c.id))
        return [copy.deepcopy(c) for c in found[:limit]]

    def _live_first(self, found: list[Customer]) -> Customer | None:
        found.sort(key=lambda c: c.merged_into_id is not None)
        return self._loaded(found[0] if found else None)

    def _loaded(self, stored: Customer | None) -> Customer | None:
        if stored is None:
            return None
        customer = copy.deepcopy(stored)
        self.track(customer)
        return customer


class FakeInteractions:
    def __init__(self, rows: dict[UUID, Interaction]) -> None:
        self.rows = rows

    def add(self, interaction: Interaction) -> None:
        self.rows[interaction.id] = interaction

    def exists(self, interaction_id: UUID) -> bool:
        return interaction_id in self.rows

    def list_for(self, customer_id: UUID, before: Cursor | None, limit: int) -> list[Interaction]:
        found = [
            i
            for i in self.rows.values()
            if i.customer_id == customer_id and (before is None or (i.occurred_at, i.id) < before)
        ]
        found.sort(key=lambda i: (i.occurred_at, i.id), reverse=True)
        return found[:limit]

    def reassign(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        for interaction_id, interaction in list(self.rows.items()):
            if interaction.customer_id == from_customer_id:
                self.rows[interaction_id] = replace(interaction, customer_id=to_customer_id)


class FakeLoyalty:
    """The loyalty accounts (what a merge moves between them; the ledger is the domain's)."""

    def __init__(self, rows: dict[UUID, LoyaltyAccount]) -> None:
        self.rows = rows

    def get(self, customer_id: UUID, *, for_update: bool = False) -> LoyaltyAccount:
        return copy.deepcopy(self.rows.get(customer_id, LoyaltyAccount(customer_id)))

    def save(self, account: LoyaltyAccount) -> None:
        self.rows[account.customer_id] = copy.deepcopy(account)


class FakeIdempotencyKeys:
    def __init__(self, rows: dict[str, UUID]) -> None:
        self.rows = rows

    def claim(self, key: str, customer_id: UUID, *, now: datetime) -> UUID | None:
        if key in self.rows:
            return self.rows[key]
        self.rows[key] = customer_id
        return None


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Self:
        self._customers = dict(self.store.customers)
        self._interactions = dict(self.store.interactions)
        self._keys = dict(self.store.keys)
        self._loyalty = dict(self.store.loyalty)
        self._seen: list[Customer] = []
        self.customers = FakeCustomers(self._customers, self._seen.append)
        self.interactions = FakeInteractions(self._interactions)
        self.idempotency_keys = FakeIdempotencyKeys(self._keys)
        self.loyalty = FakeLoyalty(self._loyalty)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Whatever was not committed is dropped with the working copies."""

    def commit(self) -> None:
        actor = actor_from_proto(context.principal.get().as_actor())
        events = [event for customer in self._seen for event in customer.pull_events()]
        self.store.customers = dict(self._customers)
        self.store.interactions = dict(self._interactions)
        self.store.keys = dict(self._keys)
        self.store.loyalty = dict(self._loyalty)
        self.store.published.extend((event, actor) for event in events)
        self.store.commits += 1


def _stored(customer: Customer) -> Customer:
    stored = copy.deepcopy(customer)
    stored.events = []
    return stored
