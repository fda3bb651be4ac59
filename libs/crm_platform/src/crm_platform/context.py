"""Per-request context carried across threads and processes: correlation id and principal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from crm_proto.crm.common.v1 import common_pb2

CORRELATION_HEADER = "x-correlation-id"

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str:
    """The correlation id of the work in progress, or a new one for work that has none
    (not stored: the caller's context stays as it was)."""
    return correlation_id.get() or new_correlation_id()


@dataclass(frozen=True)
class Principal:
    """Who is calling. Authentication (a later concern of the chassis) fills this in."""

    subject: str
    kind: int = common_pb2.ACTOR_KIND_SYSTEM
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    customer_id: str | None = None
    partner_id: str | None = None
    token: str | None = None  # forwarded as-is to downstream services

    def as_actor(self) -> common_pb2.Actor:
        return common_pb2.Actor(subject=self.subject, kind=self.kind)  # type: ignore[arg-type]


SYSTEM = Principal(subject="system", kind=common_pb2.ACTOR_KIND_SYSTEM)

principal: ContextVar[Principal] = ContextVar("principal", default=SYSTEM)


@contextmanager
def acting_as(who: Principal) -> Iterator[Principal]:
    """Work done on behalf of `who` outside a request (a command line, a test): what the gRPC
    interceptor does for a call."""
    token = principal.set(who)
    try:
        yield who
    finally:
        principal.reset(token)
