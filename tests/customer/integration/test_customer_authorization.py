"""Who may do what in the customer service, straight over gRPC with real tokens: forged tokens
are UNAUTHENTICATED, the policy decides per role and scope, a customer sees and changes only
their own record and timeline (another's is NOT_FOUND like an unknown one), a partner user
reads only the records assigned to their partner, fields a customer may not set are refused,
and every event records the token's subject and kind as its actor."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from crm_platform.grpc_errors import ErrorDetails
from crm_platform.testing.tokens import (
    SigningKey,
    bearer,
    customer_token,
    hs256_with_public_key,
    issue_token,
    partner_token,
    service_token,
    staff_token,
    tampered,
    unsigned_token,
)
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, rpc_error

pytestmark = pytest.mark.integration

Stub = customer_pb2_grpc.CustomerServiceStub


@pytest.fixture
def anyone(channel: grpc.Channel) -> Stub:
    """A stub that sends no token of its own: each call passes `metadata=bearer(...)`."""
    return Stub(channel)


def create(stub: Stub, name: str) -> customer_pb2.Customer:
    unique = uuid.uuid4().hex[:8]
    request = customer_pb2.CreateCustomerRequest(
        customer=customer_pb2.Customer(name=name, email=f"{unique}@example.com", region="north")
    )
    customer: customer_pb2.Customer = stub.CreateCustomer(request, timeout=10)
    return customer


def as_caller(call: Callable[..., Any], token: str) -> Callable[..., Any]:
    """`call` with `token` sent as the caller's bearer token."""
    return lambda request, timeout=10: call(request, timeout=timeout, metadata=bearer(token))


def failed(call: Callable[..., Any], token: str, request: Message) -> ErrorDetails:
    return rpc_error(as_caller(call, token), request)


def update_request(customer_id: str, **fields: Any) -> customer_pb2.UpdateCustomerRequest:
    return customer_pb2.UpdateCustomerRequest(
        customer=customer_pb2.Customer(id=customer_id, **fields),
        update_mask=FieldMask(paths=list(fields)),
    )


# -- authentication -----------------------------------------------------------------------------


def forgeries(victim_id: str) -> dict[str, str]:
    attacker = customer_token(str(uuid.uuid4()))
    return {
        "alg-none": unsigned_token(),
        "hs256-with-public-key": hs256_with_public_key(),
        "expired": issue_token(expires_in=-120),
        "wrong-aud": issue_token(audience="another-api"),
        "wrong-iss": issue_token(issuer="someone-else"),
        "tampered-customer-id": tampered(attacker, customer_id=victim_id),
        "tampered-kind": tampered(attacker, kind="staff", roles=["admin"]),
        "unknown-kid": issue_token(key=SigningKey.generate("rogue")),
    }


FORGERY_NAMES = list(forgeries("x"))


@pytest.mark.parametrize("forgery", FORGERY_NAMES)
def test_a_forged_token_is_unauthenticated_and_reads_nothing(
    stub: Stub, anyone: Stub, forgery: str
) -> None:
    victim = create(stub, "Victim")
    token = forgeries(victim.id)[forgery]

    error = failed(anyone.GetCustomer, token, customer_pb2.GetCustomerRequest(id=victim.id))

    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert victim.email not in error.message


@pytest.mark.parametrize("forgery", FORGERY_NAMES)
def test_a_forged_token_changes_nothing(
    stub: Stub, anyone: Stub, engine: Engine, forgery: str
) -> None:
    victim = create(stub, "Victim")
    token = forgeries(victim.id)[forgery]

    error = failed(anyone.UpdateCustomer, token, update_request(victim.id, name="Mallory"))

    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert stub.GetCustomer(customer_pb2.GetCustomerRequest(id=victim.id), timeout=10) == victim
    assert [e.type.rsplit(".", 1)[-1] for e in outbox_events(engine)] == ["CustomerRegistered"]


