"""The `rules` of customer.proto, enforced by the chassis through a real gRPC server on
PostgreSQL and SQLite: a request that breaks one is INVALID_ARGUMENT with a BadRequest
violation per field path, before the handler runs, so it changes nothing; limits are the
domain's (a summary of 4,000 characters, a preference value of 1,000)."""

from __future__ import annotations

import grpc
import pytest
from crm_platform.testing.tokens import bearer, staff_token
from crm_platform.validation import MAX_VIOLATIONS
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_types, row_count, rpc_error

pytestmark = pytest.mark.integration

Stub = customer_pb2_grpc.CustomerServiceStub


def create(stub: Stub, **fields: object) -> customer_pb2.Customer:
    values: dict[str, object] = {"name": "Ada Lovelace", "email": "ada@example.com"}
    values.update(fields)
    request = customer_pb2.CreateCustomerRequest(customer=customer_pb2.Customer(**values))  # type: ignore[arg-type]
    created: customer_pb2.Customer = stub.CreateCustomer(request, timeout=10)
    return created


def test_a_create_that_breaks_rules_names_every_field_and_writes_nothing(
    stub: Stub, engine: Engine
) -> None:
    error = rpc_error(
        stub.CreateCustomer,
        customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(
                name="A" * 201,
                email="ada@example.com",
                tags=["vip", "x" * 51],
                preferences={"lang": "e" * 1001},
                owner_id="rep-7",
            ),
            idempotency_key="k" * 201,
        ),
    )

    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [(v.field, v.description) for v in error.violations] == [
        ("customer.name", "must be at most 200 characters"),
        ("customer.tags[1]", "must be at most 50 characters"),
        ('customer.preferences["lang"]', "must be at most 1000 characters"),
        ("customer.owner_id", "must be a UUID"),
        ("idempotency_key", "must be at most 200 characters"),
    ]
    assert row_count(engine, "customers") == 0
    assert row_count(engine, "idempotency_keys") == 0
    assert row_count(engine, "outbox") == 0


def test_an_update_that_breaks_a_rule_changes_nothing(stub: Stub, engine: Engine) -> None:
    created = create(stub, city="Lyon")

    error = rpc_error(
        stub.UpdateCustomer,
        customer_pb2.UpdateCustomerRequest(
            customer=customer_pb2.Customer(id=created.id, city="C" * 101, partner_id="acme"),
            update_mask=FieldMask(paths=["city", "partner_id"]),
            expected_version=-1,
        ),
    )
    after = stub.GetCustomer(customer_pb2.GetCustomerRequest(id=created.id), timeout=10)

    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [
        "customer.city",
        "customer.partner_id",
        "expected_version",
    ]
    assert (after.city, after.partner_id, after.version) == ("Lyon", "", 1)
    assert outbox_types(engine) == ["CustomerRegistered"]


def test_the_domain_limits_hold_not_the_gateways_old_ones(stub: Stub, engine: Engine) -> None:
    created = create(stub, preferences={"k" * 100: "v" * 1000})

    logged = stub.LogInteraction(
        customer_pb2.LogInteractionRequest(
            customer_id=created.id,
            channel=customer_pb2.INTERACTION_CHANNEL_PHONE,
            summary="s" * 4000,
        ),
        timeout=10,
    )
    too_long = rpc_error(
        stub.LogInteraction,
        customer_pb2.LogInteractionRequest(
            customer_id=created.id,
            channel=customer_pb2.INTERACTION_CHANNEL_PHONE,
            summary="s" * 4001,
        ),
    )

    assert dict(created.preferences) == {"k" * 100: "v" * 1000}
    assert len(logged.summary) == 4000
    assert [v.field for v in too_long.violations] == ["summary"]
    assert row_count(engine, "interactions") == 1


def test_missing_required_fields_are_named_in_field_order(stub: Stub, engine: Engine) -> None:
    error = rpc_error(stub.SetConsent, customer_pb2.SetConsentRequest(channel=99))  # type: ignore[arg-type]

    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [(v.field, v.description) for v in error.violations] == [
        ("id", "is required"),
        ("channel", "unknown value 99"),
    ]
    assert row_count(engine, "outbox") == 0


def test_a_caller_the_policy_refuses_learns_nothing_of_the_rules(channel: grpc.Channel) -> None:
    """Authorization comes first: a marketer may not blacklist, whatever the request holds."""
    error = rpc_error(
        lambda request, timeout: Stub(channel).BlacklistCustomer(
            request, timeout=timeout, metadata=bearer(staff_token("marketer"))
        ),
        customer_pb2.BlacklistCustomerRequest(id="not-a-uuid"),
    )

    assert error.code is grpc.StatusCode.PERMISSION_DENIED
    assert error.violations == []


def test_a_request_with_a_great_many_bad_values_still_gets_its_violations(
    stub: Stub, engine: Engine
) -> None:
    """The violations travel in the call's trailers, which the client limits in size."""
    preferences = {f"{n:03}" + "k" * 250 + "\x00": "v" for n in range(50)}

    error = rpc_error(
        stub.CreateCustomer,
        customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(name="Ada", preferences=preferences)
        ),
    )

    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert len(error.violations) == MAX_VIOLATIONS
    assert row_count(engine, "customers") == 0
