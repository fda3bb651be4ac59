"""`python -m bench` (make bench): run every scenario against real processes, a real
PostgreSQL, a real RabbitMQ and a real Redis (the gateway's rate limit counts, as in
production), and write bench/results/latest.json and latest.md.

BENCH_SCALE=small finishes in a few minutes (its report goes to latest-small.*); the full run
(the default) imports 1,000,000 customers. BENCH_ONLY=read,write,... runs some of the
scenarios read, write, token, relay, latency, order, pipeline, case, knowledge,
outsource, capture, segment_recompute, incremental_value and scale;
BENCH_REDIS_URL names another Redis (default redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from crm_platform.testing.servers import (
    PostgresServer,
    RabbitServer,
    postgres_server,
    rabbit_server,
)

from bench import scenarios
from bench.config import current_scale
from bench.memory import MemorySampler
from bench.report import markdown
from bench.stack import bench_stack
from bench.stats import ScenarioResult

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = (
    "read", "write", "token", "relay", "latency", "order", "pipeline", "case", "knowledge",
    "outsource", "capture",
    "segment_recompute", "incremental_value", "scale",
)  # fmt: skip


def main() -> int:
    scale = current_scale()
    only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
    if unknown := only - set(SCENARIOS):
        raise SystemExit(
            f"BENCH_ONLY: no scenario {', '.join(sorted(unknown))}; choose from "
            + ", ".join(SCENARIOS)
        )
    selected = [s for s in SCENARIOS if not only or s in only]
    with postgres_server() as postgres, rabbit_server() as rabbit:
        if isinstance(postgres, str) or isinstance(rabbit, str):
            print(f"bench: {postgres if isinstance(postgres, str) else rabbit}", file=sys.stderr)
            return 2
        return run(scale, selected, postgres, rabbit)


def run(scale: Any, selected: list[str], postgres: PostgresServer, rabbit: RabbitServer) -> int:
    started = time.monotonic()
    began_at = datetime.now(UTC)
    memory = MemorySampler().start()
    results: list[ScenarioResult] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        stack = bench_stack(postgres, rabbit, Path(tmp), memory)
        try:
            stack.migrate()
            stack.start_all()
            steps: list[tuple[str, Any]] = [
                ("read", scenarios.read), ("write", scenarios.write),
                ("token", scenarios.token), ("relay", scenarios.relay),
                ("latency", scenarios.latency), ("order", scenarios.order),
                ("pipeline", scenarios.pipeline), ("case", scenarios.case),
                ("knowledge", scenarios.knowledge), ("outsource", scenarios.outsource),
                ("capture", scenarios.capture),
                ("segment_recompute", scenarios.segment_recompute),
                ("incremental_value", scenarios.incremental_value),
            ]  # fmt: skip
            for name, scenario in steps:
                if name in selected:
                    results.append(_step(name, lambda s=scenario: s(stack, scale), failures))
            if "scale" in selected:
                stack.stop_all()  # the list runs on its own stack, over the imported customers
                outcome = _step("import", lambda: scenarios.scale_import(stack, scale), failures)
                if outcome is not None:
                    imported, database = outcome
                    results.append(imported)
                    listed = lambda: scenarios.scale_list(stack, scale, database)  # noqa: E731
                    results.append(_step("list", listed, failures))
        finally:
            memory.sample()
            memory.stop()
            if failures:
                print(stack.logs()[-8000:], file=sys.stderr)
            stack.destroy()
    report = {
        "run": {
            "scale": scale.name,
            "started_at": began_at.isoformat(),
            "duration_s": round(time.monotonic() - started, 1),
            "machine": {
                "cpus": psutil.cpu_count(),
                "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                "python": platform.python_version(), "platform": platform.platform(),
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            },
            "settings": scale.settings(),
            "failures": failures,
        },
        "scenarios": [r.as_json() for r in results if r is not None],
        "memory": memory.report(),
    }  # fmt: skip
    _memory_targets(report)
    suffix = "" if scale.name == "full" else f"-{scale.name}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"latest{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"latest{suffix}.md").write_text(markdown(report))
    print(markdown(report))
    return 1 if failures else 0


def _step(name: str, action: Any, failures: list[str]) -> Any:
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    began = time.monotonic()
    try:
        result = action()
    except Exception as exc:
        failures.append(f"{name}: {type(exc).__name__}: {exc}"[:2000])
        traceback.print_exc()
        return None
    print(f"bench: {name} done in {time.monotonic() - began:.0f}s", file=sys.stderr, flush=True)
    return result


def _memory_targets(report: dict[str, Any]) -> None:
    memory = report["memory"]
    memory["targets"] = [
        {"target": "no service process above 250 MB", "value": memory["largest_process_mb"],
         "limit": 250, "at_most": True, "met": memory["largest_process_mb"] <= 250},
        {"target": "the whole stack under 2 GB", "value": memory["stack_peak_total_mb"],
         "limit": 2048, "at_most": True, "met": memory["stack_peak_total_mb"] < 2048},
    ]  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
