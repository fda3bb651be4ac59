"""The chassis through a real server: a method its policy makes public is served without a
token (and the others still need one), and every request of a product service is validated
before its handler runs, NUL characters included, after authorization."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from crm_platform.access import PUBLIC, Allow, Policy
from crm_platform.auth import grpc_authenticator
from crm_platform.grpc_errors import details_of
from crm_platform.grpc_server import GrpcServer, ServiceBinding
from crm_platform.readiness import Readiness
from crm_platform.testing.processes import role_in_thread
from crm_platform.testing.tokens import bearer, staff_token, token_verifier
from google.protobuf.wrappers_pb2 import StringValue

pytestmark = pytest.mark.integration

SERVICE = "crm.platformtest.v1.Greeter"
POLICY = Policy({"Hello": PUBLIC, "Guarded": Allow(roles={"admin"})})


class Handled:
    """The requests the handlers received."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def answer(self, request: StringValue, ctx: grpc.ServicerContext) -> StringValue:
        self.values.append(request.value)
        return StringValue(value=f"hello {request.value}")


@pytest.fixture(scope="module")
def handled() -> Handled:
    return Handled()


@pytest.fixture(scope="module")
def channel(handled: Handled) -> Iterator[grpc.Channel]:
    def add(servicer: Any, server: grpc.Server) -> None:
        handlers = {
            name: grpc.unary_unary_rpc_method_handler(
                handled.answer,
                request_deserializer=StringValue.FromString,
                response_serializer=StringValue.SerializeToString,
            )
            for name in ("Hello", "Guarded")
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))

    server = GrpcServer(
        [ServiceBinding(SERVICE, object(), add)],
        port=0,
        readiness=Readiness({}),
        authenticate=grpc_authenticator(token_verifier()),
        policy=POLICY,
        host="127.0.0.1",
    )
    with (
        role_in_thread(functools.partial(server.run, grace=1.0)),
        grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel,
    ):
        yield channel


def call(channel: grpc.Channel, method: str, value: str, metadata: Any = None) -> StringValue:
    stub = channel.unary_unary(
        f"/{SERVICE}/{method}",
        request_serializer=StringValue.SerializeToString,
        response_deserializer=StringValue.FromString,
    )
    answer: StringValue = stub(StringValue(value=value), metadata=metadata, timeout=5)
    return answer


def failure(channel: grpc.Channel, method: str, value: str, metadata: Any = None) -> Any:
    with pytest.raises(grpc.RpcError) as error:
        call(channel, method, value, metadata)
    return details_of(error.value)


def test_a_public_method_needs_no_token_and_the_others_still_do(
    channel: grpc.Channel, handled: Handled
) -> None:
    assert call(channel, "Hello", "world").value == "hello world"
    assert failure(channel, "Guarded", "world").code is grpc.StatusCode.UNAUTHENTICATED
    assert call(channel, "Guarded", "admin", bearer(staff_token("admin"))).value == "hello admin"
    assert handled.values[-2:] == ["world", "admin"]


def test_a_request_is_validated_before_its_handler_and_after_authorization(
    channel: grpc.Channel, handled: Handled
) -> None:
    received = len(handled.values)

    public = failure(channel, "Hello", "a\x00b")
    refused = failure(channel, "Guarded", "a\x00b", bearer(staff_token("marketer")))
    allowed = failure(channel, "Guarded", "a\x00b", bearer(staff_token("admin")))

    assert public.code is allowed.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [(v.field, v.description) for v in allowed.violations] == [
        ("value", "must not contain NUL characters")
    ]
    assert refused.code is grpc.StatusCode.PERMISSION_DENIED
    assert len(handled.values) == received
