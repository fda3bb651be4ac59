"""The committed stubs in libs/crm_proto/src/crm_proto match what proto/ generates now."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GENERATOR = ROOT / "libs" / "crm_proto" / "generate.py"
STUBS = ROOT / "libs" / "crm_proto" / "src" / "crm_proto"
MAKE_STAMP = ".generated"  # make's record of when it last generated, not a stub


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.name != MAKE_STAMP
    }


def test_stubs_are_not_stale(tmp_path):
    spec = importlib.util.spec_from_file_location("crm_proto_generate", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)

    generator.generate(tmp_path / "crm_proto")

    fresh, committed = _files(tmp_path / "crm_proto"), _files(STUBS)
    assert sorted(fresh) == sorted(committed), "stub files differ: run `make proto`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale stubs, run `make proto`: {', '.join(stale)}"
