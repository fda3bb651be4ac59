"""The service images (static checks; no Docker engine needed): multi-stage, pinned bases,
dependencies from uv.lock, stubs generated in the build, non-root, no build tools in the final
stage, ENTRYPOINT crm-<name> with its default role, and the same Dockerfile for every service."""

from __future__ import annotations

import json
import re

import pytest

from tests.deploy.support import PORTS, ROOT, has_exact_version, service_dirs

DEFAULT_ROLE = {"portal": "api"}


def instructions(name: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "services" / name / "Dockerfile").read_text()
    text = re.sub(r"^\s*#.*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"\\\n", " ", text)
    result = []
    for line in text.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages(name: str) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions(name):
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def build_args(name: str) -> dict[str, str]:
    args = {}
    for keyword, rest in instructions(name):
        if keyword == "FROM":
            break
        if keyword == "ARG" and "=" in rest:
            key, value = rest.split("=", 1)
            args[key] = value
    return args


@pytest.mark.parametrize("name", service_dirs())
def test_dockerfile_exists(name: str) -> None:
    assert (ROOT / "services" / name / "Dockerfile").exists()


@pytest.mark.parametrize("name", service_dirs())
def test_bases_are_pinned(name: str) -> None:
    args = build_args(name)
    for stage in stages(name):
        image = stage[0][1].split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), image)
        stage_names = {s[0][1].split()[-1] for s in stages(name) if " AS " in s[0][1].upper()}
        if image in stage_names:
            continue
        assert has_exact_version(image), f"{name}: base image {image} is not pinned"
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", args["PYTHON_IMAGE"])


@pytest.mark.parametrize("name", service_dirs())
def test_final_stage_is_non_root_and_lean(name: str) -> None:
    all_stages = stages(name)
    assert len(all_stages) >= 3, "not multi-stage"
    final = all_stages[-1]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "numeric USER, so Kubernetes can verify runAsNonRoot"
    text = " ".join(rest for _, rest in final)
    for tool in ("apt-get install", "gcc", "build-essential", "/uv ", "uv sync", "pip install"):
        assert tool not in text, f"{name}: final stage has {tool}"
    copies = [rest for keyword, rest in final if keyword == "COPY"]
    assert copies
    assert all(c.startswith("--from=build") for c in copies)
    env = " ".join(rest for keyword, rest in final if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env, "read-only root: no byte-code written at run time"


@pytest.mark.parametrize("name", service_dirs())
def test_build_uses_the_lock_and_generates_stubs(name: str) -> None:
    runs = " ".join(rest for keyword, rest in instructions(name) if keyword in {"RUN", "ENV"})
    assert "UV_FROZEN=1" in runs or "--frozen" in runs, "dependencies not from uv.lock"
    assert "--no-dev" in runs
    assert "--package crm-${SERVICE}" in runs
    assert "libs/crm_proto/generate.py" in runs, "stubs not generated in the build"
    assert build_args(name)["UV_IMAGE"].startswith("ghcr.io/astral-sh/uv:")


@pytest.mark.parametrize("name", service_dirs())
def test_entrypoint_and_ports(name: str) -> None:
    final = stages(name)[-1]
    entrypoint = [json.loads(r) for k, r in final if k == "ENTRYPOINT"]
    cmd = [json.loads(r) for k, r in final if k == "CMD"]
    assert entrypoint[-1] == [f"crm-{name}"], "ENTRYPOINT is not the service's command"
    assert cmd[-1] == [DEFAULT_ROLE.get(name, "all")], "CMD is not the default role"
    exposed = {int(p) for k, r in final if k == "EXPOSE" for p in r.split()}
    assert exposed == set(PORTS[name])
    args = {r.split("=")[0]: r.split("=")[1] for k, r in final if k == "ARG" and "=" in r}
    assert args["SERVICE"] == name


def test_dockerfiles_stay_in_step() -> None:
    """Every service's Dockerfile is the same file with its own name, ports and default role."""

    def normalized(name: str) -> list[str]:
        text = (ROOT / "services" / name / "Dockerfile").read_text()
        port, metrics = PORTS[name]
        text = text.replace(name.upper(), "NAME").replace(name, "NAME")
        text = text.replace(str(port), "PORT").replace(str(metrics), "METRICS")
        text = text.replace(f'CMD ["{DEFAULT_ROLE.get(name, "all")}"]', "CMD [ROLE]")
        return [
            line
            for line in text.splitlines()
            # the portal alone sets PROMETHEUS_MULTIPROC_DIR, after CRM_DATA_DIR
            if not line.startswith("#")
            and "PROMETHEUS_MULTIPROC_DIR" not in line and "CRM_DATA_DIR" not in line
        ]  # fmt: skip

    reference = normalized("customer")
    for name in service_dirs():
        assert normalized(name) == reference, f"services/{name}/Dockerfile drifted from customer"


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".venv", "tests", "deploy", "libs/crm_proto/src/crm_proto/*"):
        assert entry in ignored, entry
    assert "!libs/crm_proto/src/crm_proto/__init__.py" in ignored
    for needed in ("uv.lock", "pyproject.toml", "proto", "libs", "services"):
        assert needed not in ignored
