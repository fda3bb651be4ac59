"""The registry of services: the one list from which settings, the Procfile, compose, the
Prometheus targets, the RabbitMQ definitions, the Kubernetes manifests and the test stacks are
made (`make generate`; a test fails when a generated file is stale).

A new service is its folder under services/ plus one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["grpc", "gateway"]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int  # gRPC; HTTP for the gateway
    metrics_port: int
    database: bool  # owns a database (migrations, a migration Job, a PostgreSQL per service)
    roles: tuple[str, ...]  # what `crm-<name> all` runs; each may run as its own Deployment
    kind: Kind = "grpc"
    # the service's consumer table (`crm_<name>.entrypoints.consumer.HANDLERS`, an
    # `EventHandlers`), from which its queue's bindings are made
    consumes: bool = False
    # services whose gRPC or HTTP it calls (network policies, targets, start order)
    calls: tuple[str, ...] = ()
    summary: str = ""

    @property
    def package(self) -> str:
        return f"crm_{self.name}"

    @property
    def command(self) -> str:
        return f"crm-{self.name}"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "customer", 50051, 9101, database=True, roles=("api", "relay"),
        calls=("identity",),
        summary="parties, dedupe and merge, consent, blacklist, the interaction timeline",
    ),
    ServiceSpec(
        "analytics", 50056, 9106, database=True, roles=("api", "consumer"), consumes=True,
        calls=("identity",),
        summary="read models from every event: customer facts, segments",
    ),
    ServiceSpec(
        "identity", 50057, 9108, database=True, roles=("api",),
        summary="staff, customer, partner and machine accounts, roles, tokens and their keys",
    ),
    ServiceSpec(
        "portal", 8080, 9107, database=False, roles=("api",), kind="gateway",
        calls=("customer", "analytics", "identity"),
        summary="the edge: REST API gateway for web and mobile frontends",
    ),
)  # fmt: skip


def service(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"no service {name!r} in the registry")


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in SERVICES)
