"""Customer import as a job and the company-wide duplicates, through the real gateway with real
tokens: a manager uploads a CSV (202), follows the importer's progress to the end and downloads
the rejected rows with their reasons; a header naming another column is a 422 naming it; a
sales rep may not import, another manager does not see the import, an admin does. The
company-wide list shows a pair of alike customers for a manager (not for a rep), and the
existing merge takes it off. The console does the same in a browser."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.system.stack import Stack
from tests.system.test_security import STAFF_PASSWORD, auth, new_account, staff_user
from tests.system.test_web_portal import (  # noqa: F401 - fixtures
    api,
    browser,
    context,
    log_in,
    page,
    screenshot,
)

pytestmark = pytest.mark.system

PROBLEM = "application/problem+json"
CSV = {"Content-Type": "text/csv"}


def guests(tag: str, rows: int) -> tuple[str, list[str]]:
    """A file of `rows` good customers, one without a contact (line 3) and one repeating the
    first's email (the last line); and the good ones' emails."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "email", "city", "tags"])
    emails = [f"guest-{tag}-{n}@example.com" for n in range(rows)]
    writer.writerow([f"Guest {tag} 0", emails[0], "Hangzhou", "fair"])
    writer.writerow([f"Nobody {tag}", "", "Hangzhou", ""])
    for n, email in enumerate(emails[1:], start=1):
        writer.writerow([f"Guest {tag} {n}", email, "Hangzhou", "fair"])
    writer.writerow([f"Again {tag}", emails[0].upper(), "", ""])
    return out.getvalue(), emails


def wait_done(client: httpx.Client, location: str, token: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(location, headers=auth(token)).json()
        if job["status"] == "done" or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_a_manager_imports_a_file_follows_it_and_downloads_the_rejected_rows(
    api: httpx.Client,  # noqa: F811
    stack: Stack,
) -> None:
    manager = staff_user(api, stack, "manager")
    tag = uuid.uuid4().hex[:8]
    content, emails = guests(tag, 12)

    started = api.post(
        "/api/v1/customers/imports", params={"file_name": "fair.csv"}, content=content,
        headers={**auth(manager), **CSV},
    )  # fmt: skip
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "pending"
    assert started.json()["total"] == 14
    location = started.headers["Location"]
    assert location.endswith(f"/api/v1/customers/imports/{started.json()['id']}")

    job = wait_done(api, location, manager)
    assert job["status"] == "done", job
    assert (job["file_name"], job["total"], job["done"]) == ("fair.csv", 14, 14)
    assert (job["accepted"], job["rejected"]) == (12, 2)
    assert job["finished_at"]

    listed = api.get("/api/v1/customers", params={"q": f"guest-{tag}"}, headers=auth(manager))
    assert sorted(c["email"] for c in listed.json()["items"]) == sorted(emails)
    rejected = api.get(f"{location}/rejected", headers=auth(manager))
    assert rejected.status_code == 200
    assert rejected.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(rejected.text)))
    assert rows[0] == ["line", "reason", "name", "email", "city", "tags"]
    assert [row[0] for row in rows[1:]] == ["3", "15"]
    assert "an email or a phone" in rows[1][1]
    assert rows[2][1] == "duplicate: same email or phone as line 2"
    assert rows[2][2] == f"Again {tag}"


def test_a_header_naming_another_column_is_a_422_naming_it(
    api: httpx.Client,  # noqa: F811
    stack: Stack,
) -> None:
    refused = api.post(
        "/api/v1/customers/imports", content="name,e-mail\nAda,ada@example.com\n",
        headers={**auth(staff_user(api, stack, "manager")), **CSV},
    )  # fmt: skip

    assert refused.status_code == 422, refused.text
    assert refused.headers["Content-Type"] == PROBLEM
    [error] = refused.json()["errors"]
    assert error["field"] == "content"
    assert "unknown column e-mail" in error["message"]


