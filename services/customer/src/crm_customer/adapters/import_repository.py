"""Import jobs over SQLAlchemy Core: the uploaded file with its progress, the importer's lease,
and the journal that records a batch's progress and rejections in the batch's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from crm_customer.adapters.orm import customer_import_rejections, customer_imports
from crm_customer.domain.imports import CustomerImport, ImportStatus, LeaseLost
from crm_customer.domain.values import Actor, ActorKind
from crm_customer.service_layer.importing import WrittenBatch

_UNFINISHED = customer_imports.c.status != ImportStatus.DONE.value


class SqlImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: CustomerImport, content: str) -> None:
        self.session.execute(
            sa.insert(customer_imports).values(
                **_progress_values(job),
                id=job.id,
                file_name=job.file_name,
                actor_subject=job.actor.subject,
                actor_kind=job.actor.kind.value,
                correlation_id=job.correlation_id,
                content=content,
                total=job.total,
                created_at=job.created_at,
            )
        )

    def get(self, import_id: UUID) -> CustomerImport | None:
        row = self.session.execute(
            sa.select(*_JOB_COLUMNS).where(customer_imports.c.id == import_id)
        ).first()
        return None if row is None else _job(row)

    def content(self, import_id: UUID) -> str:
        found: str = self.session.execute(
            sa.select(customer_imports.c.content).where(customer_imports.c.id == import_id)
        ).scalar_one()
        return found

    def rejections(self, import_id: UUID) -> list[tuple[int, str]]:
        rows = self.session.execute(
            sa.select(customer_import_rejections.c.line, customer_import_rejections.c.reason)
            .where(customer_import_rejections.c.import_id == import_id)
            .order_by(customer_import_rejections.c.line)
        )
        return [(row.line, row.reason) for row in rows]

    def claim_next(self, claim: UUID, *, now: datetime, lease_until: datetime) -> UUID | None:
        lease = customer_imports.c.lease_until
        free = sa.or_(lease.is_(None), lease < now)
        found: UUID | None = self.session.execute(
            sa.select(customer_imports.c.id)
            .where(_UNFINISHED, free)
            .order_by(customer_imports.c.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if found is None:
            return None
        self.session.execute(
            sa.update(customer_imports)
            .where(customer_imports.c.id == found)
            .values(claim=claim, lease_until=lease_until)
        )
        return found

    def save(self, job: CustomerImport, claim: UUID) -> None:
        _save(self.session.connection(), job, claim)

    def release(self, import_id: UUID, claim: UUID) -> None:
        self.session.execute(
            sa.update(customer_imports)
            .where(customer_imports.c.id == import_id, customer_imports.c.claim == claim)
            .values(lease_until=None)
        )


class SqlImportJournal:
    """A job's batches, recorded by the bulk store in each batch's own transaction: the row
    locked, the lease checked and renewed, the progress and the rejections written."""

    def __init__(
        self,
        import_id: UUID,
        claim: UUID,
        *,
        lease: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.import_id = import_id
        self.claim = claim
        self.lease = lease
        self.clock = clock

    def __call__(self, connection: Connection, batch: WrittenBatch) -> None:
        row = connection.execute(
            sa.select(*_JOB_COLUMNS, customer_imports.c.claim)
            .where(customer_imports.c.id == self.import_id)
            .with_for_update()
        ).one()
        if row.claim != self.claim:
            raise LeaseLost(f"import {self.import_id} was taken over by another importer")
        job = _job(row)
        now = self.clock()
        job.record(batch.outcome, now=now)
        _save(connection, job, self.claim, lease_until=now + self.lease)
        if batch.rejections:
            connection.execute(
                sa.insert(customer_import_rejections),
                [
                    {"import_id": self.import_id, "line": r.line, "reason": r.reason}
                    for r in batch.rejections
                ],
            )


_JOB_COLUMNS = (
    customer_imports.c.id,
    customer_imports.c.file_name,
    customer_imports.c.status,
    customer_imports.c.actor_subject,
    customer_imports.c.actor_kind,
    customer_imports.c.correlation_id,
    customer_imports.c.total,
    customer_imports.c.done,
    customer_imports.c.accepted,
    customer_imports.c.rejected,
    customer_imports.c.last_line,
    customer_imports.c.created_at,
    customer_imports.c.updated_at,
    customer_imports.c.finished_at,
)


def _job(row: Any) -> CustomerImport:
    return CustomerImport(
        id=row.id,
        file_name=row.file_name,
        actor=Actor(row.actor_subject, ActorKind(row.actor_kind)),
        correlation_id=row.correlation_id,
        total=row.total,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=ImportStatus(row.status),
        done=row.done,
        accepted=row.accepted,
        rejected=row.rejected,
        last_line=row.last_line,
        finished_at=row.finished_at,
    )


def _progress_values(job: CustomerImport) -> dict[str, Any]:
    return {
        "status": job.status.value,
        "done": job.done,
        "accepted": job.accepted,
        "rejected": job.rejected,
        "last_line": job.last_line,
        "updated_at": job.updated_at,
        "finished_at": job.finished_at,
    }


def _save(
    connection: Connection,
    job: CustomerImport,
    claim: UUID,
    *,
    lease_until: datetime | None = None,
) -> None:
    values = _progress_values(job)
    if lease_until is not None:
        values["lease_until"] = lease_until
    result = connection.execute(
        sa.update(customer_imports)
        .where(customer_imports.c.id == job.id, customer_imports.c.claim == claim)
        .values(values)
    )
    if result.rowcount != 1:
        raise LeaseLost(f"import {job.id} was taken over by another importer")
