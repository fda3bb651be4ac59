"""Identity through the gateway's HTTP API, calling identity on a migrated database: grants,
rotation, revocation, JWKS, the admin API's access rules and login rate limits."""

from __future__ import annotations

import base64
import time

import jwt
import pytest
from crm_platform.testing.processes import wait_until
from flask.testing import FlaskClient

from tests.portal.integration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.portal.integration.support import (
    admin_headers,
    admin_tokens,
    bearer,
    create_staff,
    password_grant,
    tokens_for,
    verify_with_jwks,
)

PROBLEM = "application/problem+json"


def test_password_grant_answers_a_token_per_the_contract(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]
    assert set(body["scope"].split()) == {
        "customers:read",
        "customers:write",
        "analytics:read",
        "identity:admin",
    }
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA"
    claims = verify_with_jwks(client, body["access_token"])
    assert claims["iss"] == "guanxi"
    assert claims["aud"] == "guanxi-api"
    assert claims["kind"] == "staff"
    assert claims["roles"] == ["admin"]
    assert claims["scope"] == body["scope"]
    assert claims["exp"] - claims["iat"] == 900


def test_json_is_accepted_as_well_as_forms(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/auth/token",
        json={"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"grant_type": "password", "username": ADMIN_EMAIL, "password": "wrong one"}, 400,
         "invalid_grant"),
        ({"grant_type": "password", "username": ADMIN_EMAIL}, 400, "invalid_request"),
        ({"username": ADMIN_EMAIL}, 400, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, 400, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "refresh_token": "made-up"}, 400, "invalid_grant"),
        ({"grant_type": "client_credentials"}, 401, "invalid_client"),
        ({"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
          "scope": "everything"}, 400, "invalid_scope"),
    ],
)  # fmt: skip
def test_token_errors_follow_rfc_6749_inside_a_problem(
    client: FlaskClient, data: dict[str, str], status: int, error: str
) -> None:
    response = client.post("/api/v1/auth/token", data=data)

    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["error"] == error
    assert body["error_description"] == body["detail"]
    assert body["status"] == status
    assert body["type"] == f"/problems/oauth/{error}"
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_refresh_rotates_and_reuse_revokes_the_whole_login(client: FlaskClient) -> None:
    first = admin_tokens(client)

    rotated = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    ).get_json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert verify_with_jwks(client, rotated["access_token"])["roles"] == ["admin"]

    reused = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert reused.status_code == 400
    assert reused.get_json(force=True)["error"] == "invalid_grant"
    after_reuse = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
    )
    assert after_reuse.status_code == 400


def test_revoke_ends_a_refresh_token(client: FlaskClient) -> None:
    tokens = admin_tokens(client)

    response = client.post("/api/v1/auth/revoke", data={"token": tokens["refresh_token"]})
    unknown = client.post("/api/v1/auth/revoke", data={"token": "never issued"})

    assert (response.status_code, unknown.status_code) == (200, 200)
    refused = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refused.status_code == 400


def test_machine_clients_get_service_tokens(client: FlaskClient) -> None:
    headers = admin_headers(client)
    created = client.post(
        "/api/v1/admin/clients",
        json={"name": "ERP", "scopes": ["customers:read", "analytics:read"]},
        headers=headers,
    )
    assert created.status_code == 201
    client_id, secret = created.get_json()["client_id"], created.get_json()["client_secret"]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    by_basic = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "scope": "customers:read"},
        headers={"Authorization": f"Basic {basic}"},
    )
    in_body = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )

    assert by_basic.status_code == 200
    assert "refresh_token" not in by_basic.get_json()
    claims = verify_with_jwks(client, by_basic.get_json()["access_token"])
    assert (claims["sub"], claims["kind"], claims["roles"], claims["scope"]) == (
        client_id,
        "service",
        [],
        "customers:read",
    )
    assert in_body.get_json()["scope"] == "analytics:read customers:read"
    listed = client.get("/api/v1/admin/clients", headers=headers).get_json()["items"]
    assert [c["client_id"] for c in listed] == [client_id]
    assert "client_secret" not in listed[0]

    revoked = client.post(f"/api/v1/admin/clients/{client_id}/revoke", headers=headers)
    assert revoked.get_json()["active"] is False
    refused = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert refused.status_code == 401


