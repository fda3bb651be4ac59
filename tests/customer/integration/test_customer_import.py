"""`crm-customer import`: rows become customers exactly as creates would, each with its
CustomerRegistered event in the outbox of the same transaction; duplicates and bad rows are
reported with their line numbers and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from crm_customer.adapters.bulk import SqlBulkCustomerStore
from crm_customer.adapters.orm import customers
from crm_customer.domain.values import Actor, ActorKind, Profile
from crm_customer.entrypoints.cli import main
from crm_customer.service_layer import commands
from crm_customer.service_layer.access import Caller
from crm_customer.service_layer.handlers import CustomerHandlers
from crm_customer.service_layer.importing import CustomerImporter, ImportReport, read_rows
from crm_proto.crm.customer.v1 import events_pb2
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, row_count, unit_of_work

pytestmark = pytest.mark.integration

ACTOR = Actor("import", ActorKind.SYSTEM)
HEADER = "name,email,phone,region,tags,source,birth_date\n"


def run_import(
    engine: Engine, path: Path, *, batch_size: int = 2, workers: int = 0
) -> ImportReport:
    importer = CustomerImporter(
        SqlBulkCustomerStore(engine),
        phone_region="US",
        actor=ACTOR,
        batch_size=batch_size,
        workers=workers,
    )
    with path.open(newline="", encoding="utf-8") as stream:
        return importer.run(read_rows(stream, path.suffix))


def stored(engine: Engine) -> dict[str, sa.Row[tuple[object, ...]]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(customers)).all()
    return {str(row.id): row for row in rows}


def test_rows_are_normalized_like_creates_and_each_has_its_event(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        HEADER
        + " Ada Lovelace ,ADA@Example.COM,(415) 555-2671,Beijing,VIP;news,web,1990-05-01\n"
        + 'Bo,bo@example.com,,"Shang, hai",,partner,\n'
        + "Cy,,+44 20 7946 0958,,,,\n"
    )

    report = run_import(engine, path)

    assert (report.read, report.imported, report.rejected) == (3, 3, [])
    rows = stored(engine)
    events = outbox_events(engine)
    assert [e.type for e in events] == ["crm.customer.v1.CustomerRegistered"] * 3
    assert {e.subject for e in events} == set(rows)
    by_email = {row.email: row for row in rows.values()}
    ada = by_email["ada@example.com"]
    assert (ada.name, ada.phone, ada.region, ada.acquisition_source) == (
        "Ada Lovelace", "+14155552671", "Beijing", "web",
    )  # fmt: skip
    assert by_email["bo@example.com"].region == "Shang, hai"
    assert by_email[None].phone == "+442079460958"
    ada_event = next(e for e in events if e.subject == str(ada.id))
    assert isinstance(ada_event.message, events_pb2.CustomerRegistered)
    assert ada_event.message.customer.email == "ada@example.com"
    assert list(ada_event.message.customer.tags) == ["news", "vip"]
    assert ada_event.message.actor.subject == "import"
    with engine.connect() as connection:
        tags = connection.execute(sa.text("SELECT tag FROM customer_tags ORDER BY tag")).all()
    assert [t.tag for t in tags] == ["news", "vip"]


def test_the_event_matches_the_one_a_create_writes(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "customers.jsonl"
    body = {"name": "Ada", "email": "ada@example.com", "tags": ["vip"], "region": "Beijing"}
    path.write_text(json.dumps(body) + "\n")
    run_import(engine, path)
    handlers = CustomerHandlers(unit_of_work(engine), phone_region="US")
    handlers.create_customer(
        commands.CreateCustomer(
            Profile(name="Bo", email="bo@example.com", tags=("vip",), region="Beijing"),
            Caller(ACTOR),
        )
    )

    imported, created = [e.message.customer for e in outbox_events(engine)]
    for message in (imported, created):
        message.ClearField("id")
        message.ClearField("created_at")
        message.ClearField("updated_at")
        message.name = message.email = ""
    assert imported == created


def test_duplicates_in_the_file_and_in_the_database_are_reported_not_imported(
    engine: Engine, tmp_path: Path
) -> None:
    handlers = CustomerHandlers(unit_of_work(engine), phone_region="US")
    existing = handlers.create_customer(
        commands.CreateCustomer(Profile(name="Old", email="old@example.com"), Caller(ACTOR))
    )
    path = tmp_path / "customers.csv"
    path.write_text(
        HEADER
        + "A,a@example.com,,,,,\n"  # line 2
        + "B,OLD@example.com,,,,,\n"  # line 3: an existing customer's email
        + "C,c@example.com,4155552671,,,,\n"  # line 4
        + "D,A@EXAMPLE.COM,,,,,\n"  # line 5: line 2's email, in a later batch
        + "E,e@example.com,4155552672,,,,\n"  # line 6
        + "F,f@example.com,+1 415 555 2672,,,,\n"  # line 7: line 6's phone, same batch
    )

    report = run_import(engine, path, batch_size=3)

    assert report.imported == 3
    assert report.duplicates == 3
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [
        (3, "duplicate"), (5, "duplicate"), (7, "duplicate"),
    ]  # fmt: skip
    assert str(existing.id) in report.rejected[0].reason
    assert "already has this email" in report.rejected[1].reason
    assert "line 6" in report.rejected[2].reason
    emails = sorted(row.email for row in stored(engine).values())
    assert emails == ["a@example.com", "c@example.com", "e@example.com", "old@example.com"]
    assert row_count(engine, "outbox") == 4  # the create's event and three imports


def test_bad_rows_are_reported_with_line_numbers_and_write_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"name": "Ada", "email": "ada@example.com", "tags": ["vip"]}),
                json.dumps({"name": "Bo", "email": "not-an-email", "tags": ["x"]}),
                "{not json",
                json.dumps({"name": "", "phone": "12"}),
                json.dumps({"name": "Cy", "email": "cy@example.com", "source": "radio"}),
                json.dumps({"name": "Di", "email": "di@example.com", "birth_date": "3000-01-01"}),
                json.dumps(["a list"]),
                json.dumps({"name": "Ed", "email": "ed@example.com", "colour": "red"}),
                json.dumps({"name": "Fay", "phone": "+86 138 0013 8000"}),
            ]
        )
        + "\n"
    )

    report = run_import(engine, path, batch_size=4)

    assert report.imported == 2
    reasons = {r.line: r.reason for r in report.rejected}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8]
    assert "customer.email" in reasons[2]
    assert reasons[3] == "is not JSON"
    assert "customer.name" in reasons[4]
    assert "customer.source" in reasons[5]
    assert "customer.birth_date" in reasons[6]
    assert reasons[7] == "is not a JSON object"
    assert "colour" in reasons[8]
    assert row_count(engine, "customers") == 2
    assert row_count(engine, "outbox") == 2
    with engine.connect() as connection:
        tags = connection.execute(sa.text("SELECT tag FROM customer_tags")).all()
    assert [t.tag for t in tags] == ["vip"]  # none of the rejected rows' tags


def test_the_command_imports_a_file_with_workers_and_reports_rejections(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("CRM_CUSTOMER_DATABASE_URL", database_url)
    path = tmp_path / "customers.csv"
    rows = [f"C{n},c{n}@example.com,,Beijing,,,\n" for n in range(250)]
    path.write_text(HEADER + "".join(rows) + "Bad,,,,,,\n" + "Dup,C7@example.com,,,,,\n")
    rejections = tmp_path / "rejected.jsonl"

    code = main(
        ["import", str(path), "--batch-size", "40", "--workers", "2",
         "--rejections", str(rejections)]
    )  # fmt: skip

    assert code == 1
    assert "imported 250 of 252 rows" in capsys.readouterr().out
    assert [json.loads(line)["line"] for line in rejections.read_text().splitlines()] == [252, 253]
    assert row_count(engine, "customers") == 250
    assert row_count(engine, "outbox") == 250


def test_an_unknown_column_stops_the_import_before_any_write(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_CUSTOMER_DATABASE_URL", database_url)
    path = tmp_path / "customers.csv"
    path.write_text("name,email,colour\nAda,ada@example.com,red\n")

    assert main(["import", str(path)]) == 2
    assert row_count(engine, "customers") == 0


def test_the_import_leaves_fresh_planner_statistics(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "".join(f"P{n},p{n}@example.com,,Beijing,vip,,\n" for n in range(20)))

    assert run_import(engine, path, batch_size=50).imported == 20

    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            analyzed = set(
                connection.execute(
                    sa.text(
                        "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
                    )
                ).scalars()
            )
            assert {"customers", "customer_tags", "customer_consents"} <= analyzed
        else:
            analyzed = set(connection.execute(sa.text("SELECT tbl FROM sqlite_stat1")).scalars())
            assert {"customers", "customer_tags"} <= analyzed


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_an_export_has_every_live_customer_in_the_columns_the_import_reads_again(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], suffix: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("CRM_CUSTOMER_DATABASE_URL", database_url)
    source = tmp_path / "customers.csv"
    rows = [f"C{n},c{n}@example.com,,Beijing,vip;news,web,1990-05-0{n % 9 + 1}\n" for n in range(5)]
    source.write_text(HEADER + "".join(rows) + 'Bo,bo@example.com,,"Shang, hai",,partner,\n')
    run_import(engine, source)
    exported = tmp_path / f"export{suffix}"
    capsys.readouterr()

    assert main(["export", str(exported)]) == 0
    assert main(["export", str(tmp_path / f"east{suffix}"), "--region", "Beijing"]) == 0

    out = capsys.readouterr().out
    assert f"exported 6 customers to {exported}" in out
    assert "exported 5 customers" in out
    with exported.open(newline="", encoding="utf-8") as stream:
        read = list(read_rows(stream, suffix))
    by_email = {row.fields["email"]: row.fields for row in read}
    assert set(by_email) == {f"c{n}@example.com" for n in range(5)} | {"bo@example.com"}
    assert by_email["c2@example.com"]["birth_date"] == "1990-05-03"
    assert by_email["bo@example.com"]["region"] == "Shang, hai"
    tags = by_email["c0@example.com"]["tags"]
    assert sorted(tags.split(";") if isinstance(tags, str) else tags) == ["news", "vip"]
    again = run_import(engine, exported)  # every row reads back: each one a duplicate now
    assert (again.read, again.invalid, again.duplicates) == (6, 0, 6)
