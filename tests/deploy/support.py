"""Shared helpers of the deploy tests: paths, the services (the registry's), rendering the
kustomize overlays."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from crm_platform import registry
from crm_platform.testing import required

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
PROMETHEUS = DEPLOY / "prometheus"
COMPOSE_FILE = DEPLOY / "compose" / "compose.yaml"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
OVERLAYS = sorted(
    p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists()
)

# Kubernetes versions the manifests must validate against: the oldest supported and a current one
KUBERNETES_VERSIONS = ("1.30.0", "1.34.0")

SPECS = {spec.name: spec for spec in registry.SERVICES}
# the services' (gRPC or HTTP, metrics) ports
PORTS: dict[str, tuple[int, int]] = {s.name: (s.port, s.metrics_port) for s in registry.SERVICES}
HTTP_SERVICES = {s.name for s in registry.SERVICES if s.kind == "gateway"}


def services() -> list[str]:
    """The services every deployment runs: the registry's."""
    return list(registry.names())


def service_dirs() -> list[str]:
    return sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())


def has_database(service: str) -> bool:
    return SPECS[service].database


def tool(name: str) -> str:
    return required.tool(name, package="kubectl" if name == "kubectl" else "prometheus")


@functools.cache
def _render(overlay: str) -> str:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {overlay} failed:\n{result.stderr}"
    return result.stdout


def render(overlay: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize deploy/k8s/overlays/<overlay>` renders (shared: read only)."""
    tool("kubectl")
    return _parsed(overlay)


@functools.cache
def _parsed(overlay: str) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [doc for doc in yaml.load_all(_render(overlay), Loader=loader) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any] | None:
    return next((o for o in by_kind(objects, kind) if o["metadata"]["name"] == name), None)


def pod_template(obj: dict[str, Any]) -> dict[str, Any] | None:
    if obj["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
        return obj["spec"]["template"]  # type: ignore[no-any-return]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]  # type: ignore[no-any-return]
    return None


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Does a label selector (matchLabels, matchExpressions) select these labels?"""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
    return True


def image_is_pinned(image: str) -> bool:
    """An exact tag (not latest) or a digest."""
    if "@sha256:" in image:
        return True
    name_and_tag = image.rsplit("/", 1)[-1]
    if ":" not in name_and_tag:
        return False
    tag = name_and_tag.split(":", 1)[1]
    return tag != "latest" and re.fullmatch(r"[\w][\w.-]{0,127}", tag) is not None


def has_exact_version(image: str) -> bool:
    """A digest, or a tag that starts with a full version (17.6, 4.1.3-management, v3.5.0)."""
    if "@sha256:" in image:
        return True
    name_and_tag = image.rsplit("/", 1)[-1]
    tag = name_and_tag.split(":", 1)[1] if ":" in name_and_tag else ""
    return re.match(r"v?\d+\.\d+(\.\d+)?($|[-+])", tag) is not None
