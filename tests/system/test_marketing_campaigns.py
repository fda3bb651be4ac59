"""An e-mail campaign through the real processes, real tokens and a real SMTP server: a
marketer makes a rule segment in analytics and a campaign to it, launches it, and the message
arrives with its one-click unsubscribe headers; its open pixel and its tracked link work
through the gateway (the link only to the template's own address); the unsubscribe page asks
first and changes nothing, the one-click POST withdraws the customer's e-mail consent in the
customer service. The campaign completes once its recipient is sent."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from crm_platform.testing.servers import PostgresServer, RabbitServer

from tests.marketing.integration.smtp_server import Mailbox, smtp_server
from tests.system.stack import Stack, running_stack
from tests.system.test_security import assert_problem, auth, create_customer, staff_user

OFFER = "https://shop.example.com/spring"
TEMPLATE = {
    "subject": "Spring offer for {{ name }}",
    "html_body": f'<p>Dear {{{{ name }}}}, see <a href="{OFFER}">the offer</a>.</p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    "text_body": f"Dear {{{{ name }}}}, {OFFER}\nUnsubscribe: {{{{ unsubscribe_url }}}}",
}


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[str, Mailbox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
    mail: tuple[str, Mailbox],
) -> Iterator[Stack]:
    """The whole system, marketing sending to this module's SMTP server."""
    marketing = {"CRM_SMTP_URL": mail[0], "CRM_MARKETING_SEND_RATE": "20"}
    yield from running_stack(
        postgres_instance, rabbit_instance, tmp_path_factory,
        env=lambda stack: {"marketing": {**marketing, "CRM_MARKETING_PUBLIC_URL": stack.api}},
    )  # fmt: skip


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def reachable_customer(api: httpx.Client, stack: Stack, region: str) -> dict[str, Any]:
    """A customer with e-mail consent, once marketing's contact copy knows it."""
    customer = create_customer(api, stack, region=region)
    path = f"/api/v1/customers/{customer['id']}"
    ok(api.put(f"{path}/consents/email", json={"granted": True}, headers=stack.headers()))

    def reachable() -> bool:
        found = api.get(f"/api/v1/marketing/contacts/{customer['id']}", headers=stack.headers())
        return found.status_code == 200 and found.json()["reachable_by"] == ["email"]

    stack.wait_until(reachable, timeout=30, what="the consent in marketing's copy")
    return customer


def segment_of(api: httpx.Client, stack: Stack, token: str, region: str) -> str:
    rule = {"match": "all", "groups": [{"match": "all", "conditions": [
        {"field": "region", "operator": "eq", "values": [region]}]}]}  # fmt: skip

    def counted() -> bool:
        preview = api.post("/api/v1/analytics/segments/preview", json={"rule": rule},
                           headers=auth(token))  # fmt: skip
        return ok(preview)["member_count"] == 1

    stack.wait_until(counted, timeout=30, what="the customer in analytics")
    created = api.post("/api/v1/analytics/segments", json={"name": f"{region} people",
                       "rule": rule}, headers=auth(token))  # fmt: skip
    return str(ok(created, 201)["id"])


def email_consent(api: httpx.Client, stack: Stack, customer_id: str) -> bool:
    record = ok(api.get(f"/api/v1/customers/{customer_id}", headers=stack.headers()))
    return bool(record["consents"].get("email", {}).get("granted"))


def link(message: EmailMessage, kind: str) -> str:
    html = message.get_body(("html",))
    assert html is not None
    found = re.search(rf'"(http[^"]+/api/v1/public/mail/{kind}/[^"]+)"', html.get_content())
    assert found is not None, f"no {kind} link"
    return found.group(1)


def test_a_segment_campaign_is_mailed_tracked_and_unsubscribed(
    api: httpx.Client, stack: Stack, mail: tuple[str, Mailbox]
) -> None:
    _url, mailbox = mail
    marketer = staff_user(api, stack, "marketer")
    region = f"Hainan-{uuid.uuid4().hex[:6]}"
    customer = reachable_customer(api, stack, region)
    segment_id = segment_of(api, stack, marketer, region)

    campaign = ok(api.post("/api/v1/marketing/campaigns", json={"campaign": {
        "name": "Spring offer", "channel": "email", "segment_id": segment_id,
        "budget": {"currency_code": "CNY", "amount": "5000.00"}, "template": TEMPLATE,
        "track_opens": True,
    }}, headers=auth(marketer)), 201)  # fmt: skip
    path = f"/api/v1/marketing/campaigns/{campaign['id']}"
    assert (campaign["state"], campaign["budget"]["amount"]) == ("draft", "5000.00")
    # a step out of order is refused and changes nothing
    assert_problem(api.post(f"{path}/launch", headers=auth(marketer)), 409)
    ok(api.post(f"{path}/schedule", headers=auth(marketer)))
    launched = ok(api.post(f"{path}/launch", headers=auth(marketer)))
    assert launched["state"] == "running"

    stack.wait_until(lambda: bool(mailbox.to(customer["email"])), timeout=30,
                     what="the campaign's message")  # fmt: skip
    [message] = mailbox.to(customer["email"])
    assert message["Subject"] == f"Spring offer for {customer['name']}"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stack.wait_until(lambda: ok(api.get(path, headers=auth(marketer)))["state"] == "completed",
                     timeout=30, what="the campaign completed")  # fmt: skip

    pixel = httpx.get(link(message, "open"), timeout=10)
    assert (pixel.status_code, pixel.headers["content-type"]) == (200, "image/gif")
    clicked = httpx.get(link(message, "click"), timeout=10, follow_redirects=False)
    assert (clicked.status_code, clicked.headers["location"]) == (302, OFFER)
    forged = httpx.get(link(message, "click")[:-3] + "xyz", timeout=10, follow_redirects=False)
    assert forged.status_code == 404

    recipients = ok(api.get(f"{path}/recipients", headers=auth(marketer)))["items"]
    assert [(r["customer_id"], r["status"]) for r in recipients] == [(customer["id"], "clicked")]

    # the link in the headers: GET only asks, so a link scanner unsubscribes nobody
    unsubscribe = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    page = httpx.get(unsubscribe, timeout=10)
    assert page.status_code == 200
    assert '<form method="post">' in page.text
    assert email_consent(api, stack, customer["id"])
    done = httpx.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert done.status_code == 200, done.text

    # marketing mails them no more at once; the customer service hears it by event
    contact = ok(api.get(f"/api/v1/marketing/contacts/{customer['id']}", headers=stack.headers()))
    assert contact["reachable_by"] == []
    stack.wait_until(lambda: not email_consent(api, stack, customer["id"]), timeout=30,
                     what="the consent withdrawn in the customer service")  # fmt: skip
    recipients = ok(api.get(f"{path}/recipients", headers=auth(marketer)))["items"]
    assert recipients[0]["status"] == "unsubscribed"
    # a sales rep reads campaigns but may not launch one
    rep = staff_user(api, stack, "sales_rep")
    assert ok(api.get(path, headers=auth(rep)))["recipients"]["unsubscribed"] == 1
    assert_problem(api.post(f"{path}/cancel", headers=auth(rep)), 403)
