"""JSON <-> proto by the descriptors: what a client writes comes back the same, enums, times
and empty values follow the API's conventions, and bad JSON names the field as written."""

from __future__ import annotations

from typing import Any

import pytest
from crm_portal.adapters.messages import JsonError
from crm_portal.adapters.messages import renamed_path as renamed
from crm_portal.entrypoints.http.routes import CODEC, ROUTES
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
    "owner_id": "4c7e1f0a-9b7d-4f0e-8d7a-2b6c1e9f3a41",
    "partner_id": "5f1c7e0a-9b7d-4f0e-8d7a-2b6c1e9f3a40",
}


def read(data: dict[str, Any], message: Any = None) -> tuple[Any, list[JsonError]]:
    target = message if message is not None else customer_pb2.Customer()
    errors: list[JsonError] = []
    CODEC.set_fields(target, data, errors=errors)
    return target, errors


def test_a_written_customer_round_trips_to_the_same_json() -> None:
    customer, errors = read(WRITTEN)
    customer.id = CUSTOMER_ID
    customer.updated_at.CopyFrom(timestamp("2025-01-01T00:00:00.5Z"))

    answer = CODEC.to_json(customer)

    assert errors == []
    assert {k: answer[k] for k in WRITTEN} == WRITTEN
    assert answer["updated_at"] == "2025-01-01T00:00:00.500Z"
    assert customer.acquisition_source == customer_pb2.ACQUISITION_SOURCE_DISTRIBUTOR


def test_empty_proto_fields_are_null_in_json() -> None:
    answer = CODEC.to_json(customer_pb2.Customer(id=CUSTOMER_ID, name="Wang"))

    assert (answer["tags"], answer["preferences"], answer["consents"]) == ([], {}, {})
    empty = "kind email phone region city birth_date gender source owner_id partner_id"
    empty += " blacklist_reason merged_into_id created_at"
    for field in empty.split():
        assert answer[field] is None, field
    assert answer["version"] == 0


def test_consents_are_keyed_by_channel() -> None:
    customer = sample_customer(
        consents=[customer_pb2.Consent(channel=customer_pb2.CONSENT_CHANNEL_SMS, granted=True)]
    )

    assert CODEC.to_json(customer)["consents"] == {"sms": {"granted": True, "updated_at": None}}


def test_a_list_answer_is_items_and_the_next_page_token() -> None:
    page = customer_pb2.ListCustomersResponse(customers=[sample_customer()])
    page.page.next_page_token = "more"

    answer = CODEC.to_json(page)

    assert list(answer) == ["items", "next_page_token"]
    assert answer["next_page_token"] == "more"
    assert answer["items"][0]["id"] == CUSTOMER_ID


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": 5}, "name"),
        ({"colour": "red"}, "colour"),
        ({"source": "SALES_REP"}, "source"),
        ({"tags": "vip"}, "tags"),
        ({"tags": ["ok", 3]}, "tags[1]"),
        ({"preferences": {"a": 1}}, 'preferences["a"]'),
        ({"version": "3"}, "version"),
        ({"version": True}, "version"),
        ({"blacklisted": "yes"}, "blacklisted"),
        ({"created_at": "2025-01-01T00:00:00"}, "created_at"),  # no offset: ambiguous
        ({"created_at": 1735689600}, "created_at"),
    ],
)
def test_wrong_json_names_the_field_as_written(data: dict[str, Any], field: str) -> None:
    _customer, errors = read(data)

    assert [e.field for e in errors] == [field]
    assert errors[0].message


def test_strings_are_trimmed_times_made_utc_and_null_leaves_a_field_empty() -> None:
    interaction, errors = read(
        {"summary": "  called  ", "occurred_at": "2025-04-01T16:30:00+08:00", "channel": None},
        customer_pb2.LogInteractionRequest(),
    )

    assert errors == []
    assert interaction.summary == "called"
    assert interaction.occurred_at.ToJsonString() == "2025-04-01T08:30:00Z"
    assert interaction.channel == 0


@pytest.mark.parametrize(
    ("route", "proto_path", "json_path"),
    [
        ("create_customer", "customer.acquisition_source", "source"),
        ("create_customer", "customer.tags[2]", "tags[2]"),
        ("create_customer", 'customer.preferences["a.b"]', 'preferences["a.b"]'),
        ("create_customer", "customer", ""),
        ("update_customer", "customer.id", "customer_id"),
        ("list_customers", "query", "q"),
        ("list_customers", "page.page_size", "page_size"),
        ("merge_customers", "survivor_id", "customer_id"),
        ("merge_customers", "merged_id", "merged_id"),
        ("log_interaction", "customer_id", "customer_id"),
    ],
)
def test_field_paths_translate_to_the_names_the_client_sent(
    route: str, proto_path: str, json_path: str
) -> None:
    row = next(r for r in ROUTES if r.name == route)

    assert renamed(CODEC, row.request_type, proto_path, row.json_prefixes(CODEC)) == json_path
