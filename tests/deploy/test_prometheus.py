"""Prometheus: the scrape configurations and rules pass promtool, the alert rules behave as
their unit tests say, every alert has a summary and a runbook section, the rules use only
metrics the chassis exports, and the PrometheusRule of the monitoring component is the same."""

from __future__ import annotations

import re
import subprocess
import warnings
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import K8S, PROMETHEUS, ROOT, tool

CONFIGS = sorted(PROMETHEUS.glob("prometheus-*.yml"))
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "runbook.md"
REQUIRED_ALERTS = {
    "CrmServiceDown",
    "CrmHighErrorRatio",
    "CrmHighLatencyP99",
    "CrmOutboxBacklogGrowing",
    "CrmDeadLettersPresent",
    "CrmConsumerLagHigh",
    "CrmDatabasePoolExhausted",
}


def promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def alerts() -> list[dict[str, object]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_there_are_configs_and_rules() -> None:
    assert {p.name for p in CONFIGS} >= {
        "prometheus-local.yml",
        "prometheus-compose.yml",
        "prometheus-kubernetes.yml",
    }
    assert RULE_FILES


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_promtool_check_config(config: Path, tmp_path: Path) -> None:
    result = promtool("check", "config", config.name)
    unsupported = "field kubernetes_sd_configs not found"
    if result.returncode != 0 and unsupported in result.stdout + result.stderr:
        # Debian builds promtool without Kubernetes service discovery: check everything else
        # by swapping the discovery for an empty static list.
        warnings.warn(
            f"this promtool has no Kubernetes discovery; {config.name} is checked with its "
            "kubernetes_sd_configs replaced by static_configs",
            stacklevel=1,
        )
        document = yaml.safe_load(config.read_text())
        for job in document["scrape_configs"]:
            if job.pop("kubernetes_sd_configs", None) is not None:
                job["static_configs"] = [{"targets": []}]
        document["rule_files"] = [str(PROMETHEUS / r) for r in document.get("rule_files", [])]
        substitute = tmp_path / config.name
        substitute.write_text(yaml.safe_dump(document))
        result = promtool("check", "config", str(substitute))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", *(str(p.relative_to(PROMETHEUS)) for p in RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules() -> None:
    tests = sorted((PROMETHEUS / "tests").glob("*.yml"))
    assert tests
    result = promtool("test", "rules", *(str(p.relative_to(PROMETHEUS)) for p in tests))
    assert result.returncode == 0, result.stdout + result.stderr


def test_required_alerts_exist_with_summary_and_runbook() -> None:
    by_name = {rule["alert"]: rule for rule in alerts()}
    assert set(by_name) >= REQUIRED_ALERTS
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("#")
    }
    for name, rule in by_name.items():
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        assert annotations.get("summary"), f"{name}: no summary"
        runbook = annotations.get("runbook_url", "")
        assert runbook == f"docs/runbook.md#{name.lower()}", f"{name}: runbook_url {runbook}"
        assert name.lower() in headings, f"docs/runbook.md has no section {name}"
        assert rule.get("labels", {}).get("severity") in {"critical", "warning", "info"}


def test_rules_use_only_metrics_the_chassis_exports() -> None:
    from crm_platform import metrics
    from prometheus_client.metrics import MetricWrapperBase

    exported = set()
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            for family in metric.describe():
                exported.add(family.name)
                if family.type == "counter":
                    exported.add(family.name + "_total")
                if family.type == "histogram":
                    exported.update(family.name + s for s in ("_bucket", "_count", "_sum"))
    used = set()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                used.update(re.findall(r"(?<![:\w])(crm_[a-z_]+)(?![:\w])", str(rule["expr"])))
    assert used, "the rules use no chassis metric"
    assert used <= exported, f"not exported by crm_platform.metrics: {sorted(used - exported)}"


def test_prometheus_rule_matches_the_rule_files() -> None:
    """The PrometheusRule (Prometheus Operator) carries exactly the groups of the rule files."""
    rule = yaml.safe_load((K8S / "components" / "monitoring" / "prometheusrule.yaml").read_text())
    groups = [g for path in RULE_FILES for g in yaml.safe_load(path.read_text())["groups"]]
    assert rule["spec"]["groups"] == groups, (
        "deploy/k8s/components/monitoring/prometheusrule.yaml differs from deploy/prometheus/rules"
    )


def test_scrape_targets_cover_every_service() -> None:
    """The local and compose configurations scrape every service's metrics port."""
    from tests.deploy.support import PORTS, services

    for name, host in (("prometheus-local.yml", "127.0.0.1"), ("prometheus-compose.yml", None)):
        document = yaml.safe_load((PROMETHEUS / name).read_text())
        targets = {
            (static["labels"]["job"], target)
            for job in document["scrape_configs"]
            for static in job.get("static_configs", [])
            if static.get("labels", {}).get("system") == "guanxi"
            for target in static["targets"]
        }
        expected = {(s, f"{host or s}:{PORTS[s][1]}") for s in services()}
        assert targets == expected, name
