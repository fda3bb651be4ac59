"""customer.proto is the one declaration of the request limits and of who may call what: its
rules equal the domain's own limits (so they cannot drift apart again), and its access options
are the table of docs/decisions/0005-access-tokens.md."""

from __future__ import annotations

import pytest
from crm_customer.domain import contact, model
from crm_customer.entrypoints.authorization import POLICY
from crm_customer.service_layer import handlers
from crm_platform.access import Allow
from crm_platform.validation import rules_of
from crm_proto.crm.common.v1 import options_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from google.protobuf.message import Message


def rules(message: type[Message], field: str) -> options_pb2.FieldRules:
    declared = rules_of(message.DESCRIPTOR.fields_by_name[field])  # type: ignore[arg-type]
    assert declared is not None, f"{field} declares no rules"
    return declared


@pytest.mark.parametrize(
    ("declared", "domain"),
    [
        (rules(customer_pb2.Customer, "name").max_len, model.NAME_MAX_LENGTH),
        (rules(customer_pb2.Customer, "email").max_len, contact.EMAIL_MAX_LENGTH),
        (rules(customer_pb2.Customer, "region").max_len, model.PLACE_MAX_LENGTH),
        (rules(customer_pb2.Customer, "city").max_len, model.PLACE_MAX_LENGTH),
        (rules(customer_pb2.Customer, "tags").max_items, model.MAX_TAGS),
        (rules(customer_pb2.Customer, "tags").items.max_len, model.TAG_MAX_LENGTH),
        (rules(customer_pb2.Customer, "preferences").max_items, model.MAX_PREFERENCES),
        (
            rules(customer_pb2.Customer, "preferences").keys.max_len,
            model.PREFERENCE_KEY_MAX_LENGTH,
        ),
        (
            rules(customer_pb2.Customer, "preferences").items.max_len,
            model.PREFERENCE_VALUE_MAX_LENGTH,
        ),
        (
            rules(customer_pb2.CreateCustomerRequest, "idempotency_key").max_len,
            handlers.IDEMPOTENCY_KEY_MAX_LENGTH,
        ),
        (rules(customer_pb2.BlacklistCustomerRequest, "reason").max_len, model.REASON_MAX_LENGTH),
        (
            rules(customer_pb2.UnblacklistCustomerRequest, "reason").max_len,
            model.REASON_MAX_LENGTH,
        ),
        (rules(customer_pb2.LogInteractionRequest, "summary").max_len, model.SUMMARY_MAX_LENGTH),
        (rules(customer_pb2.ListCustomersRequest, "region").max_len, model.PLACE_MAX_LENGTH),
        (rules(customer_pb2.ListCustomersRequest, "tag").max_len, model.TAG_MAX_LENGTH),
        (rules(customer_pb2.RecognizeCustomerRequest, "email").max_len, contact.EMAIL_MAX_LENGTH),
    ],
)
def test_a_proto_limit_equals_the_domain_limit(declared: int, domain: int) -> None:
    assert declared == domain


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (customer_pb2.Customer, "owner_id"),
        (customer_pb2.Customer, "partner_id"),
        (customer_pb2.ListCustomersRequest, "partner_id"),
        (customer_pb2.GetCustomerRequest, "id"),
        (customer_pb2.MergeCustomersRequest, "survivor_id"),
        (customer_pb2.MergeCustomersRequest, "merged_id"),
        (customer_pb2.LogInteractionRequest, "customer_id"),
    ],
)
def test_the_ids_the_domain_keeps_as_uuids_are_uuids_in_the_proto(
    message: type[Message], field: str
) -> None:
    assert rules(message, field).uuid


LEADS = {"admin", "manager"}
FRONT_OFFICE = LEADS | {"sales_rep", "service_agent"}
READERS = FRONT_OFFICE | {"marketer", "analyst", "finance"}
READ, WRITE = {"customers:read"}, {"customers:write"}


def test_the_access_options_are_the_table_of_decision_0005() -> None:
    assert POLICY.rules == {
        "CreateCustomer": Allow(roles=FRONT_OFFICE, scopes=WRITE),
        "GetCustomer": Allow(roles=READERS, scopes=READ, customers=True, partners=True),
        "UpdateCustomer": Allow(roles=FRONT_OFFICE, scopes=WRITE, customers=True),
        "ListCustomers": Allow(roles=READERS, scopes=READ, partners=True),
        "MergeCustomers": Allow(roles=LEADS, scopes=WRITE),
        "BlacklistCustomer": Allow(roles=LEADS, scopes=WRITE),
        "UnblacklistCustomer": Allow(roles=LEADS, scopes=WRITE),
        "ListPossibleDuplicates": Allow(roles=FRONT_OFFICE, scopes=READ),
        "RecognizeCustomer": Allow(roles=READERS, scopes=READ),
        "SetConsent": Allow(roles=FRONT_OFFICE | {"marketer"}, scopes=WRITE, customers=True),
        "LogInteraction": Allow(roles=FRONT_OFFICE, scopes=WRITE, customers=True),
        "ListInteractions": Allow(roles=READERS, scopes=READ, customers=True, partners=True),
        "GetLoyaltyAccount": Allow(roles=READERS, scopes=READ, customers=True),
        "ListLoyaltyEntries": Allow(roles=READERS, scopes=READ, customers=True),
        "RedeemPoints": Allow(roles=LEADS | {"sales_rep"}, scopes=WRITE, customers=True),
        "StartImport": Allow(roles=LEADS, scopes=WRITE),
        "GetImport": Allow(roles=LEADS, scopes=WRITE),
        "GetImportRejections": Allow(roles=LEADS, scopes=WRITE),
        "ListDuplicatePairs": Allow(roles=LEADS, scopes=READ),
        "EraseCustomer": Allow(roles={"admin"}),
        "GetErasure": Allow(roles={"admin"}),
        "GetPersonalData": Allow(roles={"admin"}, customers=True),
    }
