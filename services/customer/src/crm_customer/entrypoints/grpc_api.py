"""The gRPC servicer: request -> command -> handler -> response.

The chassis checks each request against the `rules` of customer.proto before it gets here
(lengths, UUIDs, enum values, NUL characters). What needs the service (a date, the update mask,
what a create or an update requires) becomes ValidationFailed with the field's path in the
request; domain errors propagate to the chassis interceptor, which maps them to status codes
with details.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any
from uuid import UUID

import grpc
from crm_platform import context, parsing
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc

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
from crm_customer.domain.duplicates import DEFAULT_MIN_SCORE
from crm_customer.domain.model import PROFILE_FIELDS
from crm_customer.domain.values import PartyKind, Profile
from crm_customer.service_layer import commands
from crm_customer.service_layer.access import Caller
from crm_customer.service_layer.handlers import CustomerHandlers
from crm_customer.service_layer.ports import CustomerFilters

SERVICE = customer_pb2.DESCRIPTOR.services_by_name["CustomerService"]
SERVICE_NAME = SERVICE.full_name


class CustomerServicer(customer_pb2_grpc.CustomerServiceServicer):
    def __init__(self, handlers: CustomerHandlers) -> None:
        self.handlers = handlers

    def CreateCustomer(
        self, request: customer_pb2.CreateCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        profile = _profile(request.customer, PROFILE_FIELDS, default_kind=PartyKind.PERSON)
        customer = self.handlers.create_customer(
            commands.CreateCustomer(profile, caller(), request.idempotency_key)
        )
        return customer_to_proto(customer)

    def GetCustomer(
        self, request: customer_pb2.GetCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer = self.handlers.get_customer(
            commands.GetCustomer(parsing.uuid(request.id, "id"), caller())
        )
        return customer_to_proto(customer)

    def UpdateCustomer(
        self, request: customer_pb2.UpdateCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer_id = parsing.uuid(request.customer.id, "customer.id")
        names = parsing.field_mask(request.update_mask.paths, PROFILE_FIELDS)
        customer = self.handlers.update_customer(
            commands.UpdateCustomer(
                customer_id=customer_id,
                changes=_profile(request.customer, names),
                fields=names,
                caller=caller(),
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
            source=ACQUISITION_SOURCES.optional(request.source, "source"),
            query=request.query.strip() or None,
            partner_id=parsing.optional_uuid(request.partner_id, "partner_id"),
        )
        page = self.handlers.list_customers(
            commands.ListCustomers(
                filters, caller(), request.page.page_size, request.page.page_token
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
                survivor_id=parsing.uuid(request.survivor_id, "survivor_id"),
                merged_id=parsing.uuid(request.merged_id, "merged_id"),
                caller=caller(),
            )
        )
        return customer_to_proto(survivor)

    def BlacklistCustomer(
        self, request: customer_pb2.BlacklistCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer = self.handlers.blacklist_customer(
            commands.BlacklistCustomer(parsing.uuid(request.id, "id"), request.reason, caller())
        )
        return customer_to_proto(customer)

    def UnblacklistCustomer(
        self, request: customer_pb2.UnblacklistCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer = self.handlers.unblacklist_customer(
            commands.UnblacklistCustomer(parsing.uuid(request.id, "id"), request.reason, caller())
        )
        return customer_to_proto(customer)

    def ListPossibleDuplicates(
        self, request: customer_pb2.ListPossibleDuplicatesRequest, context: grpc.ServicerContext
    ) -> customer_pb2.ListPossibleDuplicatesResponse:
        found = self.handlers.find_duplicates(
            commands.ListPossibleDuplicates(
                parsing.uuid(request.id, "id"), caller(), request.min_score or DEFAULT_MIN_SCORE
            )
        )
        return customer_pb2.ListPossibleDuplicatesResponse(
            duplicates=[
                customer_pb2.PossibleDuplicate(
                    customer=customer_to_proto(match.customer),
                    score=match.score,
                    reasons=match.reasons,
                )
                for match in found
            ]
        )

    def RecognizeCustomer(
        self, request: customer_pb2.RecognizeCustomerRequest, context: grpc.ServicerContext
    ) -> customer_pb2.RecognizeCustomerResponse:
        result = self.handlers.recognize_customer(
            commands.RecognizeCustomer(caller(), email=request.email, phone=request.phone)
        )
        response = customer_pb2.RecognizeCustomerResponse(
            recognition=RECOGNITIONS.to_proto(result.recognition)
        )
        if result.customer is not None:
            response.customer.CopyFrom(customer_to_proto(result.customer))
        return response

    def SetConsent(
        self, request: customer_pb2.SetConsentRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Customer:
        customer = self.handlers.set_consent(
            commands.SetConsent(
                customer_id=parsing.uuid(request.id, "id"),
                channel=CONSENT_CHANNELS.required(request.channel, "channel"),
                granted=request.granted,
                caller=caller(),
            )
        )
        return customer_to_proto(customer)

    def LogInteraction(
        self, request: customer_pb2.LogInteractionRequest, context: grpc.ServicerContext
    ) -> customer_pb2.Interaction:
        interaction = self.handlers.log_interaction(
            commands.LogInteraction(
                customer_id=parsing.uuid(request.customer_id, "customer_id"),
                channel=INTERACTION_CHANNELS.required(request.channel, "channel"),
                summary=request.summary,
                caller=caller(),
                occurred_at=parsing.optional_time(request, "occurred_at"),
            )
        )
        return interaction_to_proto(interaction)

    def ListInteractions(
        self, request: customer_pb2.ListInteractionsRequest, context: grpc.ServicerContext
    ) -> customer_pb2.ListInteractionsResponse:
        page = self.handlers.list_interactions(
            commands.ListInteractions(
                parsing.uuid(request.customer_id, "customer_id"),
                caller(),
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


def caller() -> Caller:
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


_PROFILE_PARSERS: dict[str, Callable[[customer_pb2.Customer], Any]] = {
    "kind": lambda m: PARTY_KINDS.required(m.kind, "customer.kind"),
    "name": lambda m: m.name,
    "email": lambda m: m.email,
    "phone": lambda m: m.phone,
    "region": lambda m: m.region,
    "city": lambda m: m.city,
    "birth_date": lambda m: parsing.optional_date(m.birth_date, "customer.birth_date"),
    "gender": lambda m: GENDERS.optional(m.gender, "customer.gender"),
    "tags": lambda m: tuple(m.tags),
    "preferences": lambda m: dict(m.preferences),
    "acquisition_source": lambda m: ACQUISITION_SOURCES.optional(
        m.acquisition_source, "customer.acquisition_source"
    ),
    "owner_id": lambda m: parsing.optional_uuid(m.owner_id, "customer.owner_id"),
    "partner_id": lambda m: parsing.optional_uuid(m.partner_id, "customer.partner_id"),
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
