"""Request and response models of the OAuth 2.0 endpoints and the JWKS. The token and
revocation requests follow OAuth: form-encoded or JSON, unknown parameters ignored (RFC 6749
section 3.2), and missing or malformed ones answered as `invalid_request`. The other identity
routes read and answer identity's proto messages (routes.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm_portal.schemas import Reply

OAuthText = Annotated[str, StringConstraints(max_length=4096)]


# -- OAuth 2.0 --------------------------------------------------------------------------------


class OAuthRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class TokenRequest(OAuthRequest):
    """`grant_type=password` (username = the email, password), `refresh_token`
    (refresh_token) or `client_credentials` (client_id and client_secret here or in HTTP Basic
    authentication); `scope` narrows what the token may do."""

    grant_type: OAuthText
    username: OAuthText | None = None
    password: OAuthText | None = None
    refresh_token: OAuthText | None = None
    client_id: OAuthText | None = None
    client_secret: OAuthText | None = None
    scope: OAuthText | None = Field(
        default=None, description="space-separated scopes; all the account may have when absent"
    )


class RevokeRequest(OAuthRequest):
    """RFC 7009: a refresh token (revoked with every token of its login) or an access token
    (accepted; it expires within minutes)."""

    token: OAuthText
    token_type_hint: Literal["refresh_token", "access_token"] | None = None


class TokenReply(Reply):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str | None = Field(
        default=None, description="absent for client_credentials; each use returns a new one"
    )
    scope: str


class Jwk(Reply):
    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str
    kid: str
    alg: Literal["EdDSA"]
    use: Literal["sig"]


class Jwks(Reply):
    keys: list[Jwk]
