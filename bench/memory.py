"""Peak resident memory of every process of the system while the benchmark runs.

Every process the harness starts is registered with a label; a sampler thread walks them and
their children (gunicorn workers, import workers) twice a second. The shared servers
(PostgreSQL, RabbitMQ) are sampled too and reported apart: other work on the machine uses them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import psutil

MB = 1024 * 1024
SERVER_NAMES = {"postgres": "postgresql", "beam.smp": "rabbitmq", "epmd": "rabbitmq"}


@dataclass
class Peak:
    label: str
    pid: int
    command: str
    rss: int = 0


@dataclass
class MemorySampler:
    interval: float = 0.5
    roots: dict[int, str] = field(default_factory=dict)  # pid -> label
    peaks: dict[int, Peak] = field(default_factory=dict)
    stack_peak: int = 0
    servers_peak: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def track(self, pid: int, label: str) -> None:
        with self._lock:
            self.roots[pid] = label

    def start(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, name="memory", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            roots = dict(self.roots)
        total = 0
        for pid, label in roots.items():
            try:
                root = psutil.Process(pid)
                family = [(root, label)] + [
                    (child, f"{label} child") for child in root.children(recursive=True)
                ]
            except psutil.Error:
                continue
            for process, name in family:
                try:
                    rss = process.memory_info().rss
                    command = " ".join(process.cmdline()[:3])[:120]
                except psutil.Error:
                    continue
                total += rss
                peak = self.peaks.setdefault(process.pid, Peak(name, process.pid, command))
                peak.rss = max(peak.rss, rss)
        self.stack_peak = max(self.stack_peak, total)
        servers: dict[str, int] = {}
        for process in psutil.process_iter(["name", "memory_info"]):
            server = SERVER_NAMES.get(process.info["name"] or "")
            if server and process.info["memory_info"] is not None:
                servers[server] = servers.get(server, 0) + process.info["memory_info"].rss
        for server, rss in servers.items():
            self.servers_peak[server] = max(self.servers_peak.get(server, 0), rss)

    def report(self) -> dict[str, Any]:
        processes = sorted(self.peaks.values(), key=lambda p: -p.rss)
        return {
            "processes": [
                {"label": p.label, "pid": p.pid, "command": p.command,
                 "peak_rss_mb": round(p.rss / MB, 1)}
                for p in processes
            ],
            "largest_process_mb": round(processes[0].rss / MB, 1) if processes else 0.0,
            "stack_peak_total_mb": round(self.stack_peak / MB, 1),
            "servers_peak_mb": {k: round(v / MB, 1) for k, v in self.servers_peak.items()},
            "note": "stack = the processes the harness started and their children, summed at "
            "each sample; servers = the shared PostgreSQL and RabbitMQ, all their processes",
        }  # fmt: skip