@pytest.mark.parametrize(
    "metadata",
    [None, (("authorization", "Token abc"),), (("authorization", "Bearer "),)],
    ids=["missing", "wrong-scheme", "empty"],
)
def test_without_a_bearer_token_every_method_is_unauthenticated(
    anyone: Stub, metadata: Any
) -> None:
    with pytest.raises(grpc.RpcError) as error:
        anyone.ListCustomers(customer_pb2.ListCustomersRequest(), metadata=metadata, timeout=10)

    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED


# -- roles and scopes ---------------------------------------------------------------------------

ROLE_CASES = [
    # (method, token, allowed)
    ("CreateCustomer", staff_token("sales_rep"), True),
    ("CreateCustomer", staff_token("service_agent"), True),
    ("CreateCustomer", staff_token("marketer"), False),
    ("CreateCustomer", staff_token("analyst"), False),
    ("CreateCustomer", staff_token("finance"), False),
    ("CreateCustomer", service_token("customers:write"), True),
    ("CreateCustomer", service_token("customers:read"), False),
    ("CreateCustomer", customer_token(str(uuid.uuid4())), False),
    ("ListCustomers", staff_token("analyst"), True),
    ("ListCustomers", staff_token("finance"), True),
    ("ListCustomers", staff_token("marketer"), True),
    ("ListCustomers", service_token("customers:read"), True),
    ("ListCustomers", service_token("analytics:read"), False),
    ("ListCustomers", partner_token("p-1"), False),  # a partner id that is none of ours
    ("ListCustomers", partner_token(str(uuid.uuid4())), True),
    ("CreateCustomer", partner_token(str(uuid.uuid4())), False),
    ("RecognizeCustomer", partner_token(str(uuid.uuid4())), False),
    ("ListCustomers", staff_token("partner_user"), False),
    ("ListCustomers", customer_token(str(uuid.uuid4())), False),
    ("ListCustomers", issue_token(roles=[]), False),
    ("RecognizeCustomer", staff_token("service_agent"), True),
    ("RecognizeCustomer", customer_token(str(uuid.uuid4())), False),
]


def _request(method: str) -> Message:
    if method == "CreateCustomer":
        return customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(name="New", email=f"{uuid.uuid4().hex}@example.com")
        )
    if method == "RecognizeCustomer":
        return customer_pb2.RecognizeCustomerRequest(email="nobody@example.com")
    return customer_pb2.ListCustomersRequest()


@pytest.mark.parametrize(("method", "token", "allowed"), ROLE_CASES)
def test_roles_and_scopes_decide_who_may_call_a_method(
    anyone: Stub, method: str, token: str, allowed: bool
) -> None:
    call = as_caller(getattr(anyone, method), token)

    if allowed:
        assert call(_request(method)) is not None
    else:
        assert rpc_error(call, _request(method)).code == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", True),
        ("manager", True),
        ("sales_rep", False),
        ("service_agent", False),
        ("marketer", False),
    ],
)
def test_only_admins_and_managers_blacklist_and_merge(
    stub: Stub, anyone: Stub, role: str, allowed: bool
) -> None:
    first, second = create(stub, "First"), create(stub, "Second")
    token = staff_token(role)
    blacklist = customer_pb2.BlacklistCustomerRequest(id=first.id, reason="fraud")
    merge = customer_pb2.MergeCustomersRequest(survivor_id=first.id, merged_id=second.id)

    if allowed:
        assert as_caller(anyone.BlacklistCustomer, token)(blacklist).blacklisted
        assert as_caller(anyone.MergeCustomers, token)(merge).id == first.id
    else:
        assert failed(anyone.BlacklistCustomer, token, blacklist).code == (
            grpc.StatusCode.PERMISSION_DENIED
        )
        assert failed(anyone.MergeCustomers, token, merge).code == (
            grpc.StatusCode.PERMISSION_DENIED
        )
        current = stub.GetCustomer(customer_pb2.GetCustomerRequest(id=first.id), timeout=10)
        assert (current.blacklisted, current.version) == (False, 1)


