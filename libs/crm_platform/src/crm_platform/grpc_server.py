"""gRPC server bootstrap: health with real status, reflection, interceptors, graceful stop.

The interceptor does, for every unary call: correlation id (from metadata, or new; echoed in
the initial metadata), authentication (the `Authenticator` seam: no or a bad token is
UNAUTHENTICATED; a method the policy makes public needs none), authorization (the service's
`access.Policy`: PERMISSION_DENIED, and a method the policy does not name is denied),
validation of the request by the `rules` of its proto (`crm_platform.validation`:
INVALID_ARGUMENT with field violations, before the handler runs, so a bad request changes
nothing), domain error -> status code with details, a JSON access log line, and Prometheus
metrics. Health and reflection (`grpc.*`) stay open; a streaming method of a product service
is refused, since it would bypass these checks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from crm_platform import access, auth, context, errors, grpc_errors, metrics, validation
from crm_platform.db import database_unavailable
from crm_platform.readiness import Readiness

log = logging.getLogger(__name__)
access_log = logging.getLogger("crm.access")

# Authentication seam: metadata -> principal, or errors.Unauthenticated
# (auth.grpc_authenticator verifies the caller's access token).
Authenticator = Callable[[Mapping[str, str]], context.Principal]


@dataclass(frozen=True)
class ServiceBinding:
    """A servicer and the generated function that registers it."""

    name: str  # fully qualified service name, e.g. crm.customer.v1.CustomerService
    servicer: Any
    add_to_server: Callable[[Any, grpc.Server], None]


class _CallInterceptor(grpc.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    def __init__(self, authenticate: Authenticator, policy: access.Policy) -> None:
        self.authenticate = authenticate
        self.policy = policy

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(details)
        if handler is None:
            return handler
        service, _, method = details.method.lstrip("/").partition("/")
        if service.startswith("grpc."):
            return handler  # health and reflection stay open
        if handler.unary_unary is None:
            return _refused(handler)
        behavior = handler.unary_unary

        def call(request: Any, ctx: grpc.ServicerContext) -> Any:
            return self._call(service, method, behavior, request, ctx)

        return grpc.unary_unary_rpc_method_handler(
            call,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _call(
        self,
        service: str,
        method: str,
        behavior: Callable[[Any, grpc.ServicerContext], Any],
        request: Any,
        ctx: grpc.ServicerContext,
    ) -> Any:
        metadata = {k: v for k, v in ctx.invocation_metadata() if isinstance(v, str)}
        cid = metadata.get(context.CORRELATION_HEADER) or context.new_correlation_id()
        cid_token = context.correlation_id.set(cid)
        ctx.send_initial_metadata(((context.CORRELATION_HEADER, cid),))
        code = grpc.StatusCode.OK
        started = time.perf_counter()
        subject = ""
        principal_token = None
        try:
            if not self.policy.is_public(method):  # a public method needs no token
                principal = self.authenticate(metadata)
                subject = principal.subject
                self.policy.check(method, principal)
                principal_token = context.principal.set(principal)
            if isinstance(request, Message):
                found = validation.violations(request)
                if found:
                    raise errors.ValidationFailed(found)
            return behavior(request, ctx)
        except errors.DomainError as exc:
            code = grpc_errors.code_for(exc)
            ctx.abort_with_status(grpc_errors.status_for(exc))
        except auth.KeysUnavailable as exc:
            code = grpc.StatusCode.UNAVAILABLE
            log.warning("%s/%s: %s", service, method, exc)
            ctx.abort(code, "the token signing keys are unavailable, retry later")
        except Exception as exc:
            aborted = _aborted_with(ctx)
            if aborted is not None:  # the servicer aborted on purpose
                code = aborted
                raise
            if database_unavailable(exc):
                code = grpc.StatusCode.UNAVAILABLE
                log.warning("%s/%s: database unavailable: %s", service, method, str(exc)[:200])
                ctx.abort(code, "database unavailable, retry later")
            code = grpc.StatusCode.INTERNAL
            log.exception("%s/%s failed", service, method)
            ctx.abort(code, "internal error")
        finally:
            if principal_token is not None:
                context.principal.reset(principal_token)
            elapsed = time.perf_counter() - started
            metrics.GRPC_HANDLED.labels(service, method, code.name).inc()
            metrics.GRPC_LATENCY.labels(service, method).observe(elapsed)
            access_log.info(
                "%s/%s %s",
                service,
                method,
                code.name,
                extra={
                    "grpc_code": code.name,
                    "duration_ms": round(elapsed * 1000, 2),
                    "peer": ctx.peer(),
                    "principal": subject,
                },
            )
            context.correlation_id.reset(cid_token)


def _described(bindings: list[ServiceBinding]) -> list[ServiceDescriptor] | None:
    """The descriptors of the bound services; None when one is not in the protobuf pool."""
    found: list[ServiceDescriptor] = []
    for binding in bindings:
        try:
            found.append(descriptor_pool.Default().FindServiceByName(binding.name))
        except KeyError:
            return None
    return found


def _check_requests(services: list[ServiceDescriptor]) -> None:
    """Compile the validation of every request type now: a rule that cannot apply to its
    field stops the server at start, and the first call pays nothing extra."""
    for service in services:
        for method in service.methods:
            validation.prepare(method.input_type)


def _check_policy(policy: access.Policy, services: list[ServiceDescriptor] | None) -> None:
    """A rule for a method the services do not have is a typo that leaves the real method
    denied: fail at start. Methods without a rule are denied; say so in the log."""
    if services is None:
        return  # not described in the protobuf pool: nothing to compare with
    methods = {m.name for service in services for m in service.methods}
    unknown = policy.unknown_methods(methods)
    if unknown:
        raise ValueError(f"the authorization policy names unknown methods: {', '.join(unknown)}")
    for name in sorted(methods - set(policy.rules)):
        log.warning("%s has no authorization rule: every call is denied", name)


def _refused(handler: grpc.RpcMethodHandler[Any, Any]) -> grpc.RpcMethodHandler[Any, Any]:
    """A streaming method of a product service: refused until the chassis checks streams."""

    def refuse(_request: Any, ctx: grpc.ServicerContext) -> Any:
        ctx.abort(grpc.StatusCode.UNIMPLEMENTED, "streaming calls are not served")

    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(refuse, **kwargs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(refuse, **kwargs)
    return grpc.stream_stream_rpc_method_handler(refuse, **kwargs)


def _aborted_with(ctx: grpc.ServicerContext) -> grpc.StatusCode | None:
    # The servicer context has code() at run time (grpcio >= 1.38); the stubs lack it.
    code: grpc.StatusCode | None = getattr(ctx, "code", lambda: None)()
    return code


class GrpcServer:
    def __init__(
        self,
        bindings: list[ServiceBinding],
        *,
        port: int,
        readiness: Readiness,
        authenticate: Authenticator,
        policy: access.Policy,
        max_workers: int = 16,
        host: str = "[::]",
        reuse_port: bool = False,
    ) -> None:
        services = _described(bindings)
        _check_policy(policy, services)
        _check_requests(services or [])
        self.bindings = bindings
        self.readiness = readiness
        self.health = health.HealthServicer(experimental_non_blocking=True)
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
            interceptors=[_CallInterceptor(authenticate, policy)],
            options=[
                # a second process on the same port must fail, unless it is one of the
                # service's own API processes (crm_platform.multiprocess)
                ("grpc.so_reuseport", 1 if reuse_port else 0),
                # Clients reconnect, and so rebalance across replicas behind a Service.
                ("grpc.max_connection_age_ms", 300_000),
                ("grpc.max_connection_age_grace_ms", 30_000),
            ],
        )
        for binding in bindings:
            binding.add_to_server(binding.servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [b.name for b in bindings]
            + [health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self.server,
        )
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        if self.port == 0:
            raise OSError(f"cannot bind gRPC port {port}")
        # Readiness may have been checked before this server existed: start from its answer.
        self._set_serving(readiness.is_ready())
        readiness.on_change(self._set_serving)

    def _set_serving(self, ready: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if ready
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ["", *(b.name for b in self.bindings)]:
            self.health.set(name, status)

    def run(self, stop: threading.Event, *, grace: float = 10.0) -> None:
        """Serve until `stop` is set; then say NOT_SERVING, drain in-flight calls, and stop."""
        self.server.start()
        log.info("gRPC listening on port %d", self.port)
        stop.wait()
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        log.info("gRPC server stopped")
