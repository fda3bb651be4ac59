"""A closed-loop load generator in several processes (clients are threads in them), the same
for every scenario and its baseline: each client sends its next operation when the previous
one answered, or at a fixed rate when one is given. Latencies are taken per operation; the
first `warmup` seconds are not counted."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from bench import data
from bench.stats import Measure


class Workload(Protocol):
    """What one client does. Picklable: it is sent to the generator's processes.

    A workload whose operations are the steps of something longer also has
    `step(session) -> str | None`, the name of the step its next call takes: the latencies are
    then kept per step as well (`Measure.steps`)."""

    def open(self, client: int) -> Any: ...

    def call(self, session: Any, seq: int) -> bool: ...

    def close(self, session: Any) -> None: ...


def run_load(
    label: str,
    workload: Workload,
    *,
    clients: int,
    processes: int,
    warmup: float,
    duration: float,
    rate: float | None = None,
) -> Measure:
    processes = max(1, min(processes, clients))
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 2.0  # every process starts together, once spawned
    groups = [list(range(i, clients, processes)) for i in range(processes)]
    workers = [
        context.Process(
            target=_process_main,
            args=(workload, group, start_at, warmup, duration, rate, clients, queue),
            daemon=True,
        )
        for group in groups
    ]
    for worker in workers:
        worker.start()
    measure = Measure(label, 0, duration)
    for _ in workers:
        count, errors, latencies, steps = queue.get(timeout=warmup + duration + 120)
        measure.operations += count
        measure.errors += errors
        measure.latencies_ms.extend(latencies)
        for name, step_latencies in steps.items():
            measure.steps.setdefault(name, []).extend(step_latencies)
    for worker in workers:
        worker.join(timeout=30)
    return measure


def _process_main(
    workload: Workload,
    client_ids: list[int],
    start_at: float,
    warmup: float,
    duration: float,
    rate: float | None,
    clients: int,
    queue: Any,
) -> None:
    results: list[tuple[int, int, list[float], dict[str, list[float]]]] = []
    lock = threading.Lock()
    step_of = getattr(workload, "step", None)

    def client(client_id: int) -> None:
        session = workload.open(client_id)
        latencies: list[float] = []
        steps: dict[str, list[float]] = {}
        count = errors = seq = 0
        interval = clients / rate if rate else 0.0
        # spread the clients of a fixed rate evenly over one interval
        next_at = start_at + (client_id / clients) * interval
        time.sleep(max(0.0, start_at - time.time()))
        measure_from = time.perf_counter() + warmup
        measure_until = measure_from + duration
        while True:
            if interval:
                delay = next_at - time.time()
                if delay > 0:
                    time.sleep(delay)
                next_at += interval
            began = time.perf_counter()
            if began >= measure_until:
                break
            step = step_of(session) if step_of else None
            ok = workload.call(session, seq)
            ended = time.perf_counter()
            seq += 1
            if began >= measure_from and ended <= measure_until:
                count += 1
                if ok:
                    latencies.append((ended - began) * 1000)
                    if step is not None:
                        steps.setdefault(step, []).append(latencies[-1])
                else:
                    errors += 1
        workload.close(session)
        with lock:
            results.append((count, errors, latencies, steps))

    threads = [threading.Thread(target=client, args=(c,)) for c in client_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    steps: dict[str, list[float]] = {}
    for *_, client_steps in results:
        for name, step_latencies in client_steps.items():
            steps.setdefault(name, []).extend(step_latencies)
    queue.put(
        (
            sum(r[0] for r in results),
            sum(r[1] for r in results),
            [latency for r in results for latency in r[2]],
            steps,
        )
    )


# -- HTTP workloads --------------------------------------------------------------------------


@dataclass
class HttpSession:
    host: str
    port: int
    connection: http.client.HTTPConnection | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers=dict(headers))
                response = self.connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    return 0, b""
        return 0, b""


@dataclass(frozen=True)
class WorkflowStep:
    """One call of a workflow: its path under the API's root ({id}: the record the workflow
    works on), its body (`{unique}` in a string: a new value each workflow), whether the
    customer takes it (else staff), the status it answers, and the field of its answer that
    names the record the next steps work on (the first step's answer names it by `id`)."""

    name: str
    path: str
    body: dict[str, Any]
    by_customer: bool = False
    status: int = 200
    keep: str | None = None


_STAFF_ORDER = "/sales/orders/{id}"
_OWN_ORDER = "/portal/orders/{id}"
# placed to closed and paid, as the agency works: the customer places, approves and signs;
# staff confirm, propose, price, sign, produce, deliver, close; finance records 4 payments
ORDER_STEPS = (
    WorkflowStep("place", "/portal/orders", {"title": "Autumn catalogue"}, by_customer=True,
              status=201, keep="id"),
    WorkflowStep("confirm", f"{_STAFF_ORDER}/confirm", {}),
    WorkflowStep("proposal", f"{_STAFF_ORDER}/proposal", {"proposal": "A 40-page catalogue"}),
    WorkflowStep("approve-proposal", f"{_OWN_ORDER}/approve-proposal", {}, by_customer=True),
    WorkflowStep("price", f"{_STAFF_ORDER}/price",
              {"amount": {"currency_code": "CNY", "amount": "12000.00"}}),
    WorkflowStep("customer sign", f"{_OWN_ORDER}/sign", {}, by_customer=True),
    WorkflowStep("staff sign", f"{_STAFF_ORDER}/sign", {}),
    WorkflowStep("start-production", f"{_STAFF_ORDER}/start-production", {}),
    WorkflowStep("deliver", f"{_STAFF_ORDER}/deliver", {}),
    WorkflowStep("after-sales", f"{_STAFF_ORDER}/after-sales", {}),
    WorkflowStep("close", f"{_STAFF_ORDER}/close", {}),
    *(WorkflowStep(f"pay {n}", f"{_STAFF_ORDER}/milestones/{n}/pay", {"reference": f"B{n}"})
      for n in range(1, 5)),
)  # fmt: skip


_LEAD = "/sales/leads/{id}"
_DEAL = "/sales/opportunities/{id}"
# a lead captured to a won deal, as a sales team works it (all as staff): capture, assign,
# qualify, convert (a customer found or created in the customer service, and an opportunity),
# move to the proposal stage, win
PIPELINE_STEPS = (
    WorkflowStep("capture", "/sales/leads",
                 {"source": "web", "contact": {"name": "Bench Lead {unique}",
                                               "email": "lead-{unique}@bench.example.com",
                                               "company": "Bench {unique}"}},
                 status=201, keep="id"),
    WorkflowStep("assign", f"{_LEAD}/assign", {"owner_id": "bench-rep"}),
    WorkflowStep("qualify", f"{_LEAD}/qualify", {}),
    WorkflowStep("convert", f"{_LEAD}/convert",
                 {"opportunity_title": "Autumn catalogue",
                  "amount": {"currency_code": "CNY", "amount": "12000.00"}},
                 keep="opportunity_id"),
    WorkflowStep("stage", f"{_DEAL}/stage", {"stage": "proposal"}),
    WorkflowStep("win", f"{_DEAL}/win", {}),
)  # fmt: skip


_STAFF_CASE = "/service/cases/{id}"
_OWN_CASE = "/portal/cases/{id}"
# a customer's question to a closed case, as the service desk works it: the customer opens it
# in the portal (recognized through the customer service), a manager assigns it, the agent
# starts, answers and resolves it, the customer says thanks, the agent closes it
CASE_STEPS = (
    WorkflowStep("open", "/portal/cases",
                 {"type": "inquiry", "subject": "Delivery date {unique}",
                  "description": "When will the catalogue arrive?"},
                 by_customer=True, status=201, keep="id"),
    WorkflowStep("assign", f"{_STAFF_CASE}/assign", {"owner_id": "bench-agent"}),
    WorkflowStep("start", f"{_STAFF_CASE}/start", {}),
    WorkflowStep("answer", f"{_STAFF_CASE}/messages", {"body": "It ships on Monday"}),
    WorkflowStep("thanks", f"{_OWN_CASE}/messages", {"body": "Thank you"}, by_customer=True),
    WorkflowStep("resolve", f"{_STAFF_CASE}/resolve", {"resolution": "Delivery date given"}),
    WorkflowStep("close", f"{_STAFF_CASE}/close", {}),
)  # fmt: skip


@dataclass
class HttpWorkload:
    """GET one of `ids` (`path` has {id}), POST generated customers, walk list pages, log in
    (the OAuth password grant) as one of `ids`, the usernames, or take a record through a
    workflow's `steps` (`path` is the API's root), one step a call: a refused step starts the
    workflow again."""

    base: str  # host:port
    mode: str  # "get", "post", "walk", "login" or "workflow"
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    ids: Sequence[str] = ()
    password: str = ""  # "login": every account's
    prefix: str = ""  # "post": unique emails
    first: int = 0  # "post": the first customer number (data.customer), apart per scenario
    regions: Sequence[str] = ()  # "walk"
    page_size: int = 50
    pages_per_walk: int = 10
    steps: Sequence[WorkflowStep] = ORDER_STEPS  # "workflow"
    customer_tokens: Sequence[str] = ()  # "workflow": client n is customer_tokens[n]'s customer

    def open(self, client: int) -> HttpSession:
        host, port = self.base.rsplit(":", 1)
        session = HttpSession(host, int(port))
        session.state.update(client=client, rng=random.Random(client), token="", page=0,
                             step=0, record="")  # fmt: skip
        return session

    def step(self, session: HttpSession) -> str | None:
        return self.steps[session.state["step"]].name if self.mode == "workflow" else None

    def close(self, session: HttpSession) -> None:
        if session.connection is not None:
            session.connection.close()

    def call(self, session: HttpSession, seq: int) -> bool:
        state = session.state
        if self.mode == "get":
            path = self.path.format(id=state["rng"].choice(self.ids))
            status, _ = session.request("GET", path, None, self.headers)
            return status == 200
        if self.mode == "post":
            n = self.first + state["client"] * data.NUMBERS_PER_CLIENT + seq
            body = json.dumps(data.api_body(data.customer(n, self.prefix, state["rng"]))).encode()
            headers = {**self.headers, "content-type": "application/json"}
            status, _ = session.request("POST", self.path, body, headers)
            return status == 201
        if self.mode == "login":
            form = {"grant_type": "password", "username": state["rng"].choice(self.ids),
                    "password": self.password}  # fmt: skip
            headers = {**self.headers, "content-type": "application/x-www-form-urlencoded"}
            status, _ = session.request("POST", self.path, urlencode(form).encode(), headers)
            return status == 200
        if self.mode == "workflow":
            return self._workflow_step(session)
        # walk: the pages of one region's list, from the first, then another region
        if state["page"] == 0 or not state["token"]:
            state["region"] = state["rng"].choice(self.regions)
            state["token"], state["page"] = "", 0
        query = f"?region={state['region']}&page_size={self.page_size}"
        if state["token"]:
            query += f"&page_token={state['token']}"
        status, body = session.request("GET", self.path + query, None, self.headers)
        if status != 200:
            state["page"] = 0
            return False
        state["token"] = json.loads(body).get("next_page_token") or ""
        state["page"] = (state["page"] + 1) % self.pages_per_walk
        return True

    def _workflow_step(self, session: HttpSession) -> bool:
        state = session.state
        step = self.steps[state["step"]]
        headers = {**self.headers, "content-type": "application/json"}
        if step.by_customer:
            headers["Authorization"] = f"Bearer {self.customer_tokens[state['client']]}"
        if state["step"] == 0:
            state["unique"] = str(uuid.uuid4())  # also a valid id where one is asked
        path = self.path + step.path.format(id=state["record"])
        body = json.dumps(_filled(step.body, state["unique"])).encode()
        status, answer = session.request("POST", path, body, headers)
        if status != step.status:
            state["step"] = 0
            return False
        if step.keep:
            state["record"] = json.loads(answer)[step.keep]
        state["step"] = (state["step"] + 1) % len(self.steps)
        return True


def _filled(body: Any, unique: str) -> Any:
    """`body` with `{unique}` in its strings replaced."""
    if isinstance(body, dict):
        return {key: _filled(value, unique) for key, value in body.items()}
    if isinstance(body, list):
        return [_filled(value, unique) for value in body]
    return body.replace("{unique}", unique) if isinstance(body, str) else body
