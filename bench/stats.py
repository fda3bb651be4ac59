"""Latency percentiles and the result objects written to the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of unsorted values (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Measure:
    """One side of a scenario: how much per second and how fast each operation was."""

    label: str
    operations: int
    seconds: float
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    unit: str = "ops/s"
    steps: dict[str, list[float]] = field(default_factory=dict, repr=False)  # name -> latencies

    @property
    def throughput(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        summary: dict[str, Any] = {
            "label": self.label,
            "operations": self.operations,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
            "throughput": round(self.throughput, 1),
            "unit": self.unit,
            "p50_ms": _round(percentile(lat, 50)) if lat else None,
            "p95_ms": _round(percentile(lat, 95)) if lat else None,
            "p99_ms": _round(percentile(lat, 99)) if lat else None,
            "max_ms": _round(max(lat)) if lat else None,
        }
        if self.steps:
            summary["steps"] = {
                name: {"operations": len(values), "p50_ms": _round(percentile(values, 50)),
                       "p95_ms": _round(percentile(values, 95)),
                       "p99_ms": _round(percentile(values, 99))}
                for name, values in self.steps.items() if values
            }  # fmt: skip
        return summary


def _round(value: float) -> float:
    return round(value, 2)


@dataclass
class ScenarioResult:
    name: str
    ours: Measure
    baseline: Measure
    ratio_of: str = "throughput"  # what the ratio compares: throughput, or p99 for latency
    settings: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.ratio_of == "throughput":
            if not self.baseline.throughput:
                return None
            return self.ours.throughput / self.baseline.throughput
        ours, base = self.ours.summary()["p99_ms"], self.baseline.summary()["p99_ms"]
        return base / ours if ours else None

    def target(self, name: str, value: float | None, limit: float, *, at_most: bool) -> None:
        met = value is not None and (value <= limit if at_most else value >= limit)
        self.targets.append(
            {"target": name, "value": None if value is None else round(value, 3),
             "limit": limit, "at_most": at_most, "met": met}
        )  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "scenario": self.name,
            "ours": self.ours.summary(),
            "baseline": self.baseline.summary(),
            "ratio": None if ratio is None else round(ratio, 3),
            "ratio_of": self.ratio_of,
            "settings": self.settings,
            "targets": self.targets,
            "notes": self.notes,
        }


def measures_json(measures: Sequence[Measure]) -> list[dict[str, Any]]:
    return [asdict(m) | {"latencies_ms": None} for m in measures]
