"""Repositories over SQLAlchemy Core: rows in, aggregates out, and back.

Unique-index violations become AlreadyExists (the dedupe check lost a race with a concurrent
transaction); a stale version becomes Conflict. Writes that may violate an index run in a
savepoint, so the transaction stays usable for finding the record that won.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import AlreadyExists, Conflict
from crm_platform.paging import Cursor
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_customer.adapters.orm import (
    customer_consents,
    customer_tags,
    customers,
    erasures,
    idempotency_keys,
    interactions,
)
from crm_customer.domain.model import Customer
from crm_customer.domain.values import (
    AcquisitionSource,
    Actor,
    ActorKind,
    Consent,
    ConsentChannel,
    Gender,
    Interaction,
    InteractionChannel,
    PartyKind,
    Profile,
)
from crm_customer.service_layer.ports import CustomerFilters

# How people write phone numbers; stripped so "(415) 555" finds +1415555....
_PHONE_PUNCTUATION = re.compile(r"[\s+\-().]")
_LIVE_FIRST = (
    sa.case((customers.c.merged_into_id.is_(None), 0), else_=1),
    customers.c.updated_at.desc(),
)


@dataclass(frozen=True)
class _Stored:
    """What the database holds of a record, as this transaction last read or wrote it."""

    version: int
    tags: frozenset[str]
    consents: Mapping[ConsentChannel, Consent]

    @classmethod
    def of(cls, customer: Customer) -> _Stored:
        return cls(customer.version, frozenset(customer.profile.tags), dict(customer.consents))


class SqlCustomerRepository:
    def __init__(self, session: Session, track: Callable[[Customer], None]) -> None:
        self.session = session
        # the unit of work's: it collects the events of every record read or added here
        self._track = track
        # Each record as read (or last written) in this transaction: the version the write
        # checks, and the tags and consents it compares against to write only what changed.
        self._loaded: dict[UUID, _Stored] = {}

    def get(self, customer_id: UUID) -> Customer | None:
        return self._first(sa.select(customers).where(customers.c.id == customer_id))

    def find_by_email(self, email: str) -> Customer | None:
        return self._first(
            sa.select(customers).where(customers.c.email == email).order_by(*_LIVE_FIRST).limit(1)
        )

    def find_by_phone(self, phone: str) -> Customer | None:
        return self._first(
            sa.select(customers).where(customers.c.phone == phone).order_by(*_LIVE_FIRST).limit(1)
        )

    def add(self, customer: Customer) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(sa.insert(customers).values(_customer_values(customer)))
                self._insert_tags(customer.id, customer.profile.tags)
                self._insert_consents(customer.id, customer.consents.values())
        except IntegrityError:
            self._raise_duplicate(customer)
            raise
        self._loaded[customer.id] = _Stored.of(customer)
        self._track(customer)

    def save(self, customer: Customer) -> None:
        loaded = self._loaded[customer.id]
        try:
            with self.session.begin_nested():
                result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
                    sa.update(customers)
                    .where(customers.c.id == customer.id)
                    .where(customers.c.version == loaded.version)
                    .values(_customer_values(customer))
                )
                if result.rowcount != 1:
                    raise Conflict(f"customer {customer.id} was changed concurrently; retry")
                self._save_tags(customer, loaded.tags)
                self._save_consents(customer, loaded.consents)
        except IntegrityError:
            self._raise_duplicate(customer)
            raise
        self._loaded[customer.id] = _Stored.of(customer)

    def list_live(
        self, filters: CustomerFilters, after: Cursor | None, limit: int
    ) -> list[Customer]:
        statement = sa.select(customers).where(customers.c.merged_into_id.is_(None))
        if filters.region:
            statement = statement.where(
                sa.func.lower(customers.c.region) == sa.func.lower(filters.region)
            )
        if filters.tag:
            statement = statement.where(
                customers.c.id.in_(
                    sa.select(customer_tags.c.customer_id).where(customer_tags.c.tag == filters.tag)
                )
            )
        if filters.source is not None:
            statement = statement.where(customers.c.acquisition_source == filters.source.value)
        if filters.query:
            statement = statement.where(_text_match(filters.query))
        if filters.partner_id is not None:
            statement = statement.where(customers.c.partner_id == filters.partner_id)
        if after is not None:
            created_at, customer_id = after
            statement = statement.where(
                sa.tuple_(customers.c.created_at, customers.c.id)
                > sa.tuple_(
                    sa.literal(created_at, customers.c.created_at.type),
                    sa.literal(customer_id, customers.c.id.type),
                )
            )
        statement = statement.order_by(customers.c.created_at, customers.c.id).limit(limit)
        return self._hydrate(self.session.execute(statement).all())

    def duplicate_candidates(self, customer: Customer, limit: int) -> list[Customer]:
        live = sa.select(customers).where(
            customers.c.merged_into_id.is_(None),
            customers.c.id != customer.id,
            # an erased record is nobody's duplicate any more (its name is the erasure marker)
            customers.c.id.not_in(sa.select(erasures.c.customer_id)),
        )
        newest = (customers.c.created_at.desc(), customers.c.id.desc())
        lookups = [
            live.where(sa.func.lower(customers.c.name) == customer.profile.name.lower())
            .order_by(*newest)
            .limit(limit)
        ]
        if customer.profile.city:
            lookups.append(
                live.where(sa.func.lower(customers.c.city) == customer.profile.city.lower())
                .order_by(*newest)
                .limit(limit)
            )
        ids = {
            row.id
            for lookup in lookups
            for row in self.session.execute(lookup.with_only_columns(customers.c.id))
        }
        if not ids:
            return []
        return self._hydrate(
            self.session.execute(sa.select(customers).where(customers.c.id.in_(ids))).all()
        )

    def _first(self, statement: sa.Select[Any]) -> Customer | None:
        found = self._hydrate(self.session.execute(statement).all())
        return found[0] if found else None

    def _hydrate(self, rows: Sequence[sa.Row[Any]]) -> list[Customer]:
        if not rows:
            return []
        tags: dict[UUID, list[str]] = defaultdict(list)
        consents: dict[UUID, dict[ConsentChannel, Consent]] = defaultdict(dict)
        for detail in self.session.execute(_details([row.id for row in rows])):
            if detail.granted is None:  # a tag row
                tags[detail.customer_id].append(detail.name)
            else:
                channel = ConsentChannel(detail.name)
                consents[detail.customer_id][channel] = Consent(
                    channel, detail.granted, detail.updated_at
                )
        result = [_customer(row, tags[row.id], consents[row.id]) for row in rows]
        for customer in result:
            self._loaded[customer.id] = _Stored.of(customer)
            self._track(customer)
        return result

    def _insert_tags(self, customer_id: UUID, tags: Iterable[str]) -> None:
        values = [{"customer_id": customer_id, "tag": tag} for tag in tags]
        if values:
            self.session.execute(sa.insert(customer_tags), values)

    def _insert_consents(self, customer_id: UUID, consents: Iterable[Consent]) -> None:
        values = [_consent_values(customer_id, consent) for consent in consents]
        if values:
            self.session.execute(sa.insert(customer_consents), values)

    def _save_tags(self, customer: Customer, stored: frozenset[str]) -> None:
        tags = set(customer.profile.tags)
        removed = stored - tags
        if removed:
            self.session.execute(
                sa.delete(customer_tags)
                .where(customer_tags.c.customer_id == customer.id)
                .where(customer_tags.c.tag.in_(removed))
            )
        self._insert_tags(customer.id, sorted(tags - stored))

    def _save_consents(self, customer: Customer, stored: Mapping[ConsentChannel, Consent]) -> None:
        for channel, consent in customer.consents.items():
            before = stored.get(channel)
            if before == consent:
                continue
            if before is None:
                self._insert_consents(customer.id, [consent])
            else:
                self.session.execute(
                    sa.update(customer_consents)
                    .where(customer_consents.c.customer_id == customer.id)
                    .where(customer_consents.c.channel == channel.value)
                    .values(granted=consent.granted, updated_at=consent.updated_at)
                )

    def _raise_duplicate(self, customer: Customer) -> None:
        """Raise AlreadyExists for the live record holding the email or phone, if there is one."""
        for label, value, column in (
            ("email", customer.profile.email, customers.c.email),
            ("phone", customer.profile.phone, customers.c.phone),
        ):
            if value is None:
                continue
            other = self.session.execute(
                sa.select(customers.c.id)
                .where(column == value)
                .where(customers.c.merged_into_id.is_(None))
                .where(customers.c.id != customer.id)
            ).scalar()
            if other is not None:
                raise AlreadyExists(
                    f"customer {other} already has this {label}", existing_id=str(other)
                ) from None


class SqlInteractionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, interaction: Interaction) -> None:
        self.session.execute(
            sa.insert(interactions).values(
                id=interaction.id,
                customer_id=interaction.customer_id,
                channel=interaction.channel.value,
                summary=interaction.summary,
                occurred_at=interaction.occurred_at,
                actor_subject=interaction.actor.subject,
                actor_kind=interaction.actor.kind.value,
                recorded_at=interaction.recorded_at,
            )
        )

    def exists(self, interaction_id: UUID) -> bool:
        found = self.session.execute(
            sa.select(interactions.c.id).where(interactions.c.id == interaction_id)
        ).first()
        return found is not None

    def list_for(self, customer_id: UUID, before: Cursor | None, limit: int) -> list[Interaction]:
        statement = sa.select(interactions).where(interactions.c.customer_id == customer_id)
        if before is not None:
            occurred_at, interaction_id = before
            statement = statement.where(
                sa.tuple_(interactions.c.occurred_at, interactions.c.id)
                < sa.tuple_(
                    sa.literal(occurred_at, interactions.c.occurred_at.type),
                    sa.literal(interaction_id, interactions.c.id.type),
                )
            )
        statement = statement.order_by(
            interactions.c.occurred_at.desc(), interactions.c.id.desc()
        ).limit(limit)
        return [
            Interaction(
                id=row.id,
                customer_id=row.customer_id,
                channel=InteractionChannel(row.channel),
                summary=row.summary,
                occurred_at=row.occurred_at,
                actor=Actor(row.actor_subject, ActorKind(row.actor_kind)),
                recorded_at=row.recorded_at,
            )
            for row in self.session.execute(statement)
        ]

    def reassign(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        self.session.execute(
            sa.update(interactions)
            .where(interactions.c.customer_id == from_customer_id)
            .values(customer_id=to_customer_id)
        )


class SqlIdempotencyKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, key: str, customer_id: UUID, *, now: datetime) -> UUID | None:
        earlier = self._customer_for(key)
        if earlier is not None:
            return earlier
        try:
            with self.session.begin_nested():
                self.session.execute(
                    sa.insert(idempotency_keys).values(
                        key=key, customer_id=customer_id, created_at=now
                    )
                )
        except IntegrityError:
            # A concurrent request with the same key committed first.
            return self._customer_for(key)
        return None

    def _customer_for(self, key: str) -> UUID | None:
        found: UUID | None = self.session.execute(
            sa.select(idempotency_keys.c.customer_id).where(idempotency_keys.c.key == key)
        ).scalar()
        return found


def _customer_values(customer: Customer) -> dict[str, Any]:
    profile = customer.profile
    return {
        "id": customer.id,
        "kind": profile.kind.value,
        "name": profile.name,
        "email": profile.email,
        "phone": profile.phone,
        "region": profile.region,
        "city": profile.city,
        "birth_date": profile.birth_date,
        "gender": profile.gender.value if profile.gender else None,
        "preferences": dict(profile.preferences),
        "acquisition_source": (
            profile.acquisition_source.value if profile.acquisition_source else None
        ),
        "owner_id": profile.owner_id,
        "partner_id": profile.partner_id,
        "blacklisted": customer.blacklisted,
        "blacklist_reason": customer.blacklist_reason,
        "merged_into_id": customer.merged_into_id,
        "version": customer.version,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


def _consent_values(customer_id: UUID, consent: Consent) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "channel": consent.channel.value,
        "granted": consent.granted,
        "updated_at": consent.updated_at,
    }


def _details(ids: list[UUID]) -> sa.CompoundSelect[Any]:
    """The consents and tags of the customers, in one round trip (a tag row has no grant)."""
    return sa.union_all(
        sa.select(
            customer_consents.c.customer_id,
            customer_consents.c.channel.label("name"),
            customer_consents.c.granted,
            customer_consents.c.updated_at,
        ).where(customer_consents.c.customer_id.in_(ids)),
        sa.select(
            customer_tags.c.customer_id,
            customer_tags.c.tag.label("name"),
            sa.null().label("granted"),
            sa.null().label("updated_at"),
        ).where(customer_tags.c.customer_id.in_(ids)),
    )


def _customer(
    row: sa.Row[Any], tags: list[str], consents: dict[ConsentChannel, Consent]
) -> Customer:
    return Customer(
        id=row.id,
        profile=Profile(
            kind=PartyKind(row.kind),
            name=row.name,
            email=row.email,
            phone=row.phone,
            region=row.region,
            city=row.city,
            birth_date=row.birth_date,
            gender=Gender(row.gender) if row.gender else None,
            tags=tuple(sorted(tags)),
            preferences=dict(row.preferences),
            acquisition_source=(
                AcquisitionSource(row.acquisition_source) if row.acquisition_source else None
            ),
            owner_id=row.owner_id,
            partner_id=row.partner_id,
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        blacklisted=row.blacklisted,
        blacklist_reason=row.blacklist_reason,
        merged_into_id=row.merged_into_id,
        consents=consents,
    )


def _text_match(query: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring of name or email; a number-like query also within the phone."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = sa.func.lower(sa.literal(f"%{escaped}%"))
    conditions = [
        sa.func.lower(customers.c.name).like(pattern, escape="\\"),
        sa.func.lower(customers.c.email).like(pattern, escape="\\"),
    ]
    digits = _PHONE_PUNCTUATION.sub("", query)
    if digits.isdigit():
        conditions.append(customers.c.phone.like(f"%{digits}%"))
    return sa.or_(*conditions)