def test_rotation_keeps_tokens_of_the_previous_key_valid(client: FlaskClient) -> None:
    old_token = admin_tokens(client)["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    rotated = client.post("/api/v1/admin/keys/rotate", headers=bearer(old_token))
    assert rotated.status_code == 201
    new_kid = rotated.get_json()["kid"]
    new_token = admin_tokens(client)["access_token"]
    # the gateway's copy of identity's keys is refreshed in the background
    wait_until(
        lambda: len(client.get("/.well-known/jwks.json").get_json()["keys"]) == 2,
        timeout=10,
        what="the rotated key at the gateway",
    )
    time.sleep(0.6)  # identity reads its own keys again on an unknown kid, at most every 0.5 s

    jwks = client.get("/.well-known/jwks.json")
    assert jwks.headers["Cache-Control"].startswith("public")
    published = {key["kid"]: key for key in jwks.get_json()["keys"]}
    assert set(published) == {old_kid, new_kid}
    assert all(
        (k["kty"], k["crv"], k["alg"], k["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
        for k in published.values()
    )
    assert all("d" not in k for k in published.values())  # never a private part
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert verify_with_jwks(client, old_token)["roles"] == ["admin"]
    # nobody is logged out: the gateway still accepts the token of the retired key
    assert client.get("/api/v1/admin/keys", headers=bearer(old_token)).status_code == 200
    keys = client.get("/api/v1/admin/keys", headers=bearer(new_token)).get_json()["items"]
    assert [(k["kid"], k["active"]) for k in keys] == [(new_kid, True), (old_kid, False)]
    assert keys[1]["published_until"] is not None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/admin/users"),
        ("POST", "/api/v1/admin/users"),
        ("GET", "/api/v1/admin/users/0b6c3c1e-4a52-4f3e-9b7e-2f1d8f0c9a11"),
        ("PATCH", "/api/v1/admin/users/0b6c3c1e-4a52-4f3e-9b7e-2f1d8f0c9a11"),
        ("GET", "/api/v1/admin/clients"),
        ("POST", "/api/v1/admin/clients"),
        ("POST", "/api/v1/admin/clients/0b6c3c1e-4a52-4f3e-9b7e-2f1d8f0c9a11/revoke"),
        ("POST", "/api/v1/admin/keys/rotate"),
        ("GET", "/api/v1/admin/keys"),
    ],
)
def test_admin_routes_refuse_anonymous_and_non_admins(
    client: FlaskClient, method: str, path: str
) -> None:
    create_staff(client, admin_headers(client), "rep@example.com", ["sales_rep", "manager"])
    rep = tokens_for(client, "rep@example.com", "staff password 1")["access_token"]

    anonymous = client.open(path, method=method, json={})
    forbidden = client.open(path, method=method, json={}, headers=bearer(rep))
    forged = client.open(path, method=method, json={}, headers=bearer(rep[:-6] + "AAAAAA"))

    assert anonymous.status_code == 401
    assert anonymous.mimetype == PROBLEM
    assert forbidden.status_code == 403
    assert forbidden.mimetype == PROBLEM
    assert forged.status_code == 401


PARTNER_ID = "5f1c7e0a-9b7d-4f0e-8d7a-2b6c1e9f3a40"


def test_admins_manage_accounts(client: FlaskClient) -> None:
    headers = admin_headers(client)
    rep = create_staff(client, headers, "Rep@Example.com", ["sales_rep"])
    assert rep["email"] == "rep@example.com"
    partner = client.post(
        "/api/v1/admin/users",
        json={
            "email": "p@example.com",
            "password": "partner password",
            "kind": "partner",
            "roles": ["partner_user"],
            "partner_id": PARTNER_ID,
        },
        headers=headers,
    ).get_json()
    not_a_partner_id = client.post(
        "/api/v1/admin/users",
        json={
            "email": "q@example.com",
            "password": "partner password",
            "kind": "partner",
            "roles": ["partner_user"],
            "partner_id": "partner-9",
        },
        headers=headers,
    )
    duplicate = client.post(
        "/api/v1/admin/users",
        json={"email": "rep@example.com", "password": "staff password 1", "roles": ["analyst"]},
        headers=headers,
    )
    wrong_role = client.post(
        "/api/v1/admin/users",
        json={"email": "x@example.com", "password": "staff password 1", "roles": ["customer"]},
        headers=headers,
    )

    assert duplicate.status_code == 409
    assert wrong_role.status_code == 422
    assert not_a_partner_id.status_code == 422
    assert [e["field"] for e in not_a_partner_id.get_json()["errors"]] == ["partner_id"]
    assert partner["partner_id"] == PARTNER_ID
    claims = verify_with_jwks(client, tokens_for(client, "p@example.com", "partner password")[
        "access_token"])  # fmt: skip
    assert (claims["kind"], claims["partner_id"], claims["roles"]) == (
        "partner",
        PARTNER_ID,
        ["partner_user"],
    )

    changed = client.patch(
        f"/api/v1/admin/users/{rep['id']}", json={"roles": ["manager"]}, headers=headers
    ).get_json()
    assert changed["roles"] == ["manager"]
    page = client.get("/api/v1/admin/users?kind=staff&page_size=1", headers=headers).get_json()
    assert len(page["items"]) == 1
    second = client.get(
        f"/api/v1/admin/users?kind=staff&page_size=1&page_token={page['next_page_token']}",
        headers=headers,
    ).get_json()
    assert [u["email"] for u in page["items"] + second["items"]] == [
        "admin@example.com",
        "rep@example.com",
    ]

    disabled = client.patch(
        f"/api/v1/admin/users/{rep['id']}", json={"disabled": True}, headers=headers
    )
    assert disabled.get_json()["disabled"] is True
    assert password_grant(client, "rep@example.com", "staff password 1")[0] == 400

    admin_id = verify_with_jwks(client, headers["Authorization"].split()[1])["sub"]
    last_admin = client.patch(
        f"/api/v1/admin/users/{admin_id}", json={"roles": ["manager"]}, headers=headers
    )
    assert last_admin.status_code == 409


def test_login_brute_force_is_answered_429_per_username(client: FlaskClient) -> None:
    statuses = [password_grant(client, ADMIN_EMAIL, f"guess number {n}")[0] for n in range(4)]
    response = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )

    assert statuses == [400, 400, 400, 429]
    assert response.status_code == 429  # even the right password, until the window passes
    assert response.mimetype == PROBLEM
    assert int(response.headers["Retry-After"]) >= 1
    # another account is not locked by someone guessing this one's password
    assert password_grant(client, "someone@example.com", "a guess 12345")[0] == 400


