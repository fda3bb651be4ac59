"""`crm-customer import FILE.csv|FILE.jsonl`: register many customers at once."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import time
from pathlib import Path

from crm_platform import db
from rich.console import Console
from rich.progress import Progress

from crm_customer.adapters.bulk import SqlBulkCustomerStore
from crm_customer.config import SERVICE_NAME, CustomerSettings
from crm_customer.domain.values import Actor, ActorKind
from crm_customer.service_layer.importing import (
    COLUMNS,
    DEFAULT_BATCH_SIZE,
    CustomerImporter,
    ImportReport,
    UnreadableFile,
    read_rows,
)

log = logging.getLogger(__name__)
IMPORT_GC_THRESHOLDS = (100_000, 50, 100)

DESCRIPTION = f"""\
Register the customers of a CSV file (a header row naming the columns) or a JSON Lines file
(one object per line). Columns: {", ".join(COLUMNS)}; name and an email or a phone are
required. In CSV, tags are separated by ";" and preferences are a JSON object. Each row gets
the same normalization and dedupe as a create through the API, and its CustomerRegistered
event; each batch is one transaction. Rows that are invalid, or whose email or phone already
belongs to a live customer (also one from an earlier row of the file), are not imported and
are reported with their line numbers. Exit status: 0 when every row was imported, 1 when some
were rejected, 2 when the file cannot be read.
"""
SHOWN_REJECTIONS = 50


def import_command(settings: CustomerSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"crm-{SERVICE_NAME} import", description=DESCRIPTION)
    parser.add_argument("file", type=Path, help="a .csv or .jsonl file")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per transaction (default {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that read and normalize rows while batches are written (default: one "
        "per CPU; 0 does everything in this process)",
    )
    parser.add_argument(
        "--actor", default="import", help="the subject recorded as the events' actor"
    )
    parser.add_argument(
        "--rejections",
        type=Path,
        help="write every rejected row (line and reason, JSON Lines) to this file",
    )
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.workers < 0:
        parser.error("--workers must be at least 0")
    engine = db.build_engine(settings.database_url, pool_size=1)
    progress = Progress(console=Console(stderr=True), transient=True)
    task = progress.add_task("importing customers", total=None)

    def on_batch(report: ImportReport) -> None:
        log.info(
            "import: %d rows read, %d imported, %d rejected",
            report.read, report.imported, len(report.rejected),
        )  # fmt: skip
        progress.update(
            task, completed=report.read,
            description=f"importing: {report.imported} in, {len(report.rejected)} rejected",
        )  # fmt: skip

    importer = CustomerImporter(
        SqlBulkCustomerStore(engine),
        phone_region=settings.default_phone_region,
        actor=Actor(args.actor, ActorKind.SYSTEM),
        batch_size=args.batch_size,
        workers=args.workers,
        on_batch=on_batch,
    )
    # Millions of short-lived objects, few cycles: collect the young generation far less often
    # than the default (every 700 allocations), here and in the workers forked from here.
    gc.freeze()
    gc.set_threshold(*IMPORT_GC_THRESHOLDS)
    started = time.monotonic()
    try:
        with args.file.open(encoding="utf-8", newline="") as stream, progress:
            report = importer.run(read_rows(stream, args.file.suffix.lower()))
    except (OSError, UnicodeDecodeError, UnreadableFile) as exc:
        print(f"crm-{SERVICE_NAME} import: {args.file}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    elapsed = time.monotonic() - started
    _print_report(report, elapsed, args.rejections)
    return 1 if report.rejected else 0


def _print_report(report: ImportReport, elapsed: float, rejections_path: Path | None) -> None:
    rate = report.read / elapsed if elapsed > 0 else 0.0
    print(
        f"imported {report.imported} of {report.read} rows in {elapsed:.1f}s ({rate:.0f} rows/s); "
        f"rejected {report.invalid} invalid and {report.duplicates} duplicate"
    )
    for rejection in report.rejected[:SHOWN_REJECTIONS]:
        print(f"line {rejection.line}: {rejection.reason}", file=sys.stderr)
    if len(report.rejected) > SHOWN_REJECTIONS:
        more = len(report.rejected) - SHOWN_REJECTIONS
        hint = f" (all in {rejections_path})" if rejections_path else " (--rejections FILE)"
        print(f"... and {more} more{hint}", file=sys.stderr)
    if rejections_path is not None:
        with rejections_path.open("w", encoding="utf-8") as out:
            for rejection in report.rejected:
                out.write(json.dumps({"line": rejection.line, "reason": rejection.reason}) + "\n")
