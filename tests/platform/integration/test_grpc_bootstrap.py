"""The gRPC bootstrap, through a real server and channel: health follows readiness (the database
through a proxy that can go away), errors map to their codes with details and never UNKNOWN,
the correlation id comes back, and stopping drains the call in flight."""

from __future__ import annotations

import threading
from collections.abc import Callable

import grpc
import pytest
from crm_platform import context, errors
from crm_platform.auth import Allow, Policy, grpc_authenticator
from crm_platform.db import build_engine, ping
from crm_platform.grpc_client import open_channel
from crm_platform.grpc_errors import details_of
from crm_platform.grpc_server import GrpcServer, ServiceBinding
from crm_platform.readiness import Readiness
from crm_platform.testing.processes import wait_until
from crm_platform.testing.proxy import FaultProxy
from crm_platform.testing.tokens import admin_token, authorized_channel, token_verifier
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import text

pytestmark = pytest.mark.integration

SERVICE = "crm.platformtest.v1.Probe"


class Probe:
    """A servicer whose behaviour the request chooses."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.release = threading.Event()
        self.entered = threading.Event()

    def Call(self, request: StringValue, ctx: grpc.ServicerContext) -> StringValue:
        match request.value:
            case "not_found":
                raise errors.NotFound("no customer c-1")
            case "invalid":
                raise errors.ValidationFailed(errors.FieldViolation("email", "is not an email"))
            case "exists":
                raise errors.AlreadyExists("duplicate email", existing_id="c-9")
            case "illegal":
                raise errors.FailedPrecondition("the order is signed")
            case "bug":
                raise KeyError("something nobody expected")
            case "abort":
                ctx.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down")
            case "query":
                with self.engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
            case "slow":
                self.entered.set()
                self.release.wait(10)
        return StringValue(value=f"ok {context.correlation_id.get()}")


def _add_probe(servicer: Probe, server: grpc.Server) -> None:
    handler = grpc.unary_unary_rpc_method_handler(
        servicer.Call,
        request_deserializer=StringValue.FromString,
        response_serializer=StringValue.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE, {"Call": handler}),)
    )


@pytest.fixture
def database_proxy(postgres_url):
    with FaultProxy.for_url(postgres_url) as proxy:
        yield proxy


@pytest.fixture
def engine(postgres_url, database_proxy):
    engine = build_engine(database_proxy.rewrite(postgres_url), pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def readiness(engine):
    return Readiness({"database": lambda: ping(engine)})


@pytest.fixture
def probe(engine):
    probe = Probe(engine)
    yield probe
    probe.release.set()


def _server(probe: Probe, readiness: Readiness) -> GrpcServer:
    return GrpcServer(
        [ServiceBinding(SERVICE, probe, _add_probe)],
        port=0,
        readiness=readiness,
        authenticate=grpc_authenticator(token_verifier()),
        policy=Policy({"Call": Allow(roles={"admin"})}),
        host="127.0.0.1",
    )


@pytest.fixture
def server_stop(probe, readiness, start_role) -> tuple[GrpcServer, threading.Event]:
    server = _server(probe, readiness)
    return server, start_role(server.run)


@pytest.fixture
def server(server_stop) -> GrpcServer:
    return server_stop[0]


@pytest.fixture
def call(server) -> Callable[..., StringValue]:
    channel = authorized_channel(open_channel(f"127.0.0.1:{server.port}"), admin_token())
    method = channel.unary_unary(
        f"/{SERVICE}/Call",
        request_serializer=StringValue.SerializeToString,
        response_deserializer=StringValue.FromString,
    )
    yield method
    channel.close()


def _health(server, service: str = "") -> int:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def test_health_follows_the_database(server, readiness, database_proxy):
    assert _health(server) == health_pb2.HealthCheckResponse.NOT_SERVING  # not checked yet
    assert readiness.check_now()
    assert _health(server) == health_pb2.HealthCheckResponse.SERVING
    assert _health(server, SERVICE) == health_pb2.HealthCheckResponse.SERVING

    database_proxy.outage()
    assert not readiness.check_now()
    assert _health(server) == health_pb2.HealthCheckResponse.NOT_SERVING
    assert _health(server, SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING

    database_proxy.resume()
    assert readiness.check_now()
    assert _health(server) == health_pb2.HealthCheckResponse.SERVING


def test_a_server_built_after_readiness_was_checked_starts_serving(probe, readiness, start_role):
    assert readiness.check_now()
    late = _server(probe, readiness)
    start_role(late.run)
    assert _health(late) == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize(
    ("request_value", "code"),
    [
        ("not_found", grpc.StatusCode.NOT_FOUND),
        ("invalid", grpc.StatusCode.INVALID_ARGUMENT),
        ("exists", grpc.StatusCode.ALREADY_EXISTS),
        ("illegal", grpc.StatusCode.FAILED_PRECONDITION),
        ("abort", grpc.StatusCode.RESOURCE_EXHAUSTED),  # the servicer's own abort passes through
        ("bug", grpc.StatusCode.INTERNAL),
    ],
)
def test_errors_map_to_codes(call, request_value, code):
    with pytest.raises(grpc.RpcError) as failure:
        call(StringValue(value=request_value))
    assert failure.value.code() == code


def test_error_details_reach_the_client(call):
    with pytest.raises(grpc.RpcError) as invalid:
        call(StringValue(value="invalid"))
    assert details_of(invalid.value).violations == [
        errors.FieldViolation("email", "is not an email")
    ]
    with pytest.raises(grpc.RpcError) as duplicate:
        call(StringValue(value="exists"))
    assert details_of(duplicate.value).existing_id == "c-9"
    with pytest.raises(grpc.RpcError) as bug:
        call(StringValue(value="bug"))
    assert bug.value.details() == "internal error"  # nothing of the exception leaks


def test_database_outage_is_unavailable(call, database_proxy):
    assert call(StringValue(value="query")).value.startswith("ok")
    database_proxy.outage()
    with pytest.raises(grpc.RpcError) as failure:
        call(StringValue(value="query"))
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


def test_correlation_id_is_echoed_or_created(call):
    response, sent = call.with_call(
        StringValue(value="hi"), metadata=((context.CORRELATION_HEADER, "corr-42"),)
    )
    assert (context.CORRELATION_HEADER, "corr-42") in sent.initial_metadata()
    assert response.value == "ok corr-42"

    # the client helper sends the id of the work in progress ...
    token = context.correlation_id.set("corr-work")
    try:
        assert call(StringValue(value="hi")).value == "ok corr-work"
    finally:
        context.correlation_id.reset(token)

    # ... and without one, a new one per call
    token = context.correlation_id.set(None)
    try:
        first, second = call(StringValue(value="hi")), call(StringValue(value="hi"))
    finally:
        context.correlation_id.reset(token)
    assert first.value != second.value
    assert len(first.value) > len("ok ")


def test_stopping_drains_the_call_in_flight(server_stop, call, probe):
    server, stop = server_stop
    in_flight = call.future(StringValue(value="slow"))
    wait_until(probe.entered.is_set, timeout=5, what="the slow call to start")
    stop.set()
    wait_until(
        lambda: _health_or_none(server) != health_pb2.HealthCheckResponse.SERVING,
        timeout=5,
        what="NOT_SERVING while draining",
    )
    probe.release.set()
    assert in_flight.result(timeout=10).value.startswith("ok")


def _health_or_none(server) -> int | None:
    try:
        return _health(server)
    except grpc.RpcError:
        return None
