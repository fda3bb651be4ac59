"""Bulk import of customers: the same rules as a create, applied to many rows at a time.

Each row becomes a registered customer exactly as CreateCustomer would make it (the profile
normalized by `Customer.register`, one CustomerRegistered event), and each batch is written in
one transaction together with its events (the outbox). A row is rejected, with its line number
and the reason, when its fields are invalid or when its email or phone already belongs to a
live customer: one stored before the import, or one from an earlier row of the same file. A
rejected row writes nothing; the rows around it are imported.

The same code imports a file from the command line (`crm-customer import`) and an uploaded
file as a job of the importer role; a job's store also records each batch's progress and
rejections in the batch's transaction (domain/imports.py).
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any, NamedTuple, Protocol, TextIO
from uuid import UUID, uuid4

from crm_platform.errors import AlreadyExists, FieldViolation, ValidationFailed

from crm_customer.domain.imports import BatchOutcome
from crm_customer.domain.model import Customer
from crm_customer.domain.values import AcquisitionSource, Actor, Gender, PartyKind, Profile

DEFAULT_BATCH_SIZE = 5000
# How many times a batch is re-checked when a concurrent create took a contact meanwhile.
MAX_BATCH_ATTEMPTS = 5
# The columns a file may have; `name` and an email or a phone are required.
COLUMNS = (
    "kind",
    "name",
    "email",
    "phone",
    "region",
    "city",
    "birth_date",
    "gender",
    "tags",
    "preferences",
    "source",
    "owner_id",
)
TAG_SEPARATOR = ";"  # tags in one CSV cell: "vip;newsletter"


@dataclass(frozen=True)
class SourceRow:
    """One record of the file as read: its line number and its raw fields."""

    line: int
    fields: Mapping[str, Any]
    problem: str = ""  # the record could not be read into fields (e.g. not JSON)


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def invalid(self) -> int:
        return sum(1 for r in self.rejected if not r.reason.startswith("duplicate"))

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.rejected if r.reason.startswith("duplicate"))


# Contact and Candidate cross from the worker processes to the writer by the million: named
# tuples pickle and unpickle several times faster than dataclasses.
class Contact(NamedTuple):
    kind: str  # "email" or "phone"
    value: str


class Candidate(NamedTuple):
    """A valid row, registered and encoded for the store, not yet checked against it."""

    line: int
    customer_id: UUID
    contacts: tuple[Contact, ...]
    encoded: Any  # the store's rows for the customer, its tags and its event


@dataclass
class PreparedBatch:
    candidates: list[Candidate]
    rejections: list[Rejection]


@dataclass(frozen=True)
class WrittenBatch:
    """A batch as its transaction commits it: the progress it makes and what it rejected."""

    outcome: BatchOutcome
    rejections: list[Rejection]


# Turns a registered customer (its CustomerRegistered event pending) into the store's rows.
# It runs in worker processes, so it must be picklable (a module-level class or function).
Encoder = Callable[[Customer], Any]


class BulkCustomerStore(Protocol):
    """Where an import writes: one transaction per batch."""

    def encoder(self, actor: Actor) -> Encoder: ...

    def write_batch(
        self,
        candidates: list[Candidate],
        check: Callable[[dict[Contact, UUID]], set[UUID]],
        written: Callable[[int], WrittenBatch],
    ) -> int:
        """In one transaction: look up the live customers holding any of the candidates'
        contacts, pass them to `check` (which returns the ids of the candidates to leave out),
        write the others with their events, and commit; returns how many were written. Raises
        AlreadyExists when a concurrent transaction took a contact after the look-up (nothing
        of the batch is written then). A store that keeps a job's progress records
        `written(count)` in the same transaction."""
        ...

    def refresh_statistics(self) -> None:
        """After the last batch: let the database plan its queries knowing the new rows."""
        ...


def prepare_batch(
    batch: list[SourceRow], *, now: datetime, phone_region: str, encode: Encoder
) -> PreparedBatch:
    """Register each row as a create would, and drop the rows whose email or phone an earlier
    row of the batch has. Pure: runs in worker processes."""
    prepared = PreparedBatch([], [])
    seen: dict[Contact, int] = {}  # contact -> line of the first row in this batch using it
    for row in batch:
        if row.problem:
            prepared.rejections.append(Rejection(row.line, row.problem))
            continue
        try:
            customer = Customer.register(
                profile_from_fields(row.fields),
                customer_id=uuid4(),
                now=now,
                phone_region=phone_region,
            )
        except ValidationFailed as exc:
            prepared.rejections.append(Rejection(row.line, _describe(exc.violations)))
            continue
        contacts = contacts_of(customer)
        earlier = next((seen[c] for c in contacts if c in seen), None)
        if earlier is not None:
            prepared.rejections.append(
                Rejection(row.line, f"duplicate: same email or phone as line {earlier}")
            )
            continue
        for contact in contacts:
            seen[contact] = row.line
        prepared.candidates.append(
            Candidate(row.line, customer.id, tuple(contacts), encode(customer))
        )
    return prepared


class CustomerImporter:
    """Reads batches, prepares them (in `workers` processes when > 0, else inline), and writes
    them in file order, each checked against the stored customers in its own transaction."""

    def __init__(
        self,
        store: BulkCustomerStore,
        *,
        phone_region: str,
        actor: Actor,
        batch_size: int = DEFAULT_BATCH_SIZE,
        workers: int = 0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_batch: Callable[[ImportReport], None] | None = None,
    ) -> None:
        self.store = store
        self.phone_region = phone_region
        self.actor = actor
        self.batch_size = batch_size
        self.workers = workers
        self.clock = clock
        self.on_batch = on_batch

    def run(self, rows: Iterable[SourceRow]) -> ImportReport:
        report = ImportReport()
        for batch_size, last_line, prepared in self._prepared(rows):
            report.read += batch_size
            report.rejected.extend(prepared.rejections)
            self._write(prepared, report, batch_size, last_line)
            if self.on_batch is not None:
                self.on_batch(report)
        if report.imported:
            self.store.refresh_statistics()
        report.rejected.sort(key=lambda r: r.line)
        return report

    def _prepared(self, rows: Iterable[SourceRow]) -> Iterator[tuple[int, int, PreparedBatch]]:
        """(rows in the batch, the line of its last row, the batch prepared), in file order."""
        prepare = functools.partial(
            prepare_batch, phone_region=self.phone_region, encode=self.store.encoder(self.actor)
        )
        iterator = iter(rows)
        batches = iter(lambda: list(islice(iterator, self.batch_size)), [])
        if self.workers <= 0:
            for batch in batches:
                yield len(batch), batch[-1].line, prepare(batch, now=self.clock())
            return
        with ProcessPoolExecutor(self.workers) as pool:
            pending: deque[tuple[int, int, Future[PreparedBatch]]] = deque()
            for batch in batches:
                future = pool.submit(prepare, batch, now=self.clock())
                pending.append((len(batch), batch[-1].line, future))
                if len(pending) > self.workers:  # a bounded read-ahead
                    size, last_line, future = pending.popleft()
                    yield size, last_line, future.result()
            while pending:
                size, last_line, future = pending.popleft()
                yield size, last_line, future.result()

    def _write(
        self, prepared: PreparedBatch, report: ImportReport, rows: int, last_line: int
    ) -> None:
        candidates = prepared.candidates
        batch_rejections: list[Rejection] = []

        def written(count: int) -> WrittenBatch:
            rejections = [*prepared.rejections, *batch_rejections]
            return WrittenBatch(BatchOutcome(rows, last_line, count, len(rejections)), rejections)

        def check(holders: dict[Contact, UUID]) -> set[UUID]:
            batch_rejections.clear()
            left_out: set[UUID] = set()
            for candidate in candidates:
                for contact in candidate.contacts:
                    holder = holders.get(contact)
                    if holder is not None and holder != candidate.customer_id:
                        batch_rejections.append(
                            Rejection(
                                candidate.line,
                                f"duplicate: customer {holder} already has this {contact.kind}",
                            )
                        )
                        left_out.add(candidate.customer_id)
                        break
            return left_out

        for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
            try:
                count = self.store.write_batch(candidates, check, written)
            except AlreadyExists:
                # A concurrent create took a contact between the look-up and the write: the
                # batch was rolled back; look again.
                if attempt == MAX_BATCH_ATTEMPTS:
                    raise
                continue
            report.imported += count
            report.rejected.extend(batch_rejections)
            return


# -- reading files ---------------------------------------------------------------------------


class UnreadableFile(ValueError):
    pass


def read_rows(stream: TextIO, suffix: str) -> Iterator[SourceRow]:
    if suffix == ".csv":
        return csv_rows(stream)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(stream)
    raise UnreadableFile("give a .csv or a .jsonl file")


def csv_header_problem(header: list[str]) -> str | None:
    """Why a header row does not name customer columns; None when it does."""
    names = [name.strip().lower() for name in header]
    unknown = sorted(set(names) - set(COLUMNS))
    if unknown:
        return f"unknown column {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
    return None


def csv_rows(stream: TextIO) -> Iterator[SourceRow]:
    """The records of a CSV file after its header row; UnreadableFile for a header naming a
    column that is not a customer field."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return
    problem = csv_header_problem(header)
    if problem:
        raise UnreadableFile(problem)
    names = [name.strip().lower() for name in header]
    for record in reader:
        if not any(record):
            continue  # a blank line
        line = reader.line_num
        if len(record) != len(names):
            yield SourceRow(line, {}, f"{len(record)} fields, not {len(names)}")
            continue
        yield SourceRow(line, dict(zip(names, record, strict=True)))


