"""How big a run is: BENCH_SCALE=small (development, under 5 minutes) or full (the default)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Scale:
    name: str
    warmup: float  # seconds of load before measuring
    duration: float  # seconds measured per load (ours and the baseline each)
    clients: int  # concurrent HTTP clients for read and write
    client_processes: int  # the load generator's processes (clients are threads in them)
    read_customers: int  # customers created for the read scenario
    relay_rows: int
    latency_rate: float  # events per second
    latency_duration: float
    import_rows: int
    list_clients: int
    list_page_size: int
    list_pages_per_walk: int
    token_users: int  # accounts created for the token scenario, each logging in at random
    token_clients: int  # a login is CPU-bound (argon2id): a few clients keep every CPU busy
    order_clients: int  # orders taken through their workflow at once, each client a customer
    value_customers: int  # customers of the segment recompute
    value_events: int  # payments of the incremental update, one after another

    def settings(self) -> dict[str, Any]:
        return asdict(self)


SCALES = {
    "small": Scale(
        name="small", warmup=2, duration=10, clients=16, client_processes=4,
        read_customers=500, relay_rows=10_000, latency_rate=200, latency_duration=15,
        import_rows=50_000, list_clients=8, list_page_size=50, list_pages_per_walk=10,
        token_users=100, token_clients=4, order_clients=8, value_customers=20_000,
        value_events=200,
    ),
    "full": Scale(
        name="full", warmup=5, duration=45, clients=16, client_processes=4,
        read_customers=5000, relay_rows=100_000, latency_rate=200, latency_duration=60,
        import_rows=1_000_000, list_clients=8, list_page_size=50, list_pages_per_walk=20,
        token_users=500, token_clients=4, order_clients=16, value_customers=1_000_000,
        value_events=2000,
    ),
}  # fmt: skip


def current_scale() -> Scale:
    name = os.environ.get("BENCH_SCALE", "full").strip().lower()
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    return SCALES[name]
