"""The gRPC servicer: request -> command -> handler -> response.

Malformed input (unknown enum values, bad UUIDs or dates, text with NUL characters, which no
database stores) becomes ValidationFailed with the field's path in the request; domain errors
propagate to the chassis interceptor, which maps them to status codes with details.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date
from enum import Enum
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

import grpc
from crm_platform import context
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc
from google.protobuf.message import Message

from crm_customer.adapters.messages import (
    ACQUISITION_SOURCES,
    CONSENT_CHANNELS,
    GENDERS,
    INTERACTION_CHANNELS,
    PARTY_KINDS,
    RECOGNITIONS,
    actor_from_proto,
    customer_to_proto,
    interaction_to_proto,
)
from crm_customer.domain.model import PROFILE_FIELDS, PartyKind, Profile
from crm_customer.service_layer import commands
from crm_customer.service_layer.access import Caller
from crm_customer.service_layer.handlers import CustomerHandlers
from crm_customer.service_layer.ports import CustomerFilters

SERVICE = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"]
SERVICE_NAME = SERVICE.full_name
NUL = "\x00"

Value = TypeVar("Value", bound=Enum)


class CustomerServicer(customer_pb2_grpc.CustomerServiceServicer):
    def __init__(self, handlers: CustomerHandlers) -> None:
        self.handlers = handlers
        # Every method of the contract checks its request for NUL characters first.
        for method in SERVICE.methods:
            setattr(self, method.name, _refusing_nul(getattr(self, method.name)))

    def CreateCustomer(
        self, request: customer_pb2.CreateCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        profile = _profile(request.customer, PROFILE_FIELDS, default_kind=PartyKind.PERSON)
        customer = self.handlers.create_customer(
            commands.CreateCustomer(profile, _caller(), request.idempotency_key)
        )
        return customer_to_proto(customer)

    def GetCustomer(
        self, request: customer_pb2.GetCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer = self.handlers.get_customer(
            commands.GetCustomer(_uuid(request.id, "id"), _caller())
        )
        return customer_to_proto(customer)

    def UpdateCustomer(
        self, request: customer_pb2.UpdateCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer_id = _uuid(request.customer.id, "customer.id")
        names = _mask(request.update_mask.paths)
        customer = self.handlers.update_customer(
            commands.UpdateCustomer(
                customer_id=customer_id,
                changes=_profile(request.customer, names),
                fields=names,
                caller=_caller(),
                expected_version=request.expected_version,
            )
        )
        return customer_to_proto(customer)

    def ListCustomers(
        self, request: customer_pb2.ListCustomersRequest, context: grpc.ServicerContext
    ) -> customer_pb2.ListCustomersResponse:
        filters = CustomerFilters(
            region=request.region.strip() or None,
            tag=request.tag.strip().lower() or None,
            source=_optional_enum(request.source, ACQUISITION_SOURCES, "source"),
            query=request.query.strip() or None,
            partner_id=_optional_uuid(request.partner_id, "partner_id"),
        )
        page = self.handlers.list_customers(
            commands.ListCustomers(
                filters, _caller(), request.page.page_size, request.page.page_token
            )
        )
        response = customer_pb2.ListCustomersResponse(
            customers=[customer_to_proto(c) for c in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def MergeCustomers(
        self, request: customer_pb2.MergeCustomersRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        survivor = self.handlers.merge_customers(
            commands.MergeCustomers(
                survivor_id=_uuid(request.survivor_id, "survivor_id"),
                merged_id=_uuid(request.merged_id, "merged_id"),
                caller=_caller(),
            )
        )
        return customer_to_proto(survivor)

    def BlacklistCustomer(
        self, request: customer_pb2.BlacklistCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer = self.handlers.blacklist_customer(
            commands.BlacklistCustomer(_uuid(request.id, "id"), request.reason, _caller())
        )
        return customer_to_proto(customer)

    def UnblacklistCustomer(
        self, request: customer_pb2.UnblacklistCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer = self.handlers.unblacklist_customer(
            commands.UnblacklistCustomer(_uuid(request.id, "id"), request.reason, _caller())
        )
        return customer_to_proto(customer)

    def RecognizeCustomer(
        self, request: customer_pb2.RecognizeCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.RecognizeCustomerResponse:
        result = self.handlers.recognize_customer(
            commands.RecognizeCustomer(_caller(), email=request.email, phone=request.phone)
        )
        response = customer_pb2.RecognizeCustomerResponse(
            recognition=RECOGNITIONS[result.recognition]
        )
        if result.customer is not None:
            response.customer.CopyFrom(customer_to_proto(result.customer))
        return response

    def SetConsent(
        self, request: customer_pb2.SetConsentRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer = self.handlers.set_consent(
            commands.SetConsent(
                customer_id=_uuid(request.id, "id"),
                channel=_required_enum(request.channel, CONSENT_CHANNELS, "channel"),
                granted=request.granted,
                caller=_caller(),
            )
        )
        return customer_to_proto(customer)

    def LogInteraction(
        self, request: customer_pb2.LogInteractionRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Interaction:
        interaction = self.handlers.log_interaction(
            commands.LogInteraction(
                customer_id=_uuid(request.customer_id, "customer_id"),
                channel=_required_enum(request.channel, INTERACTION_CHANNELS, "channel"),
                summary=request.summary,
                caller=_caller(),
                occurred_at=(
                    request.occurred_at.ToDatetime(tzinfo=UTC)
                    if request.HasField("occurred_at")
                    else None
                ),
            )
        )
        return interaction_to_proto(interaction)

    def ListInteractions(
        self, request: customer_pb2.ListInteractionsRequest, context: grpc.ServicerContext
    ) -> customer_pb2.ListInteractionsResponse:
        page = self.handlers.list_interactions(
            commands.ListInteractions(
                _uuid(request.customer_id, "customer_id"),
                _caller(),
                request.page.page_size,
                request.page.page_token,
            )
        )
        response = customer_pb2.ListInteractionsResponse(
            interactions=[interaction_to_proto(i) for i in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response


def binding(handlers: CustomerHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE_NAME,
        CustomerServicer(handlers),
        customer_pb2_grpc.add_CustomerServiceServicer_to_server,
    )


def _refusing_nul(method: Callable[[Any, grpc.ServicerContext], Any]) -> Callable[..., Any]:
    @wraps(method)
    def checked(request: Message, context: grpc.ServicerContext) -> Any:
        violations = _nul_violations(request)
        if violations:
            raise ValidationFailed(violations)
        return method(request, context)

    return checked


def _nul_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    """A violation for every text field of `message` (nested messages, repeated fields, map
    keys and values too) that holds a NUL character: PostgreSQL refuses them in text."""
    violations: list[FieldViolation] = []
    for field, value in message.ListFields():
        path = prefix + field.name
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            items = [*value.keys(), *value.values()]
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        if any(isinstance(item, str) and NUL in item for item in items):
            violations.append(FieldViolation(path, "must not contain NUL characters"))
        for item in items:
            if isinstance(item, Message):
                violations.extend(_nul_violations(item, path + "."))
    return violations


def _caller() -> Caller:
    """The caller, as authenticated by the chassis interceptor for this call: the actor
    recorded on changes is the token's kind and subject; a customer's own record is the
    token's customer_id, a partner user's partner its partner_id."""
    principal = context.principal.get()
    return Caller(
        actor_from_proto(principal.as_actor()),
        customer_id=_claimed_id(principal.customer_id),
        partner_id=_claimed_id(principal.partner_id),
    )


def _claimed_id(claim: str | None) -> UUID | None:
    if not claim:
        return None
    try:
        return UUID(claim)
    except ValueError:
        return None  # a claim that is no id of ours: the caller sees no record


def _uuid(value: str, field: str) -> UUID:
    if not value:
        raise ValidationFailed(FieldViolation(field, "is required"))
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed(FieldViolation(field, "must be a UUID")) from None


def _mask(paths: Collection[str]) -> frozenset[str]:
    if not paths:
        raise ValidationFailed(FieldViolation("update_mask", "name at least one field"))
    unknown = sorted(set(paths) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationFailed(
            FieldViolation(
                "update_mask",
                f"cannot update {', '.join(unknown)}; updatable: {', '.join(PROFILE_FIELDS)}",
            )
        )
    return frozenset(paths)


def _optional_enum(value: int, known: Mapping[Value, int], field: str) -> Value | None:
    """0 (unspecified) is None; a number the contract does not define is an error."""
    if value == 0:
        return None
    for member, number in known.items():
        if number == value:
            return member
    raise ValidationFailed(FieldViolation(field, f"unknown value {value}"))


def _required_enum(value: int, known: Mapping[Value, int], field: str) -> Value:
    member = _optional_enum(value, known, field)
    if member is None:
        raise ValidationFailed(FieldViolation(field, "is required"))
    return member


def _birth_date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            FieldViolation("customer.birth_date", "must be a date like 1990-12-31")
        ) from None


def _optional_uuid(value: str, field: str) -> UUID | None:
    return _uuid(value, field) if value else None


_PROFILE_PARSERS: dict[str, Callable[[customer_pb2.Customer], Any]] = {
    "kind": lambda m: _required_enum(m.kind, PARTY_KINDS, "customer.kind"),
    "name": lambda m: m.name,
    "email": lambda m: m.email,
    "phone": lambda m: m.phone,
    "region": lambda m: m.region,
    "city": lambda m: m.city,
    "birth_date": lambda m: _birth_date(m.birth_date),
    "gender": lambda m: _optional_enum(m.gender, GENDERS, "customer.gender"),
    "tags": lambda m: tuple(m.tags),
    "preferences": lambda m: dict(m.preferences),
    "acquisition_source": lambda m: _optional_enum(
        m.acquisition_source, ACQUISITION_SOURCES, "customer.acquisition_source"
    ),
    "owner_id": lambda m: _optional_uuid(m.owner_id, "customer.owner_id"),
    "partner_id": lambda m: _optional_uuid(m.partner_id, "customer.partner_id"),
}


def _profile(
    message: customer_pb2.Customer,
    names: Collection[str],
    *,
    default_kind: PartyKind | None = None,
) -> Profile:
    """The named fields of `message` as a Profile (the others keep their defaults)."""
    values: dict[str, Any] = {}
    violations: list[FieldViolation] = []
    for name in names:
        if name == "kind" and message.kind == 0 and default_kind is not None:
            values[name] = default_kind
            continue
        try:
            values[name] = _PROFILE_PARSERS[name](message)
        except ValidationFailed as exc:
            violations.extend(exc.violations)
    if violations:
        raise ValidationFailed(violations)
    return Profile(**values)
