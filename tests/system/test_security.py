"""Object-level authorization through real processes, with the portal's own tokens:

- a customer registered through the portal reads and changes only their own record, through the
  gateway and straight over gRPC; another customer's record is a 404 / NOT_FOUND exactly like an
  unknown one, and stays as it was;
- a partner user (an account the admin makes) sees only the customers assigned to their partner;
- a customer cannot set the fields staff manage (mass assignment): refused, nothing applied;
- each route lets only its roles in.

Every refusal is checked by reading the record (and the customer service's outbox) back.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import psycopg
import pytest
from crm_platform.events import decode
from crm_platform.testing.tokens import bearer
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import (
    customer_pb2,
    customer_pb2_grpc,
    events_pb2,  # noqa: F401 - registers the event types
)
from google.protobuf.field_mask_pb2 import FieldMask

from tests.system.stack import Stack

pytestmark = pytest.mark.system

PROBLEM = "application/problem+json"
PASSWORD = "customer password 1"
STAFF_PASSWORD = "staff password 12"


@dataclass(frozen=True)
class Registered:
    """A customer who registered through the portal, and their login."""

    id: str
    email: str
    token: str


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    """Calls the gateway as nobody unless a request sends its own Authorization."""
    with httpx.Client(base_url=stack.api, timeout=10) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(api: httpx.Client, stack: Stack, name: str) -> Registered:
    unique = uuid.uuid4().hex[:10]
    email = f"{name.lower()}-{unique}@example.com"
    response = api.post(
        "/api/v1/portal/register",
        json={
            "email": email,
            "password": PASSWORD,
            "name": f"{name} {unique}",
            "phone": f"+86138{random.randrange(10**8):08d}",
            "city": "Hangzhou",
        },
    )
    assert response.status_code == 201, response.text
    customer_id = response.json()["customer"]["id"]
    return Registered(customer_id, email, stack.token(email, PASSWORD))


def new_account(api: httpx.Client, stack: Stack, role: str, **fields: Any) -> str:
    """An account the admin creates through the admin API; returns its email (the password is
    STAFF_PASSWORD)."""
    email = f"{role.replace('_', '-')}-{uuid.uuid4().hex[:8]}@example.com"
    response = api.post(
        "/api/v1/admin/users",
        json={"email": email, "password": STAFF_PASSWORD, "roles": [role], **fields},
        headers=stack.headers(),
    )
    assert response.status_code == 201, response.text
    return email


_ACCOUNTS: dict[tuple[str, str], str] = {}


def staff_user(api: httpx.Client, stack: Stack, role: str) -> str:
    """A token of a staff account with just `role`: one account per role and stack, since
    logins are rate-limited per address (stack.token reuses tokens)."""
    email = _ACCOUNTS.get((stack.api, role))
    if email is None:
        email = _ACCOUNTS[(stack.api, role)] = new_account(api, stack, role)
    return stack.token(email, STAFF_PASSWORD)


def as_admin(api: httpx.Client, stack: Stack, customer_id: str) -> dict[str, Any]:
    """The record as it is: read back by the admin."""
    response = api.get(f"/api/v1/customers/{customer_id}", headers=stack.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def create_customer(api: httpx.Client, stack: Stack, **fields: Any) -> dict[str, Any]:
    unique = uuid.uuid4().hex[:10]
    response = api.post(
        "/api/v1/customers",
        json={"name": f"Customer {unique}", "email": f"{unique}@example.com", **fields},
        headers=stack.headers(),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def events_about(stack: Stack, customer_id: str) -> list[Any]:
    """The events the customer service wrote about one customer, oldest first."""
    with psycopg.connect(stack.database_urls["customer"]) as connection:
        rows = connection.execute(
            "SELECT payload FROM outbox WHERE subject = %s ORDER BY seq", (customer_id,)
        ).fetchall()
    return [decode(bytes(row[0])) for row in rows]


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def assert_not_found_like_unknown(
    api: httpx.Client, token: str, path: str, hidden_id: str, method: str = "GET", **kwargs: Any
) -> None:
    """`path` with `hidden_id` answers exactly what it answers for an id nobody has."""
    unknown_id = str(uuid.uuid4())
    hidden = assert_problem(
        api.request(method, path.format(id=hidden_id), headers=auth(token), **kwargs), 404
    )
    unknown = assert_problem(
        api.request(method, path.format(id=unknown_id), headers=auth(token), **kwargs), 404
    )
    assert hidden["title"] == unknown["title"]
    assert hidden["detail"].replace(hidden_id, "ID") == unknown["detail"].replace(unknown_id, "ID")


@pytest.fixture(scope="module")
def alice(api: httpx.Client, stack: Stack) -> Registered:
    return register(api, stack, "Alice")


@pytest.fixture(scope="module")
def bob(api: httpx.Client, stack: Stack) -> Registered:
    return register(api, stack, "Bob")


# -- a customer and another customer's record ----------------------------------------------------


def test_a_customer_reads_their_own_record_and_timeline(
    api: httpx.Client, stack: Stack, alice: Registered
) -> None:
    me = api.get("/api/v1/portal/me", headers=auth(alice.token))
    record = api.get(f"/api/v1/customers/{alice.id}", headers=auth(alice.token))
    timeline = api.get(f"/api/v1/customers/{alice.id}/timeline", headers=auth(alice.token))

    assert me.status_code == record.status_code == timeline.status_code == 200
    assert me.json() == record.json() == as_admin(api, stack, alice.id)
    assert (me.json()["id"], me.json()["email"]) == (alice.id, alice.email)


def test_portal_me_shows_only_the_callers_own_record(
    api: httpx.Client, alice: Registered, bob: Registered
) -> None:
    alices = api.get("/api/v1/portal/me", headers=auth(alice.token))
    bobs = api.get("/api/v1/portal/me", headers=auth(bob.token))
    listing = api.get("/api/v1/customers", headers=auth(alice.token))

    assert (alices.json()["id"], bobs.json()["id"]) == (alice.id, bob.id)
    assert bob.email not in alices.text
    assert bob.id not in alices.text
    assert_problem(listing, 403)  # a customer lists no customers, not even a page of one
    assert bob.id not in listing.text


def test_a_customer_answers_their_own_consents_and_only_their_own(
    api: httpx.Client, stack: Stack, bob: Registered
) -> None:
    granted = api.put("/api/v1/portal/me/consents/sms", json={"granted": True},
                      headers=auth(bob.token))  # fmt: skip
    withdrawn = api.put("/api/v1/portal/me/consents/sms", json={"granted": False},
                        headers=auth(bob.token))  # fmt: skip
    unknown = api.put("/api/v1/portal/me/consents/pigeon", json={"granted": True},
                      headers=auth(bob.token))  # fmt: skip
    staff = api.put("/api/v1/portal/me/consents/sms", json={"granted": True},
                    headers=stack.headers())  # fmt: skip

    assert granted.status_code == 200, granted.text
    assert granted.json()["consents"]["sms"]["granted"] is True
    assert withdrawn.json()["consents"]["sms"]["granted"] is False
    assert unknown.status_code == 404
    assert_problem(staff, 403)  # only a customer has an own record
    assert as_admin(api, stack, bob.id)["consents"]["sms"]["granted"] is False


def test_a_customer_cannot_read_another_customers_record_or_timeline(
    api: httpx.Client, alice: Registered, bob: Registered
) -> None:
    assert_not_found_like_unknown(api, alice.token, "/api/v1/customers/{id}", bob.id)
    assert_not_found_like_unknown(api, alice.token, "/api/v1/customers/{id}/timeline", bob.id)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/v1/customers/{id}", {"name": "Mallory"}),
        ("PATCH", "/api/v1/customers/{id}", {"email": "mallory@example.com"}),
        ("POST", "/api/v1/customers/{id}/timeline", {"channel": "web", "summary": "x"}),
        ("PUT", "/api/v1/customers/{id}/consents/email", {"granted": True}),
    ],
    ids=["name", "email", "timeline", "consent"],
)
def test_a_customer_cannot_change_another_customers_record(
    api: httpx.Client,
    stack: Stack,
    alice: Registered,
    bob: Registered,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    before = as_admin(api, stack, bob.id)
    events_before = len(events_about(stack, bob.id))

    assert_not_found_like_unknown(api, alice.token, path, bob.id, method, json=body)

    assert as_admin(api, stack, bob.id) == before
    assert len(events_about(stack, bob.id)) == events_before


def test_a_customers_token_straight_over_grpc_reaches_only_their_own_record(
    api: httpx.Client, stack: Stack, alice: Registered, bob: Registered
) -> None:
    before = as_admin(api, stack, bob.id)
    events_before = len(events_about(stack, bob.id))
    metadata = bearer(alice.token)
    with grpc.insecure_channel(stack.grpc_target("customer")) as channel:
        stub = customer_pb2_grpc.CustomerServiceStub(channel)
        own = stub.GetCustomer(
            customer_pb2.GetCustomerRequest(id=alice.id), metadata=metadata, timeout=10
        )
        refusals = {}
        for name, call, request in (
            ("get", stub.GetCustomer, customer_pb2.GetCustomerRequest(id=bob.id)),
            (
                "update",
                stub.UpdateCustomer,
                customer_pb2.UpdateCustomerRequest(
                    customer=customer_pb2.Customer(id=bob.id, name="Mallory"),
                    update_mask=FieldMask(paths=["name"]),
                ),
            ),
            (
                "timeline",
                stub.ListInteractions,
                customer_pb2.ListInteractionsRequest(customer_id=bob.id),
            ),
            ("unknown", stub.GetCustomer, customer_pb2.GetCustomerRequest(id=str(uuid.uuid4()))),
        ):
            with pytest.raises(grpc.RpcError) as error:
                call(request, metadata=metadata, timeout=10)
            refusals[name] = error.value

    assert own.id == alice.id
    assert {name: e.code() for name, e in refusals.items()} == dict.fromkeys(
        refusals, grpc.StatusCode.NOT_FOUND
    )
    assert bob.email not in "".join(e.details() or "" for e in refusals.values())
    assert as_admin(api, stack, bob.id) == before
    assert len(events_about(stack, bob.id)) == events_before


# -- mass assignment ----------------------------------------------------------------------------

STAFF_FIELDS = {
    "blacklisted": True,
    "owner_id": str(uuid.uuid4()),
    "partner_id": str(uuid.uuid4()),
    "kind": "organization",
    "tags": ["vip"],
    "source": "partner",
}


@pytest.mark.parametrize(
    ("path", "field", "status"),
    [
        # /portal/me takes profile fields only: anything else is not in its body (422)
        *[("/api/v1/portal/me", field, 422) for field in STAFF_FIELDS],
        ("/api/v1/portal/me", "email", 422),  # the login's email is not changed here
        # /customers/{id} knows the fields; the customer service refuses them to a customer
        ("/api/v1/customers/{id}", "blacklisted", 422),  # not a field of any PATCH body
        *[("/api/v1/customers/{id}", f, 403) for f in STAFF_FIELDS if f != "blacklisted"],
    ],
)
def test_a_customer_cannot_set_the_fields_staff_manage(
    api: httpx.Client, stack: Stack, alice: Registered, path: str, field: str, status: int
) -> None:
    before = as_admin(api, stack, alice.id)
    events_before = len(events_about(stack, alice.id))
    value = STAFF_FIELDS.get(field, "new-login@example.com")

    alone = api.patch(path.format(id=alice.id), json={field: value}, headers=auth(alice.token))
    # with a field the customer may change: the whole request is refused, nothing applied
    mixed = api.patch(
        path.format(id=alice.id),
        json={"city": "Ningbo", field: value},
        headers=auth(alice.token),
    )

    assert_problem(alone, status)
    assert_problem(mixed, status)
    after = as_admin(api, stack, alice.id)
    assert after == before
    assert (after["city"], after["blacklisted"], after["tags"]) == ("Hangzhou", False, [])
    assert (after["partner_id"], after["owner_id"]) == (None, None)
    assert len(events_about(stack, alice.id)) == events_before


def test_a_customer_changes_their_own_profile_and_the_event_names_them(
    api: httpx.Client, stack: Stack, bob: Registered
) -> None:
    """The positive control of the refusals above: the same login may change what is theirs."""
    before = as_admin(api, stack, bob.id)

    response = api.patch("/api/v1/portal/me", json={"region": "south"}, headers=auth(bob.token))

    assert response.status_code == 200, response.text
    after = as_admin(api, stack, bob.id)
    assert (after["region"], after["version"]) == ("south", before["version"] + 1)
    event = events_about(stack, bob.id)[-1]
    assert event.type == "crm.customer.v1.CustomerUpdated"
    assert event.message.actor == common_pb2.Actor(
        subject=claims(bob.token)["sub"], kind=common_pb2.ACTOR_KIND_CUSTOMER
    )


# -- a partner user and the customers assigned to their partner ------------------------------------


@dataclass(frozen=True)
class Partnership:
    partner_id: str
    token: str  # a partner user's
    assigned: list[str]  # customer ids assigned to the partner
    others: list[str]  # another partner's customer, and one of no partner


@pytest.fixture(scope="module")
def partnership(api: httpx.Client, stack: Stack) -> Partnership:
    partner_id, other_partner_id = str(uuid.uuid4()), str(uuid.uuid4())
    email = new_account(
        api, stack, "partner_user", kind="partner", partner_id=partner_id, name="Partner user"
    )
    token = stack.token(email, STAFF_PASSWORD)
    created_assigned = create_customer(api, stack, partner_id=partner_id)
    later_assigned = create_customer(api, stack)
    assigned = api.patch(
        f"/api/v1/customers/{later_assigned['id']}",
        json={"partner_id": partner_id},
        headers=stack.headers(),
    )
    assert assigned.status_code == 200, assigned.text
    other = create_customer(api, stack, partner_id=other_partner_id)
    unassigned = create_customer(api, stack)
    return Partnership(
        partner_id,
        token,
        [created_assigned["id"], later_assigned["id"]],
        [other["id"], unassigned["id"]],
    )


def test_assigning_a_customer_to_a_partner_is_an_event_with_its_actor(
    api: httpx.Client, stack: Stack, partnership: Partnership
) -> None:
    later_assigned = partnership.assigned[1]

    record = as_admin(api, stack, later_assigned)
    event = events_about(stack, later_assigned)[-1]

    assert record["partner_id"] == partnership.partner_id
    assert event.type == "crm.customer.v1.CustomerUpdated"
    assert list(event.message.changed_fields) == ["partner_id"]
    assert event.message.customer.partner_id == partnership.partner_id
    assert event.message.version == record["version"] == 2
    assert event.message.actor == common_pb2.Actor(
        subject=claims(stack.admin_token())["sub"], kind=common_pb2.ACTOR_KIND_STAFF
    )


def test_a_partner_user_lists_only_their_partners_customers(
    api: httpx.Client, stack: Stack, partnership: Partnership
) -> None:
    listed = api.get("/api/v1/customers", headers=auth(partnership.token))
    by_staff = api.get(
        "/api/v1/customers", params={"partner_id": partnership.partner_id}, headers=stack.headers()
    )
    everyone = api.get("/api/v1/customers", params={"page_size": 200}, headers=stack.headers())

    assert listed.status_code == by_staff.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == partnership.assigned
    assert [c["id"] for c in by_staff.json()["items"]] == partnership.assigned
    assert {c["partner_id"] for c in listed.json()["items"]} == {partnership.partner_id}
    assert set(partnership.others) <= {c["id"] for c in everyone.json()["items"]}


def test_a_partner_user_may_not_list_another_partners_customers(
    api: httpx.Client, partnership: Partnership
) -> None:
    response = api.get(
        "/api/v1/customers",
        params={"partner_id": str(uuid.uuid4())},
        headers=auth(partnership.token),
    )

    assert_problem(response, 403)
    assert not any(customer_id in response.text for customer_id in partnership.others)


def test_a_partner_user_reads_what_is_assigned_and_nothing_else(
    api: httpx.Client, stack: Stack, partnership: Partnership
) -> None:
    for customer_id in partnership.assigned:
        record = api.get(f"/api/v1/customers/{customer_id}", headers=auth(partnership.token))
        timeline = api.get(
            f"/api/v1/customers/{customer_id}/timeline", headers=auth(partnership.token)
        )
        assert record.status_code == timeline.status_code == 200
        assert record.json() == as_admin(api, stack, customer_id)
    for customer_id in partnership.others:
        assert_not_found_like_unknown(api, partnership.token, "/api/v1/customers/{id}", customer_id)
        assert_not_found_like_unknown(
            api, partnership.token, "/api/v1/customers/{id}/timeline", customer_id
        )


def test_a_partner_users_token_straight_over_grpc_sees_only_the_assigned(
    stack: Stack, partnership: Partnership
) -> None:
    metadata = bearer(partnership.token)
    with grpc.insecure_channel(stack.grpc_target("customer")) as channel:
        stub = customer_pb2_grpc.CustomerServiceStub(channel)
        listed = stub.ListCustomers(
            customer_pb2.ListCustomersRequest(), metadata=metadata, timeout=10
        )
        with pytest.raises(grpc.RpcError) as foreign:
            stub.GetCustomer(
                customer_pb2.GetCustomerRequest(id=partnership.others[0]),
                metadata=metadata,
                timeout=10,
            )
        with pytest.raises(grpc.RpcError) as unassign:  # the gateway would not even let it by
            stub.UpdateCustomer(
                customer_pb2.UpdateCustomerRequest(
                    customer=customer_pb2.Customer(id=partnership.assigned[0]),
                    update_mask=FieldMask(paths=["partner_id"]),
                ),
                metadata=metadata,
                timeout=10,
            )

    assert [c.id for c in listed.customers] == partnership.assigned
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
    assert unassign.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with grpc.insecure_channel(stack.grpc_target("customer")) as channel:
        still = customer_pb2_grpc.CustomerServiceStub(channel).GetCustomer(
            customer_pb2.GetCustomerRequest(id=partnership.assigned[0]),
            metadata=bearer(stack.admin_token()),
            timeout=10,
        )
    assert still.partner_id == partnership.partner_id


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/v1/customers/{id}", {"city": "Suzhou"}),
        ("PATCH", "/api/v1/customers/{id}", {"partner_id": None}),
        ("POST", "/api/v1/customers/{id}/timeline", {"channel": "web", "summary": "x"}),
        ("PUT", "/api/v1/customers/{id}/consents/email", {"granted": True}),
        ("POST", "/api/v1/customers/{id}/blacklist", {"reason": "x"}),
        ("POST", "/api/v1/customers/{id}/merge", {"merged_id": "{other}"}),
        ("POST", "/api/v1/customers", {"name": "New", "email": "new-partner@example.com"}),
    ],
    ids=["update", "unassign", "timeline", "consent", "blacklist", "merge", "create"],
)
def test_a_partner_user_changes_nothing(
    api: httpx.Client,
    stack: Stack,
    partnership: Partnership,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    first, second = partnership.assigned
    before = [as_admin(api, stack, customer_id) for customer_id in partnership.assigned]
    events_before = [len(events_about(stack, c)) for c in partnership.assigned]
    payload = {k: (second if v == "{other}" else v) for k, v in body.items()}

    response = api.request(
        method, path.format(id=first), json=payload, headers=auth(partnership.token)
    )

    assert_problem(response, 403)
    assert [as_admin(api, stack, customer_id) for customer_id in partnership.assigned] == before
    assert [len(events_about(stack, c)) for c in partnership.assigned] == events_before
    listed = api.get("/api/v1/customers", headers=auth(partnership.token)).json()["items"]
    assert [c["id"] for c in listed] == partnership.assigned


# -- roles per route ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("marketer", "POST", "/api/v1/customers/{id}/blacklist", {"reason": "fraud"}),
        ("marketer", "PATCH", "/api/v1/customers/{id}", {"name": "Renamed"}),
        ("marketer", "POST", "/api/v1/customers/{id}/merge", {"merged_id": "{other}"}),
        ("analyst", "POST", "/api/v1/customers/{id}/blacklist", {"reason": "fraud"}),
        ("analyst", "PATCH", "/api/v1/customers/{id}", {"partner_id": "{partner}"}),
        ("sales_rep", "POST", "/api/v1/customers/{id}/blacklist", {"reason": "fraud"}),
        ("sales_rep", "POST", "/api/v1/customers/{id}/merge", {"merged_id": "{other}"}),
        ("finance", "PUT", "/api/v1/customers/{id}/consents/email", {"granted": True}),
    ],
)
def test_a_role_may_not_do_what_the_route_keeps_for_others(
    api: httpx.Client,
    stack: Stack,
    role: str,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    token = staff_user(api, stack, role)
    target, other = create_customer(api, stack), create_customer(api, stack)
    replacements = {"{other}": other["id"], "{partner}": str(uuid.uuid4())}
    payload = {k: replacements.get(v, v) if isinstance(v, str) else v for k, v in body.items()}

    response = api.request(method, path.format(id=target["id"]), json=payload, headers=auth(token))
    readable = api.get(f"/api/v1/customers/{target['id']}", headers=auth(token))

    assert_problem(response, 403)
    assert readable.status_code == 200  # the role reads customers: refused for the action only
    assert as_admin(api, stack, target["id"]) == target
    assert as_admin(api, stack, other["id"]) == other
    assert len(events_about(stack, target["id"])) == 1  # its registration only


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("marketer", "GET", "/api/v1/admin/users"),
        ("analyst", "POST", "/api/v1/admin/users"),
        ("manager", "POST", "/api/v1/admin/keys/rotate"),
        ("sales_rep", "GET", "/api/v1/admin/clients"),
    ],
)
def test_only_admins_manage_identity(
    api: httpx.Client, stack: Stack, role: str, method: str, path: str
) -> None:
    token = staff_user(api, stack, role)
    email = f"made-by-{role.replace('_', '-')}-{uuid.uuid4().hex[:6]}@example.com"
    body = {"email": email, "password": STAFF_PASSWORD, "roles": ["admin"]}
    keys_before = api.get("/api/v1/admin/keys", headers=stack.headers()).json()["items"]

    response = api.request(
        method, path, json=body if method == "POST" else None, headers=auth(token)
    )

    assert_problem(response, 403)
    users = api.get(
        "/api/v1/admin/users", params={"page_size": 200}, headers=stack.headers()
    ).json()["items"]
    assert email not in {user["email"] for user in users}
    assert api.get("/api/v1/admin/keys", headers=stack.headers()).json()["items"] == keys_before


def test_a_marketer_is_refused_what_an_admin_may_do_on_the_same_record(
    api: httpx.Client, stack: Stack
) -> None:
    """The same request, two roles: the route decides by role, not by the record."""
    marketer = staff_user(api, stack, "marketer")
    target = create_customer(api, stack)
    path = f"/api/v1/customers/{target['id']}/blacklist"

    refused = api.post(path, json={"reason": "fraud"}, headers=auth(marketer))
    after_refusal = as_admin(api, stack, target["id"])
    allowed = api.post(path, json={"reason": "fraud"}, headers=stack.headers())

    assert_problem(refused, 403)
    assert after_refusal["blacklisted"] is False
    assert allowed.status_code == 200, allowed.text
    assert as_admin(api, stack, target["id"])["blacklisted"] is True