def test_a_marketer_reads_and_sets_consent_but_does_not_edit_the_profile(
    stub: Stub, anyone: Stub
) -> None:
    customer = create(stub, "Consenting")
    token = staff_token("marketer")

    consent = as_caller(anyone.SetConsent, token)(
        customer_pb2.SetConsentRequest(
            id=customer.id, channel=customer_pb2.CONSENT_CHANNEL_EMAIL, granted=True
        )
    )
    denied = failed(anyone.UpdateCustomer, token, update_request(customer.id, city="Lyon"))

    assert [c.granted for c in consent.consents] == [True]
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED


# -- a customer and their own record ------------------------------------------------------------


def test_a_customer_reads_and_updates_their_own_record(
    stub: Stub, anyone: Stub, engine: Engine
) -> None:
    own = create(stub, "Alice")
    token = customer_token(own.id, subject="login-alice")

    fetched = as_caller(anyone.GetCustomer, token)(customer_pb2.GetCustomerRequest(id=own.id))
    updated = as_caller(anyone.UpdateCustomer, token)(
        update_request(own.id, city="Lyon", phone="+14155552671")
    )

    assert fetched == own
    assert (updated.city, updated.phone, updated.version) == ("Lyon", "+14155552671", 2)
    event = outbox_events(engine)[-1]
    assert event.type == "crm.customer.v1.CustomerUpdated"
    assert event.message.actor == common_pb2.Actor(  # type: ignore[attr-defined]
        subject="login-alice", kind=common_pb2.ACTOR_KIND_CUSTOMER
    )


def test_a_customer_keeps_their_own_timeline_and_consents(stub: Stub, anyone: Stub) -> None:
    own = create(stub, "Alice")
    token = customer_token(own.id, subject="login-alice")

    as_caller(anyone.LogInteraction, token)(
        customer_pb2.LogInteractionRequest(
            customer_id=own.id,
            channel=customer_pb2.INTERACTION_CHANNEL_PORTAL,
            summary="asked about delivery",
        )
    )
    consent = as_caller(anyone.SetConsent, token)(
        customer_pb2.SetConsentRequest(
            id=own.id, channel=customer_pb2.CONSENT_CHANNEL_SMS, granted=False
        )
    )
    timeline = as_caller(anyone.ListInteractions, token)(
        customer_pb2.ListInteractionsRequest(customer_id=own.id)
    )

    assert [c.granted for c in consent.consents] == [False]
    [interaction] = timeline.interactions
    assert interaction.summary == "asked about delivery"
    assert interaction.actor == common_pb2.Actor(
        subject="login-alice", kind=common_pb2.ACTOR_KIND_CUSTOMER
    )


def _attempts(other_id: str) -> list[tuple[str, Message]]:
    return [
        ("GetCustomer", customer_pb2.GetCustomerRequest(id=other_id)),
        ("UpdateCustomer", update_request(other_id, name="Mallory")),
        (
            "SetConsent",
            customer_pb2.SetConsentRequest(
                id=other_id, channel=customer_pb2.CONSENT_CHANNEL_EMAIL, granted=True
            ),
        ),
        (
            "LogInteraction",
            customer_pb2.LogInteractionRequest(
                customer_id=other_id, channel=customer_pb2.INTERACTION_CHANNEL_WEB, summary="x"
            ),
        ),
        ("ListInteractions", customer_pb2.ListInteractionsRequest(customer_id=other_id)),
    ]


@pytest.mark.parametrize("method", [name for name, _request in _attempts("x")])
def test_another_customers_record_is_not_found_like_an_unknown_one(
    stub: Stub, anyone: Stub, engine: Engine, method: str
) -> None:
    alice, bob = create(stub, "Alice"), create(stub, "Bob")
    token = customer_token(alice.id)
    unknown_id = str(uuid.uuid4())
    events_before = len(outbox_events(engine))

    foreign = failed(getattr(anyone, method), token, dict(_attempts(bob.id))[method])
    unknown = failed(getattr(anyone, method), token, dict(_attempts(unknown_id))[method])

    assert foreign.code == unknown.code == grpc.StatusCode.NOT_FOUND
    assert foreign.message.replace(bob.id, "ID") == unknown.message.replace(unknown_id, "ID")
    assert stub.GetCustomer(customer_pb2.GetCustomerRequest(id=bob.id), timeout=10) == bob
    assert len(outbox_events(engine)) == events_before


