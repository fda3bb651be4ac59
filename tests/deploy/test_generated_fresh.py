"""The committed deployment files match what `make generate` (deploy/generate.py) writes now
from the registry and the templates, and no file it no longer writes is left behind."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.deploy.support import ROOT

GENERATOR = ROOT / "deploy" / "generate.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crm_deploy_generate", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_files_are_not_stale(generator: ModuleType) -> None:
    files = generator.render()
    assert files, "the generator writes nothing"
    missing = sorted(str(path) for path in files if not (ROOT / path).exists())
    assert not missing, f"not generated yet, run `make generate`: {', '.join(missing)}"
    stale = sorted(str(path) for path, text in files.items() if (ROOT / path).read_text() != text)
    assert not stale, f"stale, run `make generate`: {', '.join(stale)}"


def test_no_leftovers_in_the_generated_folders(generator: ModuleType) -> None:
    leftovers = [str(path) for path in generator.stale(generator.render())]
    assert not leftovers, f"no longer generated, run `make generate`: {', '.join(leftovers)}"


def test_write_creates_every_file_and_removes_leftovers(
    generator: ModuleType, tmp_path: Path
) -> None:
    """Into a tree with a service that left the registry, `write` creates exactly the files
    `render` lists and removes the departed service's folder."""
    departed = tmp_path / generator.BASE / "departed"
    departed.mkdir(parents=True)
    (departed / "deployment.yaml").write_text("kind: Deployment\n")
    changed = generator.write(tmp_path)
    files = generator.render()
    assert sorted(changed) == sorted([*files, generator.BASE / "departed" / "deployment.yaml"])
    assert not departed.exists()
    for path, text in files.items():
        assert (tmp_path / path).read_text() == text