def test_login_brute_force_is_answered_429_per_address(client: FlaskClient) -> None:
    statuses = [
        password_grant(client, f"user{n}@example.com", "a guess 12345")[0] for n in range(9)
    ]
    assert statuses == [400] * 8 + [429]


def test_successful_logins_do_not_count(client: FlaskClient) -> None:
    for _ in range(5):
        assert password_grant(client, ADMIN_EMAIL, ADMIN_PASSWORD)[0] == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/v1/admin/users",
         {"email": "new@example.com", "password": "staff password 1", "roles": ["overlord"]},
         "roles"),
        ("POST", "/api/v1/admin/users",
         {"email": "new@example.com", "password": "short", "roles": ["analyst"]}, "password"),
        ("POST", "/api/v1/admin/users",
         {"email": "new@example.com", "password": "staff password 1", "roles": ["analyst"],
          "is_admin": True}, "is_admin"),
        ("POST", "/api/v1/admin/users",
         {"email": "new@example.com", "password": "staff password 1", "roles": []}, "roles"),
        ("POST", "/api/v1/admin/clients", {"name": "ERP", "scopes": ["everything"]}, "scopes"),
        ("POST", "/api/v1/admin/clients", {"name": "ERP", "scopes": []}, "scopes"),
        ("PATCH", "/api/v1/admin/users/{rep}", {"disabled": None}, "disabled"),
        ("PATCH", "/api/v1/admin/users/{rep}", {"kind": "partner"}, "kind"),
    ],
)  # fmt: skip
def test_a_bad_admin_request_is_a_422_naming_the_field_and_changes_nothing(
    client: FlaskClient, method: str, path: str, body: dict[str, object], field: str
) -> None:
    headers = admin_headers(client)
    rep = create_staff(client, headers, "rep@example.com", ["sales_rep"])
    users_before = client.get("/api/v1/admin/users", headers=headers).get_json()["items"]
    clients_before = client.get("/api/v1/admin/clients", headers=headers).get_json()["items"]

    response = client.open(path.format(rep=rep["id"]), method=method, json=body, headers=headers)

    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert client.get("/api/v1/admin/users", headers=headers).get_json()["items"] == users_before
    assert client.get("/api/v1/admin/clients", headers=headers).get_json()["items"] == (
        clients_before
    )


def test_admin_answers_keep_their_json_shapes(client: FlaskClient) -> None:
    headers = admin_headers(client)
    created = client.post(
        "/api/v1/admin/users",
        json={"email": "a@example.com", "password": "staff password 1",
              "roles": ["manager", "analyst"]},
        headers=headers,
    )  # fmt: skip
    new_client = client.post(
        "/api/v1/admin/clients", json={"name": "ERP", "scopes": ["customers:read"]},
        headers=headers,
    )  # fmt: skip
    default_page = client.get("/api/v1/admin/users?page_size=0", headers=headers)
    renamed = client.patch(
        created.headers["Location"], json={"name": "Ann", "disabled": False}, headers=headers
    )
    unnamed = client.patch(created.headers["Location"], json={"name": None}, headers=headers)
    nothing = client.patch(created.headers["Location"], json={}, headers=headers)

    user = created.get_json()
    assert created.status_code == 201
    assert set(user) == {
        "id", "email", "kind", "name", "roles", "customer_id", "partner_id", "disabled",
        "created_at", "updated_at", "last_login_at",
    }  # fmt: skip
    assert (user["kind"], user["roles"], user["name"], user["last_login_at"]) == (
        "staff",
        ["analyst", "manager"],
        None,
        None,
    )
    assert created.headers["Location"].endswith(f"/api/v1/admin/users/{user['id']}")
    assert new_client.status_code == 201
    assert new_client.headers["Cache-Control"] == "no-store"
    assert set(new_client.get_json()) == {
        "client_id", "name", "scopes", "active", "created_at", "revoked_at", "client_secret",
    }  # fmt: skip
    assert default_page.status_code == 200
    assert set(default_page.get_json()) == {"items", "next_page_token"}
    assert renamed.get_json()["name"] == "Ann"
    assert unnamed.get_json()["name"] is None
    assert nothing.status_code == 422
