"""Request and response models of the identity routes: tokens (OAuth 2.0), keys, accounts,
machine clients, and the customer portal (registration, the customer's own record).

Like `schemas`, JSON bodies are strict and refuse unknown fields; the token and revocation
requests follow OAuth instead: form-encoded or JSON, unknown parameters ignored (RFC 6749
section 3.2), and missing or malformed ones answered as `invalid_request`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from crm_proto.crm.common.v1 import options_pb2
from crm_proto.crm.identity.v1 import identity_pb2
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from crm_portal.schemas import (
    BirthDate,
    Body,
    GenderName,
    Name,
    PageSize,
    PageToken,
    Phone,
    Place,
    Preferences,
    Query,
    Reply,
    Timestamp,
)

# the limits identity declares in its contract (identity.proto's field rules)
_PASSWORD = identity_pb2.CreateUserRequest.DESCRIPTOR.fields_by_name["password"]
_NAME = identity_pb2.CreateUserRequest.DESCRIPTOR.fields_by_name["name"]
PASSWORD_MIN_LENGTH = _PASSWORD.GetOptions().Extensions[options_pb2.rules].min_len
PASSWORD_MAX_LENGTH = _PASSWORD.GetOptions().Extensions[options_pb2.rules].max_len
NAME_MAX_LENGTH = _NAME.GetOptions().Extensions[options_pb2.rules].max_len

RoleName = Literal[
    "admin",
    "manager",
    "sales_rep",
    "marketer",
    "service_agent",
    "finance",
    "analyst",
    "partner_user",
    "customer",
]
StaffRoleName = Literal[
    "admin", "manager", "sales_rep", "marketer", "service_agent", "finance", "analyst"
]
ScopeName = Literal["customers:read", "customers:write", "analytics:read", "identity:admin"]
AccountKindName = Literal["staff", "customer", "partner"]
Password = Annotated[
    str, StringConstraints(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX_LENGTH)]
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


# -- accounts ---------------------------------------------------------------------------------


class UserCreate(Body):
    """A staff account (staff roles) or a partner user (role partner_user and a partner_id).
    Customers register themselves at /api/v1/portal/register."""

    email: EmailStr
    password: Password
    kind: Literal["staff", "partner"] = "staff"
    roles: Annotated[list[RoleName], Field(min_length=1, max_length=9)]
    name: DisplayName | None = None
    partner_id: UUID | None = Field(
        default=None,
        description="kind partner: the partner the user works for; they read the customers "
        "assigned to it",
    )


class UserPatch(Body):
    """Only the fields present change."""

    roles: Annotated[list[RoleName], Field(min_length=1, max_length=9)] | None = None
    disabled: bool | None = None
    name: DisplayName | None = None

    @field_validator("roles", "disabled", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_clearable", "may be changed but not cleared")
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> UserPatch:
        if not self.model_fields_set:
            raise PydanticCustomError("no_changes", "change at least one field")
        return self


class UserListQuery(Query):
    kind: AccountKindName | None = None
    page_size: PageSize | None = None
    page_token: PageToken | None = None


class User(Reply):
    id: UUID
    email: str
    kind: AccountKindName
    name: str | None
    roles: list[RoleName]
    customer_id: UUID | None
    partner_id: str | None
    disabled: bool
    created_at: Timestamp
    updated_at: Timestamp
    last_login_at: Timestamp | None


class UserPage(Reply):
    items: list[User]
    next_page_token: str | None = Field(description="pass as page_token for the next page")


# -- machine clients --------------------------------------------------------------------------


class ClientCreate(Body):
    name: DisplayName
    scopes: Annotated[list[ScopeName], Field(min_length=1, max_length=10)]


class Client(Reply):
    client_id: UUID
    name: str
    scopes: list[ScopeName]
    active: bool
    created_at: Timestamp
    revoked_at: Timestamp | None


class NewClient(Client):
    client_secret: str = Field(description="shown this once: only its hash is kept")


class ClientList(Reply):
    items: list[Client]


# -- signing keys -----------------------------------------------------------------------------


class SigningKey(Reply):
    kid: str
    active: bool = Field(description="signs new tokens")
    created_at: Timestamp
    retired_at: Timestamp | None
    published_until: Timestamp | None = Field(
        description="in the JWKS until then (the tokens it signed have expired); null while active"
    )


class SigningKeyList(Reply):
    items: list[SigningKey]


# -- customer portal --------------------------------------------------------------------------


class Registration(Body):
    email: EmailStr
    password: Password
    name: Name
    phone: Phone
    region: Place | None = None
    city: Place | None = None
    birth_date: BirthDate | None = None
    gender: GenderName | None = None
    preferences: Preferences | None = None


class ProfilePatch(Body):
    """The fields a customer may change on their own record; only those present change, null
    clears one that may be empty. Email (the login), tags, owner, source and the blacklist are
    not the customer's to change."""

    name: Name | None = None
    phone: Phone | None = None
    region: Place | None = None
    city: Place | None = None
    birth_date: BirthDate | None = None
    gender: GenderName | None = None
    preferences: Preferences | None = None
    version: Annotated[int, Field(ge=1)] | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _required_when_present(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_clearable", "may be changed but not cleared")
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> ProfilePatch:
        if not (self.model_fields_set - {"version"}):
            raise PydanticCustomError("no_changes", "change at least one field")
        return self