@pytest.mark.parametrize(
    "fields",
    [
        {"owner_id": str(uuid.uuid4())},
        {"acquisition_source": customer_pb2.ACQUISITION_SOURCE_PARTNER},
        {"kind": customer_pb2.PARTY_KIND_ORGANIZATION},
        {"tags": ["vip"]},
        {"partner_id": str(uuid.uuid4())},
        {"city": "Lyon", "owner_id": str(uuid.uuid4())},
    ],
    ids=["owner", "source", "kind", "tags", "partner", "allowed-with-refused"],
)
def test_fields_a_customer_may_not_set_are_refused_not_ignored(
    stub: Stub, anyone: Stub, engine: Engine, fields: dict[str, Any]
) -> None:
    own = create(stub, "Alice")
    token = customer_token(own.id)

    error = failed(anyone.UpdateCustomer, token, update_request(own.id, **fields))

    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert "may not set" in error.message
    assert stub.GetCustomer(customer_pb2.GetCustomerRequest(id=own.id), timeout=10) == own
    assert len(outbox_events(engine)) == 1


def test_staff_may_set_the_owner_and_the_event_names_them(stub: Stub, engine: Engine) -> None:
    customer = create(stub, "Owned")
    owner = str(uuid.uuid4())
    token = staff_token("sales_rep", subject="rep-3")

    updated = as_caller(stub.UpdateCustomer, token)(update_request(customer.id, owner_id=owner))

    assert updated.owner_id == owner
    assert outbox_events(engine)[-1].message.actor == common_pb2.Actor(  # type: ignore[attr-defined]
        subject="rep-3", kind=common_pb2.ACTOR_KIND_STAFF
    )


def test_a_machine_client_is_the_actor_of_what_it_creates(anyone: Stub, engine: Engine) -> None:
    token = service_token("customers:write", subject="erp-sync")

    created = as_caller(anyone.CreateCustomer, token)(_request("CreateCustomer"))

    [event] = outbox_events(engine)
    assert event.subject == created.id
    assert event.message.actor == common_pb2.Actor(  # type: ignore[attr-defined]
        subject="erp-sync", kind=common_pb2.ACTOR_KIND_SERVICE
    )


def test_a_customer_token_naming_no_record_of_ours_sees_nothing(stub: Stub, anyone: Stub) -> None:
    customer = create(stub, "Someone")

    error = failed(
        anyone.GetCustomer,
        customer_token("not-a-uuid"),
        customer_pb2.GetCustomerRequest(id=customer.id),
    )

    assert error.code == grpc.StatusCode.NOT_FOUND


# -- a partner user and the records assigned to their partner -----------------------------------


def assign(stub: Stub, customer: customer_pb2.Customer, partner_id: str) -> customer_pb2.Customer:
    updated: customer_pb2.Customer = stub.UpdateCustomer(
        update_request(customer.id, partner_id=partner_id), timeout=10
    )
    return updated


def test_staff_assign_a_customer_to_a_partner_and_the_event_says_who(
    stub: Stub, engine: Engine
) -> None:
    customer = create(stub, "Assigned")
    partner_id = str(uuid.uuid4())
    token = staff_token("sales_rep", subject="rep-3")

    updated = as_caller(stub.UpdateCustomer, token)(
        update_request(customer.id, partner_id=partner_id)
    )

    assert (updated.partner_id, updated.version) == (partner_id, 2)
    event = outbox_events(engine)[-1]
    assert event.type == "crm.customer.v1.CustomerUpdated"
    message: Any = event.message
    assert list(message.changed_fields) == ["partner_id"]
    assert message.customer.partner_id == partner_id
    assert message.actor == common_pb2.Actor(subject="rep-3", kind=common_pb2.ACTOR_KIND_STAFF)


