"""Import jobs: a CSV file uploaded through the API, imported by the importer role with the
import code of `crm-customer import` (importing.py), each batch's progress committed with the
batch. An import is its uploader's to follow: others see it only when they see every import
(an admin, a machine client); for anyone else it is unknown."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from crm_platform.errors import FieldViolation, NotFound, ValidationFailed

from crm_customer.domain.imports import CustomerImport
from crm_customer.domain.values import Actor
from crm_customer.service_layer.importing import (
    BulkCustomerStore,
    CustomerImporter,
    Rejection,
    UnreadableFile,
    csv_rows,
    rejected_rows_csv,
)
from crm_customer.service_layer.ports import UnitOfWork

DEFAULT_FILE_NAME = "customers.csv"
# Rows per transaction for a job: small enough that a batch renews the lease often.
JOB_BATCH_SIZE = 500


@dataclass(frozen=True)
class ImportCaller:
    actor: Actor
    sees_every_import: bool  # an admin or a machine client

    def ensure_may_see(self, job: CustomerImport | None, import_id: UUID) -> CustomerImport:
        if job is None or not (self.sees_every_import or job.actor == self.actor):
            raise NotFound(f"import {import_id} not found")
        return job


@dataclass(frozen=True)
class StartImport:
    content: str
    file_name: str
    caller: ImportCaller
    correlation_id: str


@dataclass(frozen=True)
class GetImport:
    import_id: UUID
    caller: ImportCaller


def utc_now() -> datetime:
    return datetime.now(UTC)


def count_rows(content: str) -> int:
    """The rows of a CSV file after its header; ValidationFailed on `content` when the header
    names a column that is no customer field, or when the file is no CSV."""
    try:
        return sum(1 for _ in csv_rows(io.StringIO(content)))
    except (UnreadableFile, csv.Error) as exc:
        raise ValidationFailed(FieldViolation("content", str(exc))) from None


class ImportHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.new_id = new_id

    def start_import(self, command: StartImport) -> CustomerImport:
        total = count_rows(command.content)
        if total == 0:
            raise ValidationFailed(FieldViolation("content", "has no rows after its header"))
        now = self.clock()
        job = CustomerImport(
            id=self.new_id(),
            file_name=command.file_name.strip() or DEFAULT_FILE_NAME,
            actor=command.caller.actor,
            correlation_id=command.correlation_id,
            total=total,
            created_at=now,
            updated_at=now,
        )
        with self.uow_factory() as uow:
            uow.imports.add(job, command.content)
            uow.commit()
        return job

    def get_import(self, query: GetImport) -> CustomerImport:
        with self.uow_factory() as uow:
            return query.caller.ensure_may_see(uow.imports.get(query.import_id), query.import_id)

    def rejected_rows(self, query: GetImport) -> str:
        """The rows rejected so far as CSV: line, reason and the row as uploaded."""
        with self.uow_factory() as uow:
            query.caller.ensure_may_see(uow.imports.get(query.import_id), query.import_id)
            rejections = [
                Rejection(line, reason) for line, reason in uow.imports.rejections(query.import_id)
            ]
            content = uow.imports.content(query.import_id)
        return rejected_rows_csv(content, rejections)


# The store one job writes through: its batches journaled under the importer's claim.
StoreFor = Callable[[CustomerImport, UUID], BulkCustomerStore]


class ImportRunner:
    """The importer role's work: take the oldest import nobody holds, go on from the line it
    was read up to, and mark it done once the file is read to its end."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        store_for: StoreFor,
        *,
        phone_region: str,
        lease: timedelta,
        batch_size: int = JOB_BATCH_SIZE,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self.uow_factory = uow_factory
        self.store_for = store_for
        self.phone_region = phone_region
        self.lease = lease
        self.batch_size = batch_size
        self.clock = clock
        self.new_id = new_id

    def run_next(self, stopping: Callable[[], bool]) -> bool:
        """Run one import, until it is done or `stopping()`; False when there was none."""
        claim, now = self.new_id(), self.clock()
        with self.uow_factory() as uow:
            import_id = uow.imports.claim_next(claim, now=now, lease_until=now + self.lease)
            uow.commit()
        if import_id is None:
            return False
        with self.uow_factory() as uow:
            job = uow.imports.get(import_id)
            content = uow.imports.content(import_id)
        assert job is not None  # claimed: imports are never deleted
        importer = CustomerImporter(
            self.store_for(job, claim),
            phone_region=self.phone_region,
            actor=job.actor,
            batch_size=self.batch_size,
            clock=self.clock,
        )
        unread = (row for row in csv_rows(io.StringIO(content)) if row.line > job.last_line)
        importer.run(itertools.takewhile(lambda _row: not stopping(), unread))
        with self.uow_factory() as uow:
            if stopping():  # the next importer goes on at once, not after the lease
                uow.imports.release(import_id, claim)
            else:
                read = uow.imports.get(import_id)
                assert read is not None
                read.finish(now=self.clock())
                uow.imports.save(read, claim)
            uow.commit()
        return True
