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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from bench import data
from bench.stats import Measure


class Workload(Protocol):
    """What one client does. Picklable: it is sent to the generator's processes."""

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
        count, errors, latencies = queue.get(timeout=warmup + duration + 120)
        measure.operations += count
        measure.errors += errors
        measure.latencies_ms.extend(latencies)
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
    results: list[tuple[int, int, list[float]]] = []
    lock = threading.Lock()

    def client(client_id: int) -> None:
        session = workload.open(client_id)
        latencies: list[float] = []
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
            ok = workload.call(session, seq)
            ended = time.perf_counter()
            seq += 1
            if began >= measure_from and ended <= measure_until:
                count += 1
                if ok:
                    latencies.append((ended - began) * 1000)
                else:
                    errors += 1
        workload.close(session)
        with lock:
            results.append((count, errors, latencies))

    threads = [threading.Thread(target=client, args=(c,)) for c in client_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(
        (
            sum(r[0] for r in results),
            sum(r[1] for r in results),
            [latency for r in results for latency in r[2]],
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


@dataclass
class HttpWorkload:
    """GET one of `ids` (`path` has {id}), POST generated customers, walk list pages, or log
    in (the OAuth password grant) as one of `ids`, the usernames."""

    base: str  # host:port
    mode: str  # "get", "post", "walk" or "login"
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    ids: Sequence[str] = ()
    password: str = ""  # "login": every account's
    prefix: str = ""  # "post": unique emails
    first: int = 0  # "post": the first customer number (data.customer), apart per scenario
    regions: Sequence[str] = ()  # "walk"
    page_size: int = 50
    pages_per_walk: int = 10

    def open(self, client: int) -> HttpSession:
        host, port = self.base.rsplit(":", 1)
        session = HttpSession(host, int(port))
        session.state.update(client=client, rng=random.Random(client), token="", page=0)
        return session

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
