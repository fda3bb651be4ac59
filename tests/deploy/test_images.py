"""The service image (static checks; no Docker engine needed): one Dockerfile at the root, built
per service with `--build-arg SERVICE=<name>`; multi-stage, pinned bases, dependencies from
uv.lock, stubs generated in the build, non-root, no build tools in the final stage, the
service's command as ENTRYPOINT, and compose building it for every service."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.deploy.support import COMPOSE_FILE, ROOT, has_exact_version, services

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = DOCKERFILE.read_text()
    text = re.sub(r"^\s*#.*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"\\\n", " ", text)
    result = []
    for line in text.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def build_args() -> dict[str, str]:
    args = {}
    for keyword, rest in instructions():
        if keyword == "FROM":
            break
        if keyword == "ARG" and "=" in rest:
            key, value = rest.split("=", 1)
            args[key] = value
    return args


def test_one_dockerfile_for_every_service() -> None:
    assert DOCKERFILE.exists()
    assert not sorted(ROOT.glob("services/*/Dockerfile")), "per-service Dockerfiles are back"


def test_bases_are_pinned() -> None:
    args = build_args()
    stage_names = {s[0][1].split()[-1] for s in stages() if " AS " in s[0][1].upper()}
    for stage in stages():
        image = stage[0][1].split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), image)
        if image in stage_names:
            continue
        assert has_exact_version(image), f"base image {image} is not pinned"
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", args["PYTHON_IMAGE"])


def test_final_stage_is_non_root_and_lean() -> None:
    all_stages = stages()
    assert len(all_stages) >= 3, "not multi-stage"
    final = all_stages[-1]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "numeric USER, so Kubernetes can verify runAsNonRoot"
    text = " ".join(rest for _, rest in final)
    for tool in ("apt-get install", "gcc", "build-essential", "/uv ", "uv sync", "pip install"):
        assert tool not in text, f"final stage has {tool}"
    copies = [rest for keyword, rest in final if keyword == "COPY"]
    assert copies
    assert all(c.startswith("--from=build") for c in copies)
    env = " ".join(rest for keyword, rest in final if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env, "read-only root: no byte-code written at run time"


def test_build_uses_the_lock_and_generates_stubs() -> None:
    runs = " ".join(rest for keyword, rest in instructions() if keyword in {"RUN", "ENV"})
    assert "UV_FROZEN=1" in runs or "--frozen" in runs, "dependencies not from uv.lock"
    assert "--no-dev" in runs
    assert "--package crm-${SERVICE}" in runs
    assert "libs/crm_proto/generate.py" in runs, "stubs not generated in the build"
    assert build_args()["UV_IMAGE"].startswith("ghcr.io/astral-sh/uv:")


def test_the_service_is_a_required_build_argument() -> None:
    """SERVICE has no default (an image built without it would be some other service's), and
    the build stage refuses to go on without it."""
    for stage in stages()[1:]:
        declared = [r for k, r in stage if k == "ARG" and r.split("=")[0] == "SERVICE"]
        if any("${SERVICE}" in rest for _, rest in stage):
            assert declared == ["SERVICE"], "SERVICE must be declared, without a default"
    build = next(s for s in stages() if s[0][1].split()[-1] == "build")
    assert any(k == "RUN" and 'test -n "${SERVICE}"' in rest for k, rest in build)


def test_entrypoint_is_the_services_command() -> None:
    """ENTRYPOINT runs `crm-<SERVICE>` (linked at build time); no CMD: without arguments each
    command runs its own default, and compose and Kubernetes name the role."""
    build = next(s for s in stages() if s[0][1].split()[-1] == "build")
    final = stages()[-1]
    link = " ".join(rest for keyword, rest in build if keyword == "RUN")
    assert "ln -s .venv/bin/crm-${SERVICE} /app/entrypoint" in link
    assert "--from=build /app/entrypoint /app/entrypoint" in [r for k, r in final if k == "COPY"]
    entrypoint = [json.loads(r) for k, r in final if k == "ENTRYPOINT"]
    assert entrypoint[-1] == ["/app/entrypoint"]
    assert not [r for k, r in final if k == "CMD"]
    env = " ".join(rest for keyword, rest in final if keyword == "ENV")
    assert "CRM_SERVICE=${SERVICE}" in env, "the health check finds its port by the name"
    health = " ".join(rest for keyword, rest in final if keyword == "HEALTHCHECK")
    assert "crm_platform.registry" in health
    assert "/readyz" in health


@pytest.mark.parametrize("name", services())
def test_compose_builds_the_one_dockerfile_for_each_service(name: str) -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    for service in (name, f"{name}-migrate"):
        if service not in compose["services"]:
            continue
        build = compose["services"][service]["build"]
        assert (COMPOSE_FILE.parent / build["context"]).resolve() == ROOT
        assert build["dockerfile"] == "Dockerfile"
        assert build["args"] == {"SERVICE": name}
        assert compose["services"][service]["image"] == f"guanxi/{name}:dev"


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".venv", "tests", "deploy", "libs/crm_proto/src/crm_proto/*"):
        assert entry in ignored, entry
    assert "!libs/crm_proto/src/crm_proto/__init__.py" in ignored
    for needed in ("uv.lock", "pyproject.toml", "proto", "libs", "services"):
        assert needed not in ignored
