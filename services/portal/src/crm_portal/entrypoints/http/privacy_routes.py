"""Privacy at the edge: a customer's data export, gathered from every service that keeps
personal data, and the erasure routes (rows onto the customer service's ErasureService).

The export asks each service of the registry's `personal_data` for its section
(crm.privacy.v1.PersonalData.GetPersonalData) in parallel, with the caller's token, and
answers one JSON document with a section per service. A service that does not answer fails
the whole export with a 503 naming it: a partial export is never passed off as whole. An
unknown customer is the customer service's 404. Admins export anyone's data; a customer their
own at /portal/me/export.
"""

from __future__ import annotations

import contextvars
import json
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import grpc
from crm_platform import context
from crm_platform.access import Allow
from crm_platform.privacy import PERSONAL_DATA, personal_data_services
from crm_proto.crm.customer.v1 import erasure_pb2
from crm_proto.crm.privacy.v1 import privacy_pb2
from flask import Blueprint, Response, jsonify
from google.protobuf.descriptor import MethodDescriptor
from pydantic import Field

from crm_portal import schemas
from crm_portal.adapters.backends import Backends
from crm_portal.adapters.circuit import CircuitOpen, is_away
from crm_portal.entrypoints.http import problems
from crm_portal.entrypoints.http.gateway import WHOLE_REQUEST, Route, backends
from crm_portal.entrypoints.http.operations import Answer, operation
from crm_portal.entrypoints.http.problems import Problem

ERASURES = erasure_pb2.DESCRIPTOR.services_by_name["ErasureService"]
GET_PERSONAL_DATA = PERSONAL_DATA.methods_by_name["GetPersonalData"]
CUSTOMER = "/customers/<uuid:customer_id>"
CUSTOMER_ID = {"customer_id": "the customer's id"}
TAGS = ("privacy",)
ADMINS = Allow(roles=("admin",))
CUSTOMERS = Allow(customers=True)


def _erasures(name: str) -> MethodDescriptor:
    return ERASURES.methods_by_name[name]


PRIVACY_ROUTES = (
    Route(
        "POST", f"{CUSTOMER}/erasure", _erasures("EraseCustomer"),
        summary="Erase a customer's personal data",
        answer="The erasure, confirmed so far by the customer service", tags=TAGS,
        description="The record is anonymized at once (consent history kept) and every "
        "service that keeps personal data erases its copies and confirms; follow them with "
        "`GET /customers/{id}/erasure`. Once per customer: a second erasure is a 409, as is "
        "erasing a record merged into another (erase the survivor, which erases the records "
        "merged into it).",
        path={"customer_id": "customer_id"}, path_docs=CUSTOMER_ID, status=201,
        body=WHOLE_REQUEST, body_required=False, problems=(409,),
    ),
    Route(
        "GET", f"{CUSTOMER}/erasure", _erasures("GetErasure"),
        summary="A customer's erasure and its confirmations",
        answer="Each service that keeps personal data, with when it confirmed (none: pending)",
        tags=TAGS, path={"customer_id": "customer_id"}, path_docs=CUSTOMER_ID,
    ),
)  # fmt: skip


class PersonalDataSection(schemas.Reply):
    erased_at: str | None = Field(description="when this service erased the customer's data")
    data: dict[str, Any] = Field(description="everything this service keeps about them")


class PersonalDataExport(schemas.Reply):
    customer_id: str
    exported_at: str
    sections: dict[str, PersonalDataSection] = Field(
        description="one per service that keeps personal data, by the service's name"
    )


def _section(
    services: Backends, name: str, customer_id: str, ctx: contextvars.Context
) -> privacy_pb2.PersonalDataSection:
    request = privacy_pb2.GetPersonalDataRequest(customer_id=customer_id)
    # in the request's context, so that the call carries the caller's token and correlation id
    reply = ctx.run(services.call_on, name, GET_PERSONAL_DATA, request)
    assert isinstance(reply, privacy_pb2.PersonalDataSection)
    return reply


def _is_away(outcome: object) -> bool:
    return isinstance(outcome, CircuitOpen) or (
        isinstance(outcome, BaseException) and is_away(outcome)
    )


def _time(section: privacy_pb2.PersonalDataSection) -> str | None:
    if not section.HasField("erased_at"):
        return None
    moment = section.erased_at.ToDatetime(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def export(customer_id: str) -> Response:
    services = personal_data_services()
    gateway_backends = backends()  # looked up here: the pool's threads have no app context
    known = set(gateway_backends.names())
    missing = [name for name in services if name not in known]
    if missing:  # a service the gateway cannot reach at all: no export without its section
        raise Problem(503, f"the export needs the {', '.join(missing)} service, not configured")
    with ThreadPoolExecutor(max_workers=len(services)) as pool:
        futures = {
            name: pool.submit(
                _section, gateway_backends, name, customer_id, contextvars.copy_context()
            )
            for name in services
        }
        outcomes: dict[str, privacy_pb2.PersonalDataSection | BaseException] = {}
        for name, future in futures.items():
            try:
                outcomes[name] = future.result()
            except Exception as error:  # each failure is judged below
                outcomes[name] = error
    away = [name for name, outcome in outcomes.items() if _is_away(outcome)]
    if away:
        retry = max(
            (o.retry_after for o in outcomes.values() if isinstance(o, CircuitOpen)), default=1.0
        )
        raise Problem(
            503,
            f"no export without every section: {', '.join(away)} did not answer; retry later",
            extensions={"services": away},
            headers={"Retry-After": str(max(1, math.ceil(retry)))},
        )
    for name in services:  # the customer service's refusal (404, 403) first, then any other
        outcome = outcomes[name]
        if isinstance(outcome, grpc.RpcError):
            raise problems.from_rpc_error(outcome)
        if isinstance(outcome, BaseException):
            raise outcome
    sections: dict[str, Any] = {}
    for name in services:
        section = outcomes[name]
        assert isinstance(section, privacy_pb2.PersonalDataSection)
        sections[name] = {"erased_at": _time(section), "data": json.loads(section.document_json)}
    return jsonify(
        customer_id=customer_id,
        exported_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        sections=sections,
    )


EXPORT_ANSWER = {200: Answer("One section per service that keeps personal data",
                             PersonalDataExport)}  # fmt: skip


def register(blueprint: Blueprint) -> None:
    """The export routes on the /api/v1 blueprint."""

    @operation(
        blueprint, "GET", f"{CUSTOMER}/export",
        summary="Export everything kept about a customer", tags=TAGS, allow=ADMINS,
        responses=EXPORT_ANSWER, path_params=CUSTOMER_ID, problems=[503],
    )  # fmt: skip
    def export_customer(customer_id: Any) -> Response:
        """Each service that keeps personal data answers its own section (its records'
        fields; money as decimal strings, times in UTC); after an erasure the sections hold
        nothing personal and say when each service erased it. A service that does not answer
        makes it a 503 naming that service."""
        return export(str(customer_id))

    @operation(
        blueprint, "GET", "/portal/me/export",
        summary="Export everything kept about me", tags=("portal",), allow=CUSTOMERS,
        responses=EXPORT_ANSWER, problems=[503],
    )  # fmt: skip
    def export_own_data() -> Response:
        """The signed-in customer's own data, one section per service."""
        customer_id = context.principal.get().customer_id
        if customer_id is None:  # the rule lets only customers in; kept for the type
            raise Problem(403, "only customers have their own data to export")
        return export(customer_id)
