"""The gRPC client of each service behind the gateway: any method, by its descriptor.

Every call has an explicit deadline (shorter for reads); the chassis channel adds the
correlation id and the caller's token to the metadata and retries UNAVAILABLE for the methods
that only read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import grpc
from crm_platform.grpc_client import open_channel
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from crm_portal.adapters.backends import Backends, service_name

QUERY_DEADLINE = 2.0  # seconds; includes the retries of an idempotent call
COMMAND_DEADLINE = 5.0


class GrpcBackend:
    """One service's channel; `reads` are the methods that change nothing (retried, and given
    the shorter deadline)."""

    def __init__(self, channel: grpc.Channel, reads: Iterable[MethodDescriptor] = ()) -> None:
        self._channel = channel
        self._reads = {method.full_name for method in reads}
        self._callables: dict[str, Any] = {}

    def _callable(self, method: MethodDescriptor) -> Any:
        found = self._callables.get(method.full_name)
        if found is None:
            found = self._channel.unary_unary(
                f"/{method.containing_service.full_name}/{method.name}",
                request_serializer=lambda message: message.SerializeToString(),
                response_deserializer=message_factory.GetMessageClass(
                    method.output_type
                ).FromString,
            )
            self._callables[method.full_name] = found
        return found

    def close(self) -> None:
        self._channel.close()

    def call(self, method: MethodDescriptor, request: Message) -> Message:
        deadline = QUERY_DEADLINE if method.full_name in self._reads else COMMAND_DEADLINE
        answer: Message = self._callable(method)(request, timeout=deadline)
        return answer


def connect(targets: Mapping[str, str], reads: Iterable[MethodDescriptor]) -> Backends:
    """One channel per service (registry name -> target). Channels connect on first use and
    reconnect by themselves, so a backend that starts later is picked up without restarting."""
    reads = list(reads)
    backends = {}
    for name, target in targets.items():
        own = [m for m in reads if service_name(m.containing_service) == name]
        channel = open_channel(
            target,
            idempotent_methods=[(m.containing_service.full_name, m.name) for m in own],
        )
        backends[name] = GrpcBackend(channel, own)
    return Backends(backends)
