"""SLA clocks and mail to case over the real processes: a case opened through the gateway is
routed to the team's skilled agent; on the service's shifted clock (a settings file of seconds
the api and the sla jobs role add to now) its first-response clock warns, then breaches and
the case escalates to the team's manager, across a restart of the service; each event reaches
the broker once, and the case's answer shows its clocks. A mail sent to the real SMTP listener
becomes a case routed to the agent with the skill, and a reply joins it; the agent's answer
goes out by mail in its thread, and the resolution's satisfaction survey arrives with a signed
link, answered once through the gateway and counted for the agent."""

from __future__ import annotations

import re
import smtplib
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pika
import pytest
from crm_platform import enums
from crm_platform.events import decode
from crm_platform.testing.processes import free_port
from crm_platform.testing.servers import PostgresServer, RabbitServer
from crm_proto.crm.service.v1 import cases_pb2 as C
from crm_proto.crm.service.v1 import events_pb2

from tests.marketing.integration.smtp_server import Mailbox, smtp_server
from tests.system.stack import Stack, running_stack
from tests.system.test_security import STAFF_PASSWORD, auth, claims, new_account, staff_user

EXCHANGE = "crm.events"
FIRST_RESPONSE_MINUTES = 60
RESOLUTION_MINUTES = 600


@pytest.fixture(scope="module")
def offset_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "offset-seconds"
    path.write_text("0")
    return path


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def outgoing_mail() -> Iterator[tuple[str, Mailbox]]:
    """A real SMTP server the service's sender hands its replies and surveys to."""
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    smtp_port: int,
    outgoing_mail: tuple[str, Mailbox],
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
    offset_file: Path,
) -> Iterator[Stack]:
    """The whole system, the service's clock shifted by `offset_file`, working around the
    clock (so the weekday of the run does not matter) and looking at the clocks twice a
    second."""
    settings = {
        "CRM_SERVICE_CLOCK_OFFSET_FILE": str(offset_file),
        "CRM_SERVICE_SLA_HOURS": "mon-sun 00:00-24:00",
        "CRM_SERVICE_SLA_FIRST_RESPONSE_MINUTES": str(FIRST_RESPONSE_MINUTES),
        "CRM_SERVICE_SLA_RESOLUTION_MINUTES": str(RESOLUTION_MINUTES),
        "CRM_SERVICE_SLA_WARNING_SHARE": "0.8",
        "CRM_SERVICE_SLA_INTERVAL_SECONDS": "0.5",
        "CRM_SERVICE_MAIL_PORT": str(smtp_port),
        "CRM_SMTP_URL": outgoing_mail[0],
    }
    yield from running_stack(
        postgres_instance, rabbit_instance, tmp_path_factory, settings,
        # the survey links lead to this stack's gateway
        env=lambda stack: {"service": {"CRM_SERVICE_PUBLIC_URL": stack.api}},
    )  # fmt: skip


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


@pytest.fixture
def sla_events(stack: Stack) -> Iterator[Any]:
    """A queue of this test's own on crm.events, bound to the SLA events and escalations."""
    connection = pika.BlockingConnection(pika.URLParameters(stack.amqp_url))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    for name in ("SlaWarning", "SlaBreached", "CaseEscalated"):
        channel.queue_bind(queue, EXCHANGE, routing_key=f"crm.service.v1.{name}")
    channel.queue_name = queue  # type: ignore[attr-defined]
    yield channel
    connection.close()


class Received:
    """The events of one case taken from the queue so far, in order."""

    def __init__(self, stack: Stack, channel: Any, case_id: str) -> None:
        self.stack, self.channel, self.case_id = stack, channel, case_id
        self.events: list[Any] = []

    def names(self) -> list[tuple[str, str]]:
        """(event, clock kind) of each: the clock kind as the event names it."""
        return [(type(event).__name__, _kind(event)) for event in self.events]

    def wait_for(self, name: str, kind: str) -> None:
        def arrived() -> bool:
            method, _properties, body = self.channel.basic_get(
                self.channel.queue_name, auto_ack=True
            )
            if method is not None:
                message = decode(body).message
                if message.case.id == self.case_id:
                    self.events.append(message)
            return (name, kind) in self.names()

        self.stack.wait_until(arrived, timeout=60, what=f"{name} of the {kind} clock")


