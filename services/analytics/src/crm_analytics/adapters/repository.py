"""Customer facts in the database, and the segment counts computed from them with GROUP BY."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crm_analytics.adapters.orm import customer_consents, customer_facts, customer_tags
from crm_analytics.domain.age import AGE_BAND_KEYS, UNKNOWN_AGE, YOUNGEST, age_band_cutoffs
from crm_analytics.domain.customer_facts import UNKNOWN, Consent, CustomerFacts
from crm_analytics.domain.segments import DemographicSegments, largest_first

_FIELDS = [column.name for column in customer_facts.columns]
_CONSENT_FIELDS = ["granted", "version"]
_COUNTED = sa.and_(
    customer_facts.c.registered_at.is_not(None), customer_facts.c.merged_into.is_(None)
)


class CustomerFactsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, customer_id: str) -> CustomerFacts | None:
        # Locked until commit: two consumer replicas never interleave on one customer.
        row = self.session.execute(
            sa.select(customer_facts)
            .where(customer_facts.c.customer_id == customer_id)
            .with_for_update()
        ).first()
        if row is None:
            return None
        tags = self.session.scalars(
            sa.select(customer_tags.c.tag).where(customer_tags.c.customer_id == customer_id)
        )
        consents = self.session.execute(
            sa.select(customer_consents).where(customer_consents.c.customer_id == customer_id)
        )
        return CustomerFacts(
            **row._mapping,
            tags=frozenset(tags),
            consents={c.channel: Consent(c.granted, c.version) for c in consents},
        )

    def save(self, facts: CustomerFacts) -> None:
        values = {name: getattr(facts, name) for name in _FIELDS}
        statement = self._insert(customer_facts).values(**values)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[customer_facts.c.customer_id],
                set_={name: statement.excluded[name] for name in _FIELDS[1:]},
            )
        )
        self.session.execute(
            sa.delete(customer_tags).where(customer_tags.c.customer_id == facts.customer_id)
        )
        if facts.tags:
            self.session.execute(
                sa.insert(customer_tags),
                [{"customer_id": facts.customer_id, "tag": tag} for tag in sorted(facts.tags)],
            )
        for channel, consent in facts.consents.items():
            upsert = self._insert(customer_consents).values(
                customer_id=facts.customer_id,
                channel=channel,
                granted=consent.granted,
                version=consent.version,
            )
            self.session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[customer_consents.c.customer_id, customer_consents.c.channel],
                    set_={name: upsert.excluded[name] for name in _CONSENT_FIELDS},
                )
            )

    def clear(self) -> None:
        for table in (customer_consents, customer_tags, customer_facts):
            self.session.execute(sa.delete(table))

    def demographic_segments(self, today: date) -> DemographicSegments:
        if self._dialect == "postgresql" and not self.session.in_transaction():
            # One snapshot for every count, so the segments add up to the total.
            self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        table = customer_facts.c
        blacklisted = self._scalar(
            sa.select(sa.func.count()).where(_COUNTED, table.blacklisted.is_(True))
        )
        merged = self._scalar(sa.select(sa.func.count()).where(table.merged_into.is_not(None)))
        as_of = self.session.execute(sa.select(sa.func.max(table.last_event_at))).scalar_one()
        regions = self._count_by(table.region)
        ages = dict.fromkeys(AGE_BAND_KEYS, 0)
        ages.update(self._count_by(self._age_band(today)))
        return DemographicSegments(
            total_customers=sum(regions.values()),  # every counted customer has one region key
            by_region=largest_first(regions),
            by_gender=largest_first(self._count_by(table.gender)),
            by_age_band=list(ages.items()),
            by_source=largest_first(self._count_by(table.acquisition_source)),
            blacklisted_customers=blacklisted,
            merged_customers=merged,
            as_of=as_of,
        )

    @staticmethod
    def _age_band(today: date) -> sa.ColumnElement[Any]:
        return age_band_of(today)

    def _count_by(self, key: sa.ColumnElement[Any]) -> dict[str, int]:
        # Grouped in a subquery: PostgreSQL would not match a GROUP BY on an expression with
        # bound parameters (the age band) to the same expression in the select list.
        keyed = sa.select(key.label("key")).where(_COUNTED).subquery()
        rows: Iterable[Any] = self.session.execute(
            sa.select(keyed.c.key, sa.func.count()).group_by(keyed.c.key)
        )
        counts: Counter[str] = Counter()
        for key_value, count in rows:
            counts[key_value or UNKNOWN] += count
        return dict(counts)

    def _scalar(self, statement: sa.Select[Any]) -> int:
        return int(self.session.execute(statement).scalar_one())

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _insert(self, table: sa.Table) -> Any:
        return (pg_insert if self._dialect == "postgresql" else sqlite_insert)(table)


def age_band_of(today: date) -> sa.ColumnElement[Any]:
    """A customer's age band as of `today`, in SQL (what domain.age.age_band computes)."""
    birth_date = customer_facts.c.birth_date
    return sa.case(
        (birth_date.is_(None), UNKNOWN_AGE),
        *((birth_date <= cutoff, band) for band, cutoff in age_band_cutoffs(today)),
        else_=YOUNGEST,
    )