def _jsonl_rows(stream: TextIO) -> Iterator[SourceRow]:
    for line_number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except ValueError:
            yield SourceRow(line_number, {}, "is not JSON")
            continue
        if not isinstance(fields, dict):
            yield SourceRow(line_number, {}, "is not a JSON object")
            continue
        yield SourceRow(line_number, fields)


def rejected_rows_csv(content: str, rejections: Iterable[Rejection]) -> str:
    """The rejected rows of a CSV file as CSV: line, reason, then the row as it was sent."""
    reasons = {rejection.line: rejection.reason for rejection in rejections}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    reader = csv.reader(io.StringIO(content))
    header = next(reader, [])
    writer.writerow(["line", "reason", *header])
    for record in reader:
        reason = reasons.pop(reader.line_num, None)
        if reason is not None:
            writer.writerow([reader.line_num, reason, *record])
    return out.getvalue()


def contacts_of(customer: Customer) -> list[Contact]:
    profile = customer.profile
    found: list[Contact] = []
    if profile.email:
        found.append(Contact("email", profile.email))
    if profile.phone:
        found.append(Contact("phone", profile.phone))
    return found


def profile_from_fields(fields: Mapping[str, Any]) -> Profile:
    """A profile from a row's raw fields (CSV text or JSON values); normalization and the
    rules are `Customer.register`'s, as for a create."""
    violations: list[FieldViolation] = []
    unknown = sorted(set(fields) - set(COLUMNS))
    if unknown:
        violations.append(FieldViolation(unknown[0], "is not a customer field"))
    values: dict[str, Any] = {}
    for column, parse in _PARSERS.items():
        raw = fields.get(column)
        if raw is None or raw == "":
            continue
        try:
            values[_PROFILE_NAMES.get(column, column)] = parse(raw)
        except (TypeError, ValueError) as exc:
            violations.append(FieldViolation("customer." + column, str(exc)))
    if violations:
        raise ValidationFailed(violations)
    return Profile(**values)


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be text")
    return raw


