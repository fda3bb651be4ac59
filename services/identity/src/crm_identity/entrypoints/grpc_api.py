"""The gRPC servicer: request -> handler -> response.

A refused OAuth grant is an answer of IssueToken (its `error` member), as the token endpoint
answers it; domain errors propagate to the chassis interceptor, which maps them to status codes
with details. A customer service that does not answer during a registration is UNAVAILABLE.
"""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

import grpc
from crm_platform import context
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.customer.v1 import customer_pb2
from crm_proto.crm.identity.v1 import identity_pb2, identity_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from crm_identity.domain.model import (
    AccountKind,
    MachineClient,
    SigningKey,
    User,
    parse_roles,
    parse_scopes,
)
from crm_identity.service_layer.handlers import IdentityService, IssuedTokens, OAuthError
from crm_identity.service_layer.ports import CustomerDirectory, ProfileFields

log = logging.getLogger(__name__)

SERVICE = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"]

KINDS = {
    identity_pb2.ACCOUNT_KIND_STAFF: AccountKind.STAFF,
    identity_pb2.ACCOUNT_KIND_CUSTOMER: AccountKind.CUSTOMER,
    identity_pb2.ACCOUNT_KIND_PARTNER: AccountKind.PARTNER,
}
KIND_VALUES = {kind: value for value, kind in KINDS.items()}
# what a registration must give of the customer record (the record itself needs less)
REGISTRATION_FIELDS = ("email", "name", "phone")


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, service: IdentityService, customers: CustomerDirectory) -> None:
        self.service = service
        self.customers = customers

    # -- tokens ----------------------------------------------------------------------------

    def IssueToken(
        self, request: identity_pb2.IssueTokenRequest, context: grpc.ServicerContext
    ) -> identity_pb2.IssueTokenResponse:
        try:
            issued = self._grant(request)
        except OAuthError as exc:
            log.info(
                "token refused: %s (%s grant) from %s",
                exc.error, request.grant_type[:40], request.client_address or "?",
            )  # fmt: skip
            return identity_pb2.IssueTokenResponse(
                error=exc.error, error_description=exc.description
            )
        return identity_pb2.IssueTokenResponse(
            access_token=issued.access_token,
            expires_in=issued.expires_in,
            refresh_token=issued.refresh_token or "",
            scope=issued.scope,
        )

    def _grant(self, request: identity_pb2.IssueTokenRequest) -> IssuedTokens:
        scope = request.scope or None
        if request.grant_type == "password":
            if not request.username or not request.password:
                raise OAuthError("invalid_request", "username and password are required")
            return self.service.password_grant(request.username, request.password, scope)
        if request.grant_type == "refresh_token":
            if not request.refresh_token:
                raise OAuthError("invalid_request", "refresh_token is required")
            return self.service.refresh_grant(request.refresh_token, scope)
        if request.grant_type == "client_credentials":
            if not request.client_id or not request.client_secret:
                raise OAuthError("invalid_client", "client authentication is required", status=401)
            return self.service.client_credentials_grant(
                request.client_id, request.client_secret, scope
            )
        raise OAuthError(
            "unsupported_grant_type", f"grant_type {request.grant_type!r} is not supported"
        )

    def RevokeToken(
        self, request: identity_pb2.RevokeTokenRequest, context: grpc.ServicerContext
    ) -> identity_pb2.RevokeTokenResponse:
        self.service.revoke(request.token)
        return identity_pb2.RevokeTokenResponse()

    def GetPublicKeys(
        self, request: identity_pb2.GetPublicKeysRequest, context: grpc.ServicerContext
    ) -> identity_pb2.GetPublicKeysResponse:
        return identity_pb2.GetPublicKeysResponse(
            keys=[identity_pb2.PublicKey(**jwk) for jwk in self.service.jwks()["keys"]]
        )

    # -- keys ------------------------------------------------------------------------------

    def RotateKeys(
        self, request: identity_pb2.RotateKeysRequest, context: grpc.ServicerContext
    ) -> identity_pb2.SigningKey:
        return key_to_proto(self.service.rotate_keys())

    def ListKeys(
        self, request: identity_pb2.ListKeysRequest, context: grpc.ServicerContext
    ) -> identity_pb2.ListKeysResponse:
        return identity_pb2.ListKeysResponse(
            keys=[key_to_proto(key) for key in self.service.list_keys()]
        )

    # -- accounts --------------------------------------------------------------------------

    def CreateUser(
        self, request: identity_pb2.CreateUserRequest, context: grpc.ServicerContext
    ) -> identity_pb2.User:
        kind = KINDS.get(request.kind, AccountKind.STAFF)
        user = self.service.create_user(
            email=request.email,
            password=request.password,
            kind=kind,
            roles=parse_roles(request.roles),
            name=request.name or None,
            partner_id=request.partner_id or None,
        )
        return user_to_proto(user)

    def GetUser(
        self, request: identity_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> identity_pb2.User:
        return user_to_proto(self.service.get_user(_uuid(request.id, "id")))

    def ListUsers(
        self, request: identity_pb2.ListUsersRequest, context: grpc.ServicerContext
    ) -> identity_pb2.ListUsersResponse:
        page = self.service.list_users(
            KINDS.get(request.kind), request.page.page_size, request.page.page_token
        )
        response = identity_pb2.ListUsersResponse(users=[user_to_proto(u) for u in page.items])
        response.page.next_page_token = page.next_page_token
        return response

    def UpdateUser(
        self, request: identity_pb2.UpdateUserRequest, context: grpc.ServicerContext
    ) -> identity_pb2.User:
        user = self.service.update_user(
            _uuid(request.id, "id"),
            roles=parse_roles(request.roles) if request.set_roles else None,
            disabled=request.disabled if request.HasField("disabled") else None,
            name=request.name or None,
            rename=request.set_name,
            actor_id=_subject(),
        )
        return user_to_proto(user)

    # -- machine clients -------------------------------------------------------------------

    def CreateClient(
        self, request: identity_pb2.CreateClientRequest, context: grpc.ServicerContext
    ) -> identity_pb2.CreateClientResponse:
        scopes = parse_scopes(" ".join(request.scopes), field="scopes")
        created = self.service.create_client(request.name, scopes)
        return identity_pb2.CreateClientResponse(
            client=client_to_proto(created.client), client_secret=created.secret
        )

    def ListClients(
        self, request: identity_pb2.ListClientsRequest, context: grpc.ServicerContext
    ) -> identity_pb2.ListClientsResponse:
        return identity_pb2.ListClientsResponse(
            clients=[client_to_proto(client) for client in self.service.list_clients()]
        )

    def RevokeClient(
        self, request: identity_pb2.RevokeClientRequest, context: grpc.ServicerContext
    ) -> identity_pb2.Client:
        client = self.service.revoke_client(_uuid(request.client_id, "client_id"))
        return client_to_proto(client)

    # -- customer self-registration --------------------------------------------------------

    def Register(
        self, request: identity_pb2.RegisterRequest, context: grpc.ServicerContext
    ) -> identity_pb2.RegisterResponse:
        customer = request.customer
        missing = [
            FieldViolation(f"customer.{name}", "is required")
            for name in REGISTRATION_FIELDS
            if not getattr(customer, name).strip()
        ]
        if missing:
            raise ValidationFailed(missing)
        profile = ProfileFields(
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            region=customer.region or None,
            city=customer.city or None,
            birth_date=customer.birth_date or None,
            gender=_gender(customer.gender),
            preferences=dict(customer.preferences) or None,
        )
        try:
            registration = self.service.register_customer(request.password, profile, self.customers)
        except grpc.RpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                raise ValidationFailed(FieldViolation("customer", exc.details() or "")) from None
            log.warning("registration: the customer service answered %s", code)
            context.abort(grpc.StatusCode.UNAVAILABLE, "the customer service is unavailable")
        return identity_pb2.RegisterResponse(
            account=user_to_proto(registration.user), customer=registration.customer.record
        )


def binding(service: IdentityService, customers: CustomerDirectory) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        IdentityServicer(service, customers),
        identity_pb2_grpc.add_IdentityServiceServicer_to_server,
    )


