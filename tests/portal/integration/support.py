"""Getting tokens and reading them back through the JWKS, as a client of the API would."""

from __future__ import annotations

from typing import Any

import jwt
from flask.testing import FlaskClient

from tests.portal.integration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def password_grant(
    client: FlaskClient, username: str, password: str, **extra: str
) -> tuple[int, dict[str, Any]]:
    response = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password, **extra},
    )
    return response.status_code, response.get_json(force=True)


def tokens_for(client: FlaskClient, username: str, password: str) -> dict[str, Any]:
    status, body = password_grant(client, username, password)
    assert status == 200, body
    return body


def admin_tokens(client: FlaskClient) -> dict[str, Any]:
    return tokens_for(client, ADMIN_EMAIL, ADMIN_PASSWORD)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_headers(client: FlaskClient) -> dict[str, str]:
    return bearer(admin_tokens(client)["access_token"])


def verify_with_jwks(client: FlaskClient, token: str) -> dict[str, Any]:
    """What any service does: the token's key from the published JWKS, EdDSA only."""
    keys = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").get_json())
    key = keys[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(
        token,
        key.key,
        algorithms=["EdDSA"],
        audience="guanxi-api",
        issuer="guanxi",
        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
    )


def create_staff(
    client: FlaskClient, headers: dict[str, str], email: str, roles: list[str]
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/admin/users",
        json={"email": email, "password": "staff password 1", "roles": roles},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body