def test_a_partner_id_must_be_a_uuid(stub: Stub) -> None:
    customer = create(stub, "Assigned")

    error = rpc_error(stub.UpdateCustomer, update_request(customer.id, partner_id="acme"))
    listed = rpc_error(stub.ListCustomers, customer_pb2.ListCustomersRequest(partner_id="acme"))

    assert error.code == listed.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["customer.partner_id"]
    assert [v.field for v in listed.violations] == ["partner_id"]


def test_a_partner_user_reads_only_what_is_assigned_to_their_partner(
    stub: Stub, anyone: Stub
) -> None:
    partner_id = str(uuid.uuid4())
    mine = assign(stub, create(stub, "Mine"), partner_id)
    theirs = assign(stub, create(stub, "Theirs"), str(uuid.uuid4()))
    nobodys = create(stub, "Nobody's")
    token = partner_token(partner_id)
    stub.LogInteraction(
        customer_pb2.LogInteractionRequest(
            customer_id=mine.id, channel=customer_pb2.INTERACTION_CHANNEL_PHONE, summary="call"
        ),
        timeout=10,
    )

    fetched = as_caller(anyone.GetCustomer, token)(customer_pb2.GetCustomerRequest(id=mine.id))
    listed = as_caller(anyone.ListCustomers, token)(customer_pb2.ListCustomersRequest())
    timeline = as_caller(anyone.ListInteractions, token)(
        customer_pb2.ListInteractionsRequest(customer_id=mine.id)
    )

    assert fetched == mine
    assert [c.id for c in listed.customers] == [mine.id]
    assert [i.summary for i in timeline.interactions] == ["call"]
    unknown_id = str(uuid.uuid4())
    for method, request in (
        ("GetCustomer", lambda i: customer_pb2.GetCustomerRequest(id=i)),
        ("ListInteractions", lambda i: customer_pb2.ListInteractionsRequest(customer_id=i)),
    ):
        unknown = failed(getattr(anyone, method), token, request(unknown_id))
        for other in (theirs, nobodys):
            foreign = failed(getattr(anyone, method), token, request(other.id))
            assert foreign.code == unknown.code == grpc.StatusCode.NOT_FOUND
            assert foreign.message.replace(other.id, "ID") == unknown.message.replace(
                unknown_id, "ID"
            )


def test_staff_filter_the_list_by_partner_and_a_partner_user_only_by_their_own(
    stub: Stub, anyone: Stub
) -> None:
    partner_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    mine = assign(stub, create(stub, "Mine"), partner_id)
    assign(stub, create(stub, "Theirs"), other_id)

    by_staff = stub.ListCustomers(customer_pb2.ListCustomersRequest(partner_id=partner_id))
    own = as_caller(anyone.ListCustomers, partner_token(partner_id))(
        customer_pb2.ListCustomersRequest(partner_id=partner_id)
    )
    other = failed(
        anyone.ListCustomers,
        partner_token(partner_id),
        customer_pb2.ListCustomersRequest(partner_id=other_id),
    )

    assert [c.id for c in by_staff.customers] == [c.id for c in own.customers] == [mine.id]
    assert other.code == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    "method", ["UpdateCustomer", "SetConsent", "LogInteraction", "BlacklistCustomer"]
)
def test_a_partner_user_changes_nothing_assigned_to_them(
    stub: Stub, anyone: Stub, engine: Engine, method: str
) -> None:
    partner_id = str(uuid.uuid4())
    mine = assign(stub, create(stub, "Mine"), partner_id)
    requests: dict[str, Message] = {
        **dict(_attempts(mine.id)),
        "UpdateCustomer": update_request(mine.id, partner_id=str(uuid.uuid4())),
        "BlacklistCustomer": customer_pb2.BlacklistCustomerRequest(id=mine.id, reason="x"),
    }
    events_before = len(outbox_events(engine))

    error = failed(getattr(anyone, method), partner_token(partner_id), requests[method])

    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert stub.GetCustomer(customer_pb2.GetCustomerRequest(id=mine.id), timeout=10) == mine
    assert len(outbox_events(engine)) == events_before
