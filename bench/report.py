"""The Markdown report: one table of the scenarios, the targets, and the memory."""

from __future__ import annotations

from typing import Any


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def markdown(report: dict[str, Any]) -> str:
    run = report["run"]
    machine = run["machine"]
    lines = [
        f"# Benchmark ({run['scale']} run, {run['started_at'][:16]}Z, {run['duration_s']:.0f} s)",
        "",
        f"{machine['cpus']} CPUs, {machine['memory_gb']} GB, Python {machine['python']}; "
        f"load average at the end {machine['load_average_at_end']}. Ours and the baseline are "
        "measured one after the other in the same run.",
        "",
        "| scenario | ours | baseline | ratio | ours p50 / p95 / p99 ms "
        "| baseline p50 / p95 / p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for s in report["scenarios"]:
        ours, base = s["ours"], s["baseline"]
        ratio = "-" if s["ratio"] is None else f"{s['ratio']:.2f}"
        if s["ratio_of"] != "throughput":
            ratio += f" ({s['ratio_of']})"
        lines.append(
            f"| {s['scenario']} | {ours['throughput']:,.0f} {ours['unit']} "
            f"({ours['operations']:,} in {ours['seconds']:.1f} s"
            f"{', ' + str(ours['errors']) + ' errors' if ours['errors'] else ''}) "
            f"| {base['throughput']:,.0f} {base['unit']} | {ratio} "
            f"| {_ms(ours['p50_ms'])} / {_ms(ours['p95_ms'])} / {_ms(ours['p99_ms'])} "
            f"| {_ms(base['p50_ms'])} / {_ms(base['p95_ms'])} / {_ms(base['p99_ms'])} |"
        )
    for s in report["scenarios"]:
        if steps := s["ours"].get("steps"):
            lines += ["", f"| {s['scenario']}: step | calls | p50 / p95 / p99 ms |",
                      "|---|---|---|"]  # fmt: skip
            lines += [
                f"| {name} | {step['operations']:,} "
                f"| {_ms(step['p50_ms'])} / {_ms(step['p95_ms'])} / {_ms(step['p99_ms'])} |"
                for name, step in steps.items()
            ]
    memory = report["memory"]
    lines += ["", "| target | value | met |", "|---|---|---|"]
    for s in report["scenarios"]:
        for t in s["targets"]:
            met = "yes" if t["met"] else "**no**"
            lines.append(f"| {s['scenario']}: {t['target']} | {t['value']} | {met} |")
    for t in memory["targets"]:
        lines.append(f"| {t['target']} | {t['value']} MB | {'yes' if t['met'] else '**no**'} |")
    lines += [
        "",
        f"Peak resident memory: stack total {memory['stack_peak_total_mb']} MB; shared servers "
        + ", ".join(f"{k} {v} MB" for k, v in memory["servers_peak_mb"].items())
        + ".",
        "",
        "| process | peak RSS MB |",
        "|---|---|",
    ]
    lines += [
        f"| {p['label']} (`{p['command'][:60]}`) | {p['peak_rss_mb']} |"
        for p in memory["processes"]
    ]
    lines.append("")
    lines += [f"- {s['scenario']}: {s['ours']['label']} vs {s['baseline']['label']}"
              + "".join(f"; {note}" for note in s["notes"])
              for s in report["scenarios"]]  # fmt: skip
    if run["failures"]:
        lines += ["", "Failures:", *[f"- {f}" for f in run["failures"]]]
    return "\n".join(lines) + "\n"
