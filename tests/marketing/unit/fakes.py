"""In-memory fakes of the marketing ports, for the unit tests."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from crm_marketing.domain.catalog import PriceList, Product
from crm_marketing.domain.forms import LeadForm, Submission
from crm_marketing.domain.values import Actor, ActorKind
from crm_platform.errors import AlreadyExists
from crm_platform.paging import Cursor

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MARKETER = Actor("marketer-1", ActorKind.STAFF, frozenset({"marketer"}))
REP = Actor("rep-1", ActorKind.STAFF, frozenset({"sales_rep"}))
SYSTEM = Actor("system", ActorKind.SYSTEM)


class FakeProducts:
    def __init__(self) -> None:
        self.rows: dict[UUID, Product] = {}

    def get(self, product_id: UUID) -> Product | None:
        return copy.deepcopy(self.rows.get(product_id))

    def by_code(self, code: str) -> Product | None:
        return next((copy.deepcopy(p) for p in self.rows.values() if p.code == code), None)

    def add(self, product: Product) -> None:
        if self.by_code(product.code) is not None:
            raise AlreadyExists(f"product code {product.code} is taken", existing_id="")
        self.rows[product.id] = product

    def save(self, product: Product) -> None:
        self.rows[product.id] = product

    def list(self, after: str | None, limit: int, *, active_only: bool) -> list[Product]:
        found = sorted(self.rows.values(), key=lambda p: p.code)
        found = [
            p for p in found if (after is None or p.code > after) and (p.active or not active_only)
        ]
        return found[:limit]


class FakePriceLists:
    def __init__(self) -> None:
        self.rows: dict[UUID, PriceList] = {}

    def get(self, price_list_id: UUID) -> PriceList | None:
        return copy.deepcopy(self.rows.get(price_list_id))

    def add(self, price_list: PriceList) -> None:
        self.rows[price_list.id] = price_list

    def save(self, price_list: PriceList) -> None:
        self.rows[price_list.id] = price_list

    def in_currency(self, currency: str) -> list[PriceList]:
        return [copy.deepcopy(p) for p in self.rows.values() if p.currency == currency]

    def list(self, currency: str | None, after: Cursor | None, limit: int) -> list[PriceList]:
        found = [p for p in self.rows.values() if currency is None or p.currency == currency]
        return sorted(found, key=lambda p: (p.created_at, p.id), reverse=True)[:limit]


class FakeTiers(dict[UUID, str]):
    def tier_of(self, customer_id: UUID) -> str | None:
        return self.get(customer_id)

    def set(self, customer_id: UUID, tier: str | None) -> None:
        if tier is None:
            self.pop(customer_id, None)
        else:
            self[customer_id] = tier


class FakeForms:
    def __init__(self) -> None:
        self.rows: dict[UUID, LeadForm] = {}

    def get(self, form_id: UUID) -> LeadForm | None:
        return copy.deepcopy(self.rows.get(form_id))

    def add(self, form: LeadForm) -> None:
        self.rows[form.id] = form

    def save(self, form: LeadForm) -> None:
        self.rows[form.id] = form

    def list(self, after: Cursor | None, limit: int) -> list[LeadForm]:
        return list(self.rows.values())[:limit]


class FakeSubmissions:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: list[Submission] = []
        self._uow = uow

    def add(self, submission: Submission) -> None:
        self.rows.append(submission)
        self._uow.seen.append(submission)

    def list(self, form_id: UUID, after: Cursor | None, limit: int) -> list[Submission]:
        return [s for s in self.rows if s.form_id == form_id][:limit]


class FakeUnitOfWork:
    """One store shared by every unit of work; `events` holds what committed units published."""

    def __init__(self) -> None:
        self.products = FakeProducts()
        self.price_lists = FakePriceLists()
        self.customer_tiers = FakeTiers()
        self.forms = FakeForms()
        self.submissions = FakeSubmissions(self)
        self.events: list[object] = []
        self.seen: list[Submission] = []
        self.commits = 0

    def __call__(self) -> Self:
        return self

    def __enter__(self) -> Self:
        self.seen = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        self.commits += 1
        aggregates = [
            *self.products.rows.values(),
            *self.price_lists.rows.values(),
            *self.seen,
        ]
        for aggregate in aggregates:
            self.events.extend(aggregate.pull_events())
