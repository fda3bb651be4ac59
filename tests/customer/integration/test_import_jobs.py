"""An uploaded file imported as a job by the importer role's code, on PostgreSQL and SQLite:
progress and rejections commit with each batch; an importer that dies mid-file leaves a lease
that runs out, and the next one goes on after the last batch written, so no row is imported
twice; an importer whose lease was taken over writes nothing more."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa
from crm_customer.adapters.bulk import SqlBulkCustomerStore
from crm_customer.adapters.import_repository import SqlImportJournal
from crm_customer.adapters.orm import customers
from crm_customer.domain.imports import BatchOutcome, CustomerImport, ImportStatus, LeaseLost
from crm_customer.domain.values import Actor, ActorKind
from crm_customer.service_layer.import_jobs import (
    GetImport,
    ImportCaller,
    ImportHandlers,
    ImportRunner,
    StartImport,
)
from crm_customer.service_layer.importing import WrittenBatch
from crm_platform.errors import NotFound, ValidationFailed
from sqlalchemy import Connection, Engine

from tests.customer.integration.support import outbox_types, unit_of_work

pytestmark = pytest.mark.integration

MANAGER = ImportCaller(Actor("manager-1", ActorKind.STAFF), sees_every_import=False)
LEASE = timedelta(seconds=30)
ROWS = 23  # five batches of 5 (the last of 3)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def file_with(rows: int, *, bad_lines: tuple[int, ...] = ()) -> str:
    """A CSV of `rows` customers; the rows at `bad_lines` (file lines) have no contact."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "email", "city"])
    for n in range(rows):
        line = n + 2
        email = "" if line in bad_lines else f"guest{n}@example.com"
        writer.writerow([f"Guest {n}", email, "Hangzhou"])
    return out.getvalue()


def runner(
    engine: Engine,
    clock: Clock,
    *,
    journal_wrapper: Callable[[SqlImportJournal], object] | None = None,
) -> ImportRunner:
    def store_for(job: CustomerImport, claim: UUID) -> SqlBulkCustomerStore:
        journal = SqlImportJournal(job.id, claim, lease=LEASE, clock=clock)
        wrapped = journal_wrapper(journal) if journal_wrapper else journal
        return SqlBulkCustomerStore(engine, correlation_id="c-1", journal=wrapped)  # type: ignore[arg-type]

    return ImportRunner(
        unit_of_work(engine), store_for, phone_region="US", lease=LEASE, batch_size=5, clock=clock
    )


def start(engine: Engine, content: str) -> CustomerImport:
    handlers = ImportHandlers(unit_of_work(engine))
    return handlers.start_import(StartImport(content, "guests.csv", MANAGER, "c-1"))


def read(engine: Engine, job: CustomerImport, caller: ImportCaller = MANAGER) -> CustomerImport:
    return ImportHandlers(unit_of_work(engine)).get_import(GetImport(job.id, caller))


