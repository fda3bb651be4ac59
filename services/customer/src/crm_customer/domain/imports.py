"""An import of a customer file, run as a job: uploaded (pending), then read in batches by the
importer role (running) until every row is either imported or rejected (done).

Its progress moves only with a batch that is written: the batch's customers, its rejections and
the new counts commit together, and `last_line` says where the next batch starts. So a job
taken over after its importer died goes on after the last batch written, and no row of the
file is imported twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import Conflict, FailedPrecondition

from crm_customer.domain.values import Actor


class ImportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True)
class BatchOutcome:
    """What one written batch adds to the progress."""

    rows: int  # rows of the file read
    last_line: int  # the file's line of the batch's last row
    accepted: int
    rejected: int


@dataclass
class CustomerImport:
    id: UUID
    file_name: str
    actor: Actor  # who uploaded it: the actor of the events of the customers it registers
    correlation_id: str
    total: int
    created_at: datetime
    updated_at: datetime
    status: ImportStatus = ImportStatus.PENDING
    done: int = 0
    accepted: int = 0
    rejected: int = 0
    last_line: int = 0  # where the file was read up to (its header is line 1)
    finished_at: datetime | None = None

    def record(self, batch: BatchOutcome, *, now: datetime) -> None:
        if self.status is ImportStatus.DONE:
            raise FailedPrecondition(f"import {self.id} is done")
        if batch.last_line <= self.last_line:
            raise FailedPrecondition(
                f"import {self.id} read up to line {self.last_line} already, "
                f"not again up to {batch.last_line}"
            )
        self.status = ImportStatus.RUNNING
        self.done += batch.rows
        self.accepted += batch.accepted
        self.rejected += batch.rejected
        self.last_line = batch.last_line
        self.updated_at = now

    def finish(self, *, now: datetime) -> None:
        self.status = ImportStatus.DONE
        self.finished_at = self.updated_at = now


class LeaseLost(Conflict):
    """The importer's lease on a job ended and another importer took it over: what this one
    was writing is rolled back, the other goes on from the last batch written."""
