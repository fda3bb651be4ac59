"""Proto files written in a test, compiled with protoc and added to the default descriptor pool
(where the `crm.common.v1` options are known), so a test can declare exactly the rules and
access options it exercises."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from crm_proto.crm.common.v1 import options_pb2  # noqa: F401 - the options the files import
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.message import Message

PROTO_ROOT = Path(__file__).resolve().parents[3] / "proto"


@cache
def compile_proto(name: str, text: str) -> FileDescriptor:
    """The descriptor of a proto file `name` with the content `text` (compiled once)."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / name
        source.write_text(text)
        out = Path(scratch) / "set.binpb"
        subprocess.run(
            [
                sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={scratch}",
                f"--proto_path={PROTO_ROOT}", f"--descriptor_set_out={out}", name,
            ],
            check=True,
        )  # fmt: skip
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    added: FileDescriptor = descriptor_pool.Default().AddSerializedFile(
        files.file[0].SerializeToString()
    )
    return added


def message_class(file: FileDescriptor, name: str) -> type[Message]:
    return message_factory.GetMessageClass(file.message_types_by_name[name])