def test_only_importers_import_and_an_import_is_its_uploaders(
    api: httpx.Client,  # noqa: F811
    stack: Stack,
) -> None:
    content, _ = guests(uuid.uuid4().hex[:8], 2)
    for role in ("sales_rep", "marketer", "service_agent"):
        denied = api.post(
            "/api/v1/customers/imports", content=content,
            headers={**auth(staff_user(api, stack, role)), **CSV},
        )  # fmt: skip
        assert denied.status_code == 403, (role, denied.text)

    uploader = staff_user(api, stack, "manager")
    started = api.post(
        "/api/v1/customers/imports", content=content, headers={**auth(uploader), **CSV}
    )
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    other = stack.token(new_account(api, stack, "manager"), STAFF_PASSWORD)

    assert api.get(location, headers=auth(other)).status_code == 404
    assert api.get(f"{location}/rejected", headers=auth(other)).status_code == 404
    assert api.get(location, headers=stack.headers()).json()["id"] == started.json()["id"]
    assert api.get(location).status_code == 401


def alike_pair(client: httpx.Client, stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    unique = uuid.uuid4().hex[:8]
    made = []
    for name, email in ((f"Qiao {unique} Lan", f"qiao.{unique}@example.com"),
                        (f"Lan Qiao {unique}", f"qiao{unique}@mail.example")):  # fmt: skip
        created = client.post(
            "/api/v1/customers", json={"name": name, "email": email, "city": "Xiamen"},
            headers=stack.headers(),
        )  # fmt: skip
        assert created.status_code == 201, created.text
        made.append(created.json())
    return made[0], made[1]


def pairs_of(client: httpx.Client, token: str, first_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token_param = ""
    while True:
        listed = client.get(
            "/api/v1/customers/duplicates", params={"page_token": token_param, "page_size": 200},
            headers=auth(token),
        )  # fmt: skip
        assert listed.status_code == 200, listed.text
        found += [p for p in listed.json()["items"] if p["first"]["id"] == first_id]
        token_param = listed.json()["next_page_token"] or ""
        if not token_param:
            return found


def test_a_manager_reviews_the_companys_duplicates_and_merges_one(
    api: httpx.Client,  # noqa: F811
    stack: Stack,
) -> None:
    older, newer = alike_pair(api, stack)
    manager = staff_user(api, stack, "manager")

    [pair] = pairs_of(api, manager, older["id"])
    assert pair["second"]["id"] == newer["id"]
    assert pair["score"] == 100
    assert pair["reasons"] == ["name 100 %", "email 100 %", "same city"]
    rep = staff_user(api, stack, "sales_rep")
    assert api.get("/api/v1/customers/duplicates", headers=auth(rep)).status_code == 403

    merged = api.post(
        f"/api/v1/customers/{older['id']}/merge", json={"merged_id": newer["id"]},
        headers=auth(manager),
    )  # fmt: skip
    assert merged.status_code == 200, merged.text
    assert pairs_of(api, manager, older["id"]) == []


def test_the_console_imports_a_file_and_merges_a_pair(
    page: Page,  # noqa: F811
    api: httpx.Client,  # noqa: F811
    stack: Stack,
) -> None:
    tag = uuid.uuid4().hex[:8]
    content, _ = guests(tag, 5)
    log_in(page, new_account(api, stack, "manager"), STAFF_PASSWORD, "/console/login")

    page.goto("/console/imports")
    page.get_by_label("CSV file").set_input_files(
        {"name": "fair.csv", "mimeType": "text/csv", "buffer": content.encode()}
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page).to_have_url(re.compile(r"/console/imports/[0-9a-f-]{36}$"))
    expect(page.locator("#import-status")).to_have_text("Done", timeout=30_000)  # htmx polled
    expect(page.locator("#import-accepted")).to_have_text("5")
    expect(page.locator("#import-rejected")).to_have_text("2")
    screenshot(page, "console-import")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows").click()
    lines = download.value.path().read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ["line", "3", "8"]

    older, newer = alike_pair(api, stack)
    page.goto("/console/duplicates")
    row = page.locator(f"#pair-{older['id']}-{newer['id']}")
    expect(row).to_contain_text("same city")
    screenshot(page, "console-duplicates")
    row.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(older["name"])
    merged = api.get(f"/api/v1/customers/{newer['id']}", headers=stack.headers()).json()
    assert merged["merged_into_id"] == older["id"]