# -- messages -------------------------------------------------------------------------------


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def user_to_proto(user: User) -> identity_pb2.User:
    return identity_pb2.User(
        id=str(user.id),
        email=user.email,
        kind=KIND_VALUES[user.kind],
        name=user.name or "",
        roles=sorted(role.value for role in user.roles),
        customer_id=str(user.customer_id) if user.customer_id else "",
        partner_id=user.partner_id or "",
        disabled=user.disabled,
        created_at=_timestamp(user.created_at),
        updated_at=_timestamp(user.updated_at),
        last_login_at=_timestamp(user.last_login_at),
    )


def client_to_proto(client: MachineClient) -> identity_pb2.Client:
    return identity_pb2.Client(
        client_id=client.client_id,
        name=client.name,
        scopes=sorted(scope.value for scope in client.scopes),
        active=client.active,
        created_at=_timestamp(client.created_at),
        revoked_at=_timestamp(client.revoked_at),
    )


def key_to_proto(key: SigningKey) -> identity_pb2.SigningKey:
    return identity_pb2.SigningKey(
        kid=key.kid,
        active=key.active,
        created_at=_timestamp(key.created_at),
        retired_at=_timestamp(key.retired_at),
        published_until=_timestamp(key.published_until),
    )


def _gender(value: customer_pb2.Gender.ValueType) -> str | None:
    if value == customer_pb2.GENDER_UNSPECIFIED:
        return None
    return customer_pb2.Gender.Name(value).removeprefix("GENDER_").lower()


def _uuid(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed(FieldViolation(field, "must be a UUID")) from None


def _subject() -> str | None:
    principal = context.principal.get()
    return principal.subject if principal.subject else None