def _kind(event: Any) -> str:
    escalated = isinstance(event, events_pb2.CaseEscalated)
    return (
        enums.key(C.SlaClockKind.DESCRIPTOR, event.clock_kind if escalated else event.clock.kind)
        or ""
    )


def shift(offset_file: Path, minutes: float) -> None:
    offset_file.write_text(str(minutes * 60))


def clocks_of(api: httpx.Client, token: str, case_id: str) -> dict[str, dict[str, Any]]:
    case = api.get(f"/api/v1/service/cases/{case_id}", headers=auth(token))
    assert case.status_code == 200, case.text
    return {clock["kind"]: clock for clock in case.json()["sla_clocks"]}


def skilled_agent(api: httpx.Client, stack: Stack, manager: str, case_type: str) -> str:
    """A new agent in a new team of `manager`'s, the only one with the skill `case_type`
    cases now require; their token."""
    agent = stack.token(new_account(api, stack, "service_agent"), STAFF_PASSWORD)
    skill = f"skill-{uuid.uuid4().hex[:6]}"
    team = api.post(
        "/api/v1/service/teams",
        json={"name": f"Care {skill}", "manager_id": claims(manager)["sub"]},
        headers=auth(manager),
    )
    assert team.status_code == 201, team.text
    put = api.put(
        f"/api/v1/service/agents/{claims(agent)['sub']}",
        json={"team_id": team.json()["id"], "skills": [skill], "capacity": 5, "available": True},
        headers=auth(manager),
    )
    assert put.status_code == 200, put.text
    required = api.put(
        f"/api/v1/service/required-skills/{case_type}", json={"skill": skill},
        headers=auth(manager),
    )  # fmt: skip
    assert required.status_code == 200, required.text
    return agent


