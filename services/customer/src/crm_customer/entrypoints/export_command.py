"""`crm-customer export FILE.csv|FILE.jsonl`: the live customers, in the import's columns."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from crm_platform import db
from crm_platform.service import unit_of_work_factory
from rich.console import Console
from rich.progress import Progress, TaskID

from crm_customer.adapters.unit_of_work import SqlUnitOfWork
from crm_customer.config import SERVICE_NAME, CustomerSettings
from crm_customer.service_layer.exporting import export_row, live_customers
from crm_customer.service_layer.importing import COLUMNS, TAG_SEPARATOR
from crm_customer.service_layer.ports import CustomerFilters

DESCRIPTION = """\
Write the live (not merged) customers to a CSV file (a header row, tags separated by ";",
preferences a JSON object) or a JSON Lines file, oldest first, in the columns `crm-customer
import` reads: an export imports again as it was. --region and --tag keep only those
customers. Progress goes to the terminal (stderr)."""


def export_command(settings: CustomerSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"crm-{SERVICE_NAME} export", description=DESCRIPTION)
    parser.add_argument("file", type=Path, help="a .csv or .jsonl file to write")
    parser.add_argument("--region", help="only customers of this region")
    parser.add_argument("--tag", help="only customers with this tag")
    args = parser.parse_args(argv)
    suffix = args.file.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        parser.error("give a .csv or a .jsonl file")
    filters = CustomerFilters(region=args.region, tag=args.tag.lower() if args.tag else None)
    engine = db.build_engine(settings.database_url, pool_size=1)
    try:
        rows = (
            export_row(customer)
            for customer in live_customers(
                unit_of_work_factory(SqlUnitOfWork, engine, SERVICE_NAME), filters
            )
        )
        with (
            args.file.open("w", encoding="utf-8", newline="") as stream,
            Progress(console=Console(stderr=True), transient=True) as progress,
        ):
            task = progress.add_task("exporting customers", total=None)
            written = write_rows(stream, suffix, _shown(rows, progress, task))
    except OSError as exc:
        print(f"crm-{SERVICE_NAME} export: {args.file}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"exported {written} customers to {args.file}")
    return 0


def write_rows(stream: TextIO, suffix: str, rows: Iterable[dict[str, Any]]) -> int:
    """Write the rows in the file's format; how many."""
    written = 0
    if suffix == ".csv":
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(_csv_cell(row[column]) for column in COLUMNS)
            written += 1
        return written
    for row in rows:
        stream.write(json.dumps({k: v for k, v in row.items() if v not in (None, [], {})}) + "\n")
        written += 1
    return written


def _shown(
    rows: Iterable[dict[str, Any]], progress: Progress, task: TaskID
) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield row
        progress.advance(task)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return TAG_SEPARATOR.join(value)
    if isinstance(value, dict):
        return json.dumps(value) if value else ""
    return str(value)
