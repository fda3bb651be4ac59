"""Proto <-> JSON: what a client writes comes back the same, enums and field names agree."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from crm_portal import schemas
from crm_portal.adapters import mapping
from crm_proto.crm.customer.v1 import customer_pb2

from tests.portal.unit.fakes import CUSTOMER_ID, sample_customer, timestamp

WRITTEN: dict[str, Any] = {
    "kind": "organization",
    "name": "Acme Trading",
    "email": "buyer@acme.example.com",
    "phone": "+8613800138000",
    "region": "north",
    "city": "Beijing",
    "birth_date": "1985-12-31",
    "gender": "other",
    "tags": ["wholesale", "vip"],
    "preferences": {"language": "en", "newsletter": "monthly"},
    "source": "distributor",
    "owner_id": "staff-7",
    "partner_id": "5f1c7e0a-9b7d-4f0e-8d7a-2b6c1e9f3a40",
}


def stored(customer: customer_pb2.Customer) -> customer_pb2.Customer:
    """What the backend adds to a created customer."""
    customer.id = CUSTOMER_ID
    customer.version = 1
    customer.created_at.CopyFrom(timestamp("2025-01-01T00:00:00Z"))
    customer.updated_at.CopyFrom(timestamp("2025-01-01T00:00:00.5Z"))
    return customer


def test_created_customer_round_trips_to_the_same_json() -> None:
    body = schemas.CustomerCreate.model_validate_json(json.dumps(WRITTEN))
    request = mapping.create_customer_request(body, None)

    answer = mapping.customer_to_json(stored(request.customer))

    assert {k: answer[k] for k in WRITTEN} == WRITTEN
    assert answer["id"] == CUSTOMER_ID
    assert answer["created_at"] == "2025-01-01T00:00:00Z"
    assert answer["updated_at"] == "2025-01-01T00:00:00.500Z"


def test_empty_proto_fields_are_null_in_json() -> None:
    body = schemas.CustomerCreate.model_validate_json('{"name": "Wang"}')

    answer = mapping.customer_to_json(stored(mapping.create_customer_request(body, None).customer))

    assert answer["kind"] == "person"
    assert answer["tags"] == []
    assert answer["preferences"] == {}
    assert answer["consents"] == {}
    for field in ("email", "phone", "region", "city", "birth_date", "gender", "source", "owner_id",
                  "partner_id", "blacklist_reason", "merged_into_id"):  # fmt: skip
        assert answer[field] is None, field


def test_customer_json_maps_back_to_the_same_proto() -> None:
    customer = sample_customer()
    written = {
        k: v
        for k, v in mapping.customer_to_json(customer).items()
        if k in schemas.CustomerCreate.model_fields
    }

    body = schemas.CustomerCreate.model_validate_json(json.dumps(written))
    again = mapping.create_customer_request(body, None).customer

    expected = customer_pb2.Customer()
    expected.CopyFrom(customer)
    for server_field in ("id", "version", "created_at", "updated_at"):
        expected.ClearField(server_field)
    assert again == expected


def test_update_mask_uses_proto_field_names_relative_to_customer() -> None:
    body = schemas.CustomerPatch.model_validate({"source": "web", "owner_id": None, "version": 2})

    request = mapping.update_customer_request(CUSTOMER_ID, body, body.version)

    assert list(request.update_mask.paths) == ["acquisition_source", "owner_id"]
    assert request.customer.owner_id == ""
    assert request.expected_version == 2


def test_a_partner_assignment_is_sent_and_null_unassigns() -> None:
    partner_id = "5f1c7e0a-9b7d-4f0e-8d7a-2b6c1e9f3a40"
    assign = schemas.CustomerPatch.model_validate_json(json.dumps({"partner_id": partner_id}))
    unassign = schemas.CustomerPatch.model_validate_json('{"partner_id": null}')
    query = schemas.CustomerListQuery.model_validate({"partner_id": partner_id})

    assigned = mapping.update_customer_request(CUSTOMER_ID, assign, None)
    unassigned = mapping.update_customer_request(CUSTOMER_ID, unassign, None)

    assert list(assigned.update_mask.paths) == list(unassigned.update_mask.paths) == ["partner_id"]
    assert (assigned.customer.partner_id, unassigned.customer.partner_id) == (partner_id, "")
    assert mapping.list_customers_request(query).partner_id == partner_id
    assert mapping.list_customers_request(schemas.CustomerListQuery()).partner_id == ""


@pytest.mark.parametrize(
    ("codec", "literal"),
    [
        (mapping.PARTY_KINDS, schemas.PartyKindName),
        (mapping.GENDERS, schemas.GenderName),
        (mapping.SOURCES, schemas.SourceName),
        (mapping.CONSENT_CHANNELS, schemas.ConsentChannelName),
        (mapping.INTERACTION_CHANNELS, schemas.InteractionChannelName),
    ],
)
def test_request_enums_accept_exactly_the_proto_values(
    codec: mapping.EnumCodec[Any], literal: Any
) -> None:
    assert sorted(typing.get_args(literal)) == sorted(codec.names)


def test_enum_names_are_lowercase_without_prefix() -> None:
    assert mapping.SOURCES.to_json(customer_pb2.ACQUISITION_SOURCE_SALES_REP) == "sales_rep"
    assert mapping.SOURCES.to_proto("sales_rep") == customer_pb2.ACQUISITION_SOURCE_SALES_REP
    assert mapping.SOURCES.to_json(customer_pb2.ACQUISITION_SOURCE_UNSPECIFIED) is None
    assert mapping.SOURCES.to_proto(None) == customer_pb2.ACQUISITION_SOURCE_UNSPECIFIED
    assert mapping.GENDERS.to_json(99) is None  # a value added after this gateway was built


@pytest.mark.parametrize(
    ("proto_field", "json_field"),
    [
        ("customer.acquisition_source", "source"),
        ("customer.email", "email"),
        ("customer.tags[2]", "tags[2]"),
        ("acquisition_source", "source"),
        ("query", "q"),
        ("page.page_size", "page_size"),
        ("survivor_id", "id"),
        ("merged_id", "merged_id"),
        ("customer_id", "id"),
        ("reason", "reason"),
    ],
)
def test_backend_field_names_translate_to_json_names(proto_field: str, json_field: str) -> None:
    assert mapping.json_field(proto_field) == json_field
