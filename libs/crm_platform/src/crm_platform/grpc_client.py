"""gRPC client helper: every call has a deadline and carries the correlation id and token."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import grpc

from crm_platform import context

DEFAULT_TIMEOUT = 5.0


class _ClientCallDetails(grpc.ClientCallDetails):
    def __init__(
        self,
        method: str,
        timeout: float | None,
        metadata: tuple[tuple[str, str | bytes], ...],
        credentials: Any,
        wait_for_ready: bool | None,
        compression: Any,
    ) -> None:
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


class _Propagate(grpc.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    def __init__(self, default_timeout: float) -> None:
        self.default_timeout = default_timeout

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        metadata = list(details.metadata or [])
        # An id the caller put in the metadata wins; else the one of the work in progress; else
        # a new one for this call only (not stored: unrelated calls must not share it).
        if not any(key == context.CORRELATION_HEADER for key, _value in metadata):
            cid = context.correlation_id.get() or context.new_correlation_id()
            metadata.append((context.CORRELATION_HEADER, cid))
        token = context.principal.get().token
        if token:
            metadata.append(("authorization", f"Bearer {token}"))
        return continuation(
            _ClientCallDetails(
                details.method,
                details.timeout if details.timeout is not None else self.default_timeout,
                tuple(metadata),
                details.credentials,
                details.wait_for_ready,
                details.compression,
            ),
            request,
        )


def open_channel(
    target: str,
    *,
    idempotent_methods: Iterable[tuple[str, str]] = (),
    default_timeout: float = DEFAULT_TIMEOUT,
) -> grpc.Channel:
    """A channel whose calls get a deadline; UNAVAILABLE is retried only for the
    (service, method) pairs named idempotent (a pair named twice counts once: gRPC refuses a
    service config that names a method twice, at the first call)."""
    idempotent = sorted(set(idempotent_methods))
    retry = {
        "methodConfig": [
            {
                "name": [{"service": s, "method": m} for s, m in idempotent],
                "retryPolicy": {
                    "maxAttempts": 3,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "0.5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
    options: list[tuple[str, Any]] = [("grpc.keepalive_time_ms", 30_000)]
    if idempotent:
        options += [("grpc.enable_retries", 1), ("grpc.service_config", json.dumps(retry))]
    channel = grpc.insecure_channel(target, options=options)
    return grpc.intercept_channel(channel, _Propagate(default_timeout))
