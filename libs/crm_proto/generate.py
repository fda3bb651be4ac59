"""Generate the crm_proto package from proto/ (run by `make proto`).

The stubs are written under a package root (crm_proto) and their absolute imports of each other
rewritten to package imports, so `io.cloudevents.v1` does not shadow the standard library's `io`.
(protoletariat does this too, but pins protobuf below 6.)
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto"
DEFAULT_OUT = Path(__file__).resolve().parent / "src" / "crm_proto"
# `from crm.common.v1 import common_pb2` and `import crm.common.v1.common_pb2` alike
GENERATED_IMPORT = re.compile(r"^(from|import) ((?:crm|io)\.)", re.MULTILINE)


def proto_files() -> list[str]:
    return sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))


def generate(out: Path) -> None:
    """Write the stubs beside `out`, then swap them in, so that tests running meanwhile never
    see a half-written package."""
    init = out / "__init__.py"
    header = init.read_text() if init.exists() else '"""Stubs generated from proto/."""\n'
    staging = Path(tempfile.mkdtemp(prefix=".crm_proto-", dir=out.parent))
    try:
        _write_stubs(staging, header)
        if out.exists():
            retired = out.with_name(f"{staging.name}-old")
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired)
        else:
            staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_stubs(out: Path, header: str) -> None:
    files = proto_files()
    subprocess.run(
        [
            sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={PROTO_DIR}",
            f"--python_out={out}", f"--grpc_python_out={out}",
            f"--mypy_out={out}", f"--mypy_grpc_out={out}", *files,
        ],
        check=True,
    )  # fmt: skip
    for module in out.rglob("*_pb2*.py*"):
        text = module.read_text()
        module.write_text(GENERATED_IMPORT.sub(r"\1 crm_proto.\2", text))
    # every directory of generated code is a regular package
    for package in {p for p in out.rglob("*") if p.is_dir()}:
        (package / "__init__.py").touch()
    (out / "__init__.py").write_text(header)
    (out / "py.typed").write_text("")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