def _enum(kind: type[PartyKind | Gender | AcquisitionSource]) -> Callable[[Any], Any]:
    def parse(raw: Any) -> Any:
        text = _text(raw).strip().lower()
        try:
            return kind(text)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise ValueError(f"must be one of {allowed}") from None

    return parse


def _date(raw: Any) -> date:
    try:
        return date.fromisoformat(_text(raw).strip())
    except ValueError:
        raise ValueError("must be a date (YYYY-MM-DD)") from None


def _tags(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return tuple(raw.split(TAG_SEPARATOR))
    if isinstance(raw, list) and all(isinstance(tag, str) for tag in raw):
        return tuple(raw)
    raise ValueError(f"must be a list of text, or text separated by {TAG_SEPARATOR!r}")


def _preferences(raw: Any) -> dict[str, str]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValueError("must be a JSON object of text values") from None
    if isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
        return {str(k): v for k, v in raw.items()}
    raise ValueError("must be a JSON object of text values")


def _uuid(raw: Any) -> UUID:
    try:
        return UUID(_text(raw).strip())
    except ValueError:
        raise ValueError("must be a UUID") from None


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "kind": _enum(PartyKind),
    "name": _text,
    "email": _text,
    "phone": _text,
    "region": _text,
    "city": _text,
    "birth_date": _date,
    "gender": _enum(Gender),
    "tags": _tags,
    "preferences": _preferences,
    "source": _enum(AcquisitionSource),
    "owner_id": _uuid,
}
# File columns named differently on the profile (the REST API's names).
_PROFILE_NAMES = {"source": "acquisition_source"}


def _describe(violations: Iterable[FieldViolation]) -> str:
    return "; ".join(f"{v.field}: {v.description}" for v in violations)