def emails(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [row.email for row in connection.execute(sa.select(customers.c.email))]


class DiesAfter:
    """A journal that lets `batches` batches commit, then fails the next one in its
    transaction, as an importer killed mid-batch: that batch is rolled back."""

    def __init__(self, journal: SqlImportJournal, batches: int) -> None:
        self.journal, self.left = journal, batches

    def __call__(self, connection: Connection, batch: object) -> None:
        if self.left == 0:
            raise RuntimeError("killed")
        self.left -= 1
        self.journal(connection, batch)  # type: ignore[arg-type]


def test_a_job_imports_the_file_and_keeps_its_rejected_rows(engine: Engine) -> None:
    clock = Clock()
    content = file_with(ROWS, bad_lines=(4,)) + "Guest 0,GUEST0@example.com,Hangzhou\n"
    job = start(engine, content)
    assert (job.status, job.total) == (ImportStatus.PENDING, ROWS + 1)

    assert runner(engine, clock).run_next(lambda: False) is True

    done = read(engine, job)
    assert (done.status, done.done, done.accepted, done.rejected) == (
        ImportStatus.DONE, ROWS + 1, ROWS - 1, 2,
    )  # fmt: skip
    assert done.finished_at == clock.now
    assert len(emails(engine)) == ROWS - 1
    assert outbox_types(engine) == ["CustomerRegistered"] * (ROWS - 1)
    rejected = ImportHandlers(unit_of_work(engine)).rejected_rows(GetImport(job.id, MANAGER))
    rows = list(csv.reader(io.StringIO(rejected)))
    assert rows[0] == ["line", "reason", "name", "email", "city"]
    assert rows[1][:2] == ["4", "customer.email: an email or a phone is required"]
    assert rows[1][2:] == ["Guest 2", "", "Hangzhou"]
    assert rows[2][0] == str(ROWS + 2)
    assert rows[2][1].startswith("duplicate: customer ")
    assert runner(engine, clock).run_next(lambda: False) is False  # nothing left to do


def test_an_importer_that_died_mid_file_is_taken_over_after_its_lease_and_no_row_doubles(
    engine: Engine,
) -> None:
    clock = Clock()
    job = start(engine, file_with(ROWS))
    dying = runner(engine, clock, journal_wrapper=lambda journal: DiesAfter(journal, 2))
    with pytest.raises(RuntimeError, match="killed"):
        dying.run_next(lambda: False)
    halfway = read(engine, job)
    assert (halfway.status, halfway.done, halfway.accepted) == (ImportStatus.RUNNING, 10, 10)
    assert len(emails(engine)) == 10  # the third batch was rolled back with its progress

    assert runner(engine, clock).run_next(lambda: False) is False  # still held by its lease
    clock.now += LEASE + timedelta(seconds=1)
    assert runner(engine, clock).run_next(lambda: False) is True

    done = read(engine, job)
    assert (done.status, done.done, done.accepted, done.rejected) == (
        ImportStatus.DONE, ROWS, ROWS, 0,
    )  # fmt: skip
    assert sorted(emails(engine)) == sorted(f"guest{n}@example.com" for n in range(ROWS))
    assert outbox_types(engine) == ["CustomerRegistered"] * ROWS


def test_an_importer_whose_lease_was_taken_over_writes_nothing_more(engine: Engine) -> None:
    clock = Clock()
    job = start(engine, file_with(ROWS))
    late: list[SqlImportJournal] = []

    def taken_over(journal: SqlImportJournal) -> DiesAfter:
        late.append(journal)
        return DiesAfter(journal, 1)

    with pytest.raises(RuntimeError):
        runner(engine, clock, journal_wrapper=taken_over).run_next(lambda: False)
    clock.now += LEASE + timedelta(seconds=1)
    assert runner(engine, clock).run_next(lambda: False) is True

    with engine.begin() as connection, pytest.raises(LeaseLost):
        late[0](connection, _one_more_batch())
    assert read(engine, job).accepted == ROWS


def _one_more_batch() -> WrittenBatch:
    return WrittenBatch(BatchOutcome(1, 10_000, 1, 0), [])


def test_a_stopped_importer_releases_its_import_for_the_next_at_once(engine: Engine) -> None:
    clock = Clock()
    job = start(engine, file_with(ROWS))
    calls = iter(range(1_000))
    assert runner(engine, clock).run_next(lambda: next(calls) >= 7) is True

    stopped = read(engine, job)
    assert stopped.status is ImportStatus.RUNNING
    assert 0 < stopped.done < ROWS
    assert runner(engine, clock).run_next(lambda: False) is True  # no wait for the lease
    assert read(engine, job).accepted == ROWS


def test_a_header_naming_another_column_is_refused_naming_it(engine: Engine) -> None:
    with pytest.raises(ValidationFailed) as refused:
        start(engine, "name,e-mail\nAda,ada@example.com\n")
    violation = refused.value.violations[0]
    assert violation.field == "content"
    assert violation.description.startswith("unknown column e-mail;")


def test_another_managers_import_is_unknown_to_them_and_an_admin_sees_it(engine: Engine) -> None:
    job = start(engine, file_with(2))
    other = ImportCaller(Actor("manager-2", ActorKind.STAFF), sees_every_import=False)
    admin = ImportCaller(Actor("admin-1", ActorKind.STAFF), sees_every_import=True)

    with pytest.raises(NotFound):
        read(engine, job, other)
    assert read(engine, job, admin).id == job.id
