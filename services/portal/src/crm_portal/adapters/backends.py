"""What the gateway needs from the services behind it: one backend per service, called by
method descriptor with the request message the route built.

The gRPC clients implement `Backend`; unit tests pass fakes. Each backend is behind its own
circuit breaker, so a service that is down fails only its own routes, and fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from crm_portal.adapters.circuit import CircuitBreaker, State


class Backend(Protocol):
    def call(self, method: MethodDescriptor, request: Message) -> Message: ...

    def close(self) -> None: ...


def service_name(service: ServiceDescriptor) -> str:
    """The registry name of a proto service's owner: crm.customer.v1.* -> customer."""
    return service.full_name.split(".")[1]


class Backends:
    """The backend of each service by registry name, each behind its circuit breaker."""

    def __init__(
        self, backends: Mapping[str, Backend], breakers: Mapping[str, CircuitBreaker] | None = None
    ) -> None:
        self._backends = dict(backends)
        self._breakers = {
            name: (breakers or {}).get(name) or CircuitBreaker(name) for name in self._backends
        }

    def call(self, method: MethodDescriptor, request: Message) -> Message:
        name = service_name(method.containing_service)
        backend = self._backends[name]
        return self._breakers[name].call(lambda: backend.call(method, request))

    def call_on(self, name: str, method: MethodDescriptor, request: Message) -> Message:
        """Call `name`'s implementation of a contract many services serve (the privacy
        contract's PersonalData), through that service's circuit breaker."""
        backend = self._backends[name]
        return self._breakers[name].call(lambda: backend.call(method, request))

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._backends))

    def close(self) -> None:
        for backend in self._backends.values():
            backend.close()

    def circuits(self) -> dict[str, State]:
        return {name: breaker.state for name, breaker in sorted(self._breakers.items())}