def test_a_case_warns_breaches_and_escalates_once_each_on_the_shifted_clock(
    api: httpx.Client, stack: Stack, sla_events: Any, offset_file: Path
) -> None:
    manager = staff_user(api, stack, "manager")
    manager_id = claims(manager)["sub"]
    agent = skilled_agent(api, stack, manager, "complaint")
    opened = api.post(
        "/api/v1/service/cases",
        json={"type": "complaint", "subject": "Sofa arrived scratched",
              "contact_email": f"qian-{uuid.uuid4().hex[:6]}@example.cn"},
        headers=auth(manager),
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["owner_id"] == claims(agent)["sub"]
    first = {clock["kind"]: clock for clock in case["sla_clocks"]}["first_response"]
    assert (first["state"], first["target_minutes"]) == ("ongoing", FIRST_RESPONSE_MINUTES)
    assert first["remaining_minutes"] in (FIRST_RESPONSE_MINUTES, FIRST_RESPONSE_MINUTES - 1)
    received = Received(stack, sla_events, case["id"])

    shift(offset_file, 50)
    received.wait_for("SlaWarning", "first_response")
    assert clocks_of(api, agent, case["id"])["first_response"]["warned_at"]

    # a restart of the service: what was recorded stays recorded
    stack.processes["service"].stop()
    stack.start("service", "service")
    stack.wait_ready("service", stack.ready_url("service"))

    shift(offset_file, 61)
    received.wait_for("CaseEscalated", "first_response")
    escalated = received.events[-1]
    assert escalated.manager_id == manager_id
    assert escalated.actor.subject == "service-sla"
    after = api.get(f"/api/v1/service/cases/{case['id']}", headers=auth(agent)).json()
    assert (after["escalated"], after["escalated_to"]) == (True, manager_id)
    assert after["sla_clocks"][0]["state"] == "breached"

    # the resolution clock runs on: once it has breached too, every earlier event has arrived
    shift(offset_file, RESOLUTION_MINUTES + 1)
    received.wait_for("SlaBreached", "resolution")
    assert received.names() == [
        ("SlaWarning", "first_response"),
        ("SlaBreached", "first_response"),
        ("CaseEscalated", "first_response"),
        ("SlaWarning", "resolution"),
        ("SlaBreached", "resolution"),
    ]


def test_a_mail_to_the_listener_becomes_a_case_for_the_skilled_agent(
    api: httpx.Client, stack: Stack, smtp_port: int, outgoing_mail: tuple[str, Mailbox]
) -> None:
    manager = staff_user(api, stack, "manager")
    agent = skilled_agent(api, stack, manager, "inquiry")
    sender = f"zhao-{uuid.uuid4().hex[:6]}@example.cn"
    first = EmailMessage()
    first["From"], first["To"], first["Subject"] = (
        sender,
        "support@guanxi.example",
        "Opening hours?",
    )
    first["Message-ID"] = f"<{uuid.uuid4().hex}@example.cn>"
    first.set_content("When is the Hangzhou showroom open?")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(first)

    def queue() -> list[dict[str, Any]]:
        listed = api.get("/api/v1/service/cases", headers=auth(agent))
        assert listed.status_code == 200, listed.text
        return [case for case in listed.json()["items"] if case["contact_email"] == sender]

    (case,) = queue()
    assert (case["channel"], case["status"], case["owner_id"]) == (
        "email", "assigned", claims(agent)["sub"],
    )  # fmt: skip

    reply = EmailMessage()
    reply["From"], reply["To"] = sender, "support@guanxi.example"
    reply["Subject"] = f"Re: [#{case['reference']}] Opening hours?"
    reply["Message-ID"] = f"<{uuid.uuid4().hex}@example.cn>"
    reply.set_content("And on Sundays?")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(reply)
    thread = api.get(f"/api/v1/service/cases/{case['id']}", headers=auth(agent)).json()
    assert [message["body"] for message in thread["messages"]] == [
        "When is the Hangzhou showroom open?",
        "And on Sundays?",
    ]

    # the agent answers: the answer goes to the sender by mail, in the mail's thread
    path = f"/api/v1/service/cases/{case['id']}"
    answered = api.post(f"{path}/messages", json={"body": "Sundays 10 to 4."}, headers=auth(agent))
    assert answered.status_code == 200, answered.text
    _, mailbox = outgoing_mail
    stack.wait_until(lambda: len(mailbox.to(sender)) == 1, timeout=30, what="the answer mailed")
    (mailed,) = mailbox.to(sender)
    assert mailed["Subject"] == f"Re: [#{case['reference']}] Opening hours?"
    assert mailed["In-Reply-To"] == reply["Message-ID"]
    assert mailed.get_content().strip() == "Sundays 10 to 4."

    # resolved: the survey mail's signed link is answered once, and counted for the agent
    resolved = api.post(f"{path}/resolve", json={"resolution": "Opening hours given"},
                        headers=auth(agent))  # fmt: skip
    assert resolved.status_code == 200, resolved.text
    stack.wait_until(lambda: len(mailbox.to(sender)) == 2, timeout=30, what="the survey mailed")
    survey_mail = mailbox.to(sender)[1]
    found = re.search(r"/api/v1/public/surveys/(\S+)", survey_mail.get_content())
    assert found is not None, survey_mail.get_content()
    link = f"/api/v1/public/surveys/{found.group(1)}"
    assert api.get(link).status_code == 200
    assert api.get(link.replace("/surveys/", "/surveys/x")).status_code == 404  # a forged link
    answer = api.post(link, json={"score": 5, "comment": "Quick and clear"})
    assert answer.status_code == 200, answer.text
    assert api.post(link, json={"score": 1}).status_code == 409  # once
    results = api.get("/api/v1/service/surveys/results", headers=auth(manager))
    assert results.status_code == 200, results.text
    mine = [row for row in results.json()["agents"] if row["id"] == claims(agent)["sub"]]
    assert [(row["answered"], row["satisfied"]) for row in mine] == [(1, 1)]
