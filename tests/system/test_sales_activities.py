"""Activities over REST, as the real processes run them: a rep logs a call on a customer and
completes it, and the customer service puts it on the customer's timeline (from the sales
event on the broker); the rep's calendar, as JSON and as iCalendar; another rep finds none of
it; bad input is a 422 naming the field and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest

from tests.system.stack import Stack
from tests.system.test_security import (
    STAFF_PASSWORD,
    assert_problem,
    auth,
    create_customer,
    new_account,
    staff_user,
)


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_logged_call_shows_on_the_customers_timeline_and_calendar(
    api: httpx.Client, stack: Stack
) -> None:
    customer = create_customer(api, stack)
    rep = staff_user(api, stack, "sales_rep")
    other_rep = stack.token(new_account(api, stack, "sales_rep"), STAFF_PASSWORD)
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)

    scheduled = api.post(
        "/api/v1/sales/activities",
        json={
            "kind": "call",
            "subject_kind": "customer",
            "subject_id": customer["id"],
            "title": "Ask about the autumn catalogue",
            "due_at": rfc3339(due),
        },
        headers=auth(rep),
    )
    assert scheduled.status_code == 201, scheduled.text
    call = scheduled.json()
    assert scheduled.headers["Location"] == f"/api/v1/sales/activities/{call['id']}"
    assert (call["customer_id"], call["state"], call["version"]) == (
        customer["id"],
        "scheduled",
        1,
    )
    path = f"/api/v1/sales/activities/{call['id']}"

    # another rep: as if it did not exist
    assert_problem(api.get(path, headers=auth(other_rep)), 404)
    assert_problem(
        api.post(f"{path}/complete", json={"outcome": "reached"}, headers=auth(other_rep)), 404
    )
    # a call needs its outcome; an unknown kind is named too
    no_outcome = assert_problem(api.post(f"{path}/complete", json={}, headers=auth(rep)), 422)
    assert [e["field"] for e in no_outcome["errors"]] == ["outcome"]
    bad = assert_problem(
        api.post(
            "/api/v1/sales/activities",
            json={"kind": "call", "subject_kind": "customer", "subject_id": "nope", "title": ""},
            headers=auth(rep),
        ),
        422,
    )
    assert {"subject_id", "title", "due_at"} <= {e["field"] for e in bad["errors"]}
    assert api.get(path, headers=auth(rep)).json()["version"] == 1

    done = api.post(
        f"{path}/complete",
        json={"outcome": "reached", "note": "Wants 60 pages", "version": 1},
        headers=auth(rep),
    )
    assert done.status_code == 200, done.text
    assert (done.json()["activity"]["done"], done.json()["activity"]["outcome"]) == (
        True,
        "reached",
    )
    again = assert_problem(
        api.post(f"{path}/complete", json={"outcome": "reached"}, headers=auth(rep)), 409
    )
    assert "done" in again["detail"]

    def on_timeline() -> list[dict[str, Any]]:
        response = api.get(f"/api/v1/customers/{customer['id']}/timeline", headers=stack.headers())
        assert response.status_code == 200, response.text
        return [i for i in response.json()["items"] if i["id"] == call["id"]]

    stack.wait_until(lambda: bool(on_timeline()), timeout=30, what="the call on the timeline")
    [logged] = on_timeline()
    assert logged["channel"] == "phone"
    assert logged["summary"] == "Call (reached): Ask about the autumn catalogue. Wants 60 pages"

    window = {"from": rfc3339(due - timedelta(days=1)), "to": rfc3339(due + timedelta(days=1))}
    calendar = api.get("/api/v1/sales/calendar", params=window, headers=auth(rep))
    assert calendar.status_code == 200, calendar.text
    assert [a["id"] for a in calendar.json()["activities"]] == [call["id"]]
    theirs = api.get("/api/v1/sales/calendar", params=window, headers=auth(other_rep))
    assert theirs.json().get("activities", []) == []
    too_long = assert_problem(
        api.get(
            "/api/v1/sales/calendar",
            params={**window, "to": rfc3339(due + timedelta(days=100))},
            headers=auth(rep),
        ),
        422,
    )
    assert [e["field"] for e in too_long["errors"]] == ["to"]

    ics = api.get("/api/v1/sales/calendar.ics", params=window, headers=auth(rep))
    assert ics.status_code == 200, ics.text
    assert ics.headers["content-type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(ics.text).walk("VEVENT")
    assert str(event["uid"]) == f"{call['id']}@guanxi"
    assert event.decoded("dtstart") == due
    assert str(event["summary"]) == "Call: Ask about the autumn catalogue"

    overdue = api.get("/api/v1/sales/activities/overdue", headers=auth(rep))
    assert overdue.status_code == 200, overdue.text
    assert call["id"] not in [a["id"] for a in overdue.json()["items"]]
