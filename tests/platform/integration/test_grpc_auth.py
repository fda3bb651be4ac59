"""Zero trust in the chassis, through a real server and channel: every call of a product
service needs a valid access token (UNAUTHENTICATED otherwise) and a rule of the service's
policy that lets its caller in (PERMISSION_DENIED otherwise); health and reflection stay open;
the servicer sees the verified principal, and the chassis client forwards its token."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from crm_platform import context
from crm_platform.auth import Allow, Policy, RemoteKeys, TokenVerifier, grpc_authenticator
from crm_platform.grpc_client import open_channel
from crm_platform.grpc_server import GrpcServer, ServiceBinding
from crm_platform.readiness import Readiness
from crm_platform.testing.processes import free_port, role_in_thread
from crm_platform.testing.tokens import (
    TEST_KEY,
    SigningKey,
    bearer,
    claims_for,
    customer_token,
    hs256_with_public_key,
    issue_token,
    service_token,
    sign,
    staff_token,
    tampered,
    token_verifier,
    unsigned_token,
)
from crm_proto.crm.analytics.v1 import analytics_pb2
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

pytestmark = pytest.mark.integration

SERVICE = "crm.platformtest.v1.Guarded"
POLICY = Policy(
    {
        "WhoAmI": Allow(roles={"analyst", "admin"}, scopes={"analytics:read"}, customers=True),
        "Stream": Allow(roles={"admin"}),
    }
)


def who_am_i(request: StringValue, ctx: grpc.ServicerContext) -> StringValue:
    caller = context.principal.get()
    return StringValue(value=f"{caller.subject}/{caller.kind}/{caller.customer_id or ''}")


def stream(request: StringValue, ctx: grpc.ServicerContext) -> Iterator[StringValue]:
    yield StringValue(value="never")


def _add(servicer: Any, server: grpc.Server) -> None:
    codec = {
        "request_deserializer": StringValue.FromString,
        "response_serializer": StringValue.SerializeToString,
    }
    handlers = {
        "WhoAmI": grpc.unary_unary_rpc_method_handler(who_am_i, **codec),
        "Unlisted": grpc.unary_unary_rpc_method_handler(who_am_i, **codec),
        "Stream": grpc.unary_stream_rpc_method_handler(stream, **codec),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


def _serve(verifier: TokenVerifier) -> Iterator[str]:
    server = GrpcServer(
        [ServiceBinding(SERVICE, object(), _add)],
        port=0,
        readiness=Readiness({}),
        authenticate=grpc_authenticator(verifier),
        policy=POLICY,
        host="127.0.0.1",
    )
    with role_in_thread(functools.partial(server.run, grace=1.0)):
        yield f"127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    yield from _serve(token_verifier())


@pytest.fixture(scope="module")
def channel(target: str) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(target) as channel:
        yield channel


def method(channel: grpc.Channel, name: str) -> Callable[..., StringValue]:
    return channel.unary_unary(
        f"/{SERVICE}/{name}",
        request_serializer=StringValue.SerializeToString,
        response_deserializer=StringValue.FromString,
    )


def failure(call: Callable[..., Any], metadata: Any = None) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        call(StringValue(), metadata=metadata, timeout=5)
    return error.value


def test_a_valid_token_reaches_the_servicer_as_the_principal(channel: grpc.Channel) -> None:
    reply = method(channel, "WhoAmI")(
        StringValue(), metadata=bearer(staff_token("analyst", subject="u-9")), timeout=5
    )

    assert reply.value == "u-9/1/"  # ACTOR_KIND_STAFF


FORGERIES = {
    "alg-none": unsigned_token(),
    "hs256-with-public-key": hs256_with_public_key(),
    "expired": issue_token(expires_in=-120),
    "wrong-aud": issue_token(audience="another-api"),
    "wrong-iss": issue_token(issuer="someone-else"),
    "tampered-claims": tampered(staff_token("marketer"), roles=["admin"]),
    "unknown-kid": issue_token(key=SigningKey.generate("rogue")),
    "kid-of-the-test-key-other-signer": sign(
        claims_for(), SigningKey.generate("x"), kid=TEST_KEY.kid
    ),
}


@pytest.mark.parametrize("token", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_tokens_are_unauthenticated(channel: grpc.Channel, token: str) -> None:
    error = failure(method(channel, "WhoAmI"), bearer(token))

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "access token" in (error.details() or "")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (None, "an access token is required"),
        ((("authorization", "Basic dXNlcjpwYXNz"),), "must be 'Bearer <token>'"),
        ((("authorization", "Bearer"),), "must be 'Bearer <token>'"),
        ((("authorization", "Bearer not.a.jwt"),), "malformed"),
    ],
    ids=["missing", "basic", "empty-bearer", "malformed"],
)
def test_a_missing_or_malformed_header_is_unauthenticated(
    channel: grpc.Channel, metadata: Any, message: str
) -> None:
    error = failure(method(channel, "WhoAmI"), metadata)

    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert message in (error.details() or "")


@pytest.mark.parametrize(
    ("name", "token", "allowed"),
    [
        ("WhoAmI", staff_token("marketer"), False),
        ("WhoAmI", staff_token("admin"), True),
        ("WhoAmI", service_token("probe:write"), False),
        ("WhoAmI", service_token("analytics:read"), True),
        ("WhoAmI", customer_token("c-7"), True),
        ("Unlisted", staff_token("admin"), False),  # no rule: denied
    ],
)
def test_the_policy_decides_per_method(
    channel: grpc.Channel, name: str, token: str, allowed: bool
) -> None:
    call = method(channel, name)
    if allowed:
        assert call(StringValue(), metadata=bearer(token), timeout=5).value
    else:
        error = failure(call, bearer(token))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_streaming_method_is_refused_even_with_a_token(channel: grpc.Channel) -> None:
    call = channel.unary_stream(
        f"/{SERVICE}/Stream",
        request_serializer=StringValue.SerializeToString,
        response_deserializer=StringValue.FromString,
    )

    with pytest.raises(grpc.RpcError) as error:
        list(call(StringValue(), metadata=bearer(staff_token("admin")), timeout=5))

    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_health_and_reflection_need_no_token(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )

    assert health.status == health_pb2.HealthCheckResponse.SERVING
    names = {s.name for s in next(reflection).list_services_response.service}
    assert SERVICE in names


def test_the_chassis_client_forwards_the_callers_token(target: str) -> None:
    token = customer_token("c-42", subject="web-user-1")
    principal = context.principal.set(token_verifier().verify(token))
    try:
        with open_channel(target) as channel:
            reply = method(channel, "WhoAmI")(StringValue(), timeout=5)
    finally:
        context.principal.reset(principal)

    assert reply.value == "web-user-1/2/c-42"  # ACTOR_KIND_CUSTOMER


def test_unreachable_signing_keys_are_unavailable_not_unauthenticated() -> None:
    keys = RemoteKeys.from_identity(f"127.0.0.1:{free_port()}", timeout=1).start()
    try:
        for target in _serve(TokenVerifier(keys)):
            with grpc.insecure_channel(target) as channel:
                error = failure(method(channel, "WhoAmI"), bearer(staff_token("admin")))

            assert error.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        keys.stop()  # its thread would go on asking the address nobody listens on


def test_a_rule_for_a_method_the_service_lacks_fails_at_start() -> None:
    name = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name

    with pytest.raises(ValueError, match="unknown methods: GetSegments"):
        GrpcServer(
            [ServiceBinding(name, object(), lambda servicer, server: None)],
            port=0,
            readiness=Readiness({}),
            authenticate=grpc_authenticator(token_verifier()),
            policy=Policy({"GetSegments": Allow(roles={"admin"})}),
            host="127.0.0.1",
        )
