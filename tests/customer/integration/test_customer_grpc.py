"""The customer service through a real gRPC channel, on PostgreSQL and on SQLite: responses,
status codes with details, rows, and the outbox rows each command writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from crm_platform.testing.tokens import ADMIN_SUBJECT
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc, events_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, outbox_types, row_count, rpc_error

pytestmark = pytest.mark.integration

Stub = customer_pb2_grpc.CustomerServiceStub


def new_customer(**fields: object) -> customer_pb2.Customer:
    values: dict[str, object] = {"name": "Ada Lovelace", "email": "ada@example.com"}
    values.update(fields)
    return customer_pb2.Customer(**values)  # type: ignore[arg-type]


def create(stub: Stub, key: str = "", **fields: object) -> customer_pb2.Customer:
    request = customer_pb2.CreateCustomerRequest(
        customer=new_customer(**fields), idempotency_key=key
    )
    response: customer_pb2.Customer = stub.CreateCustomer(request, timeout=10)
    return response


def at(minutes: int) -> Timestamp:
    moment = Timestamp()
    moment.FromDatetime(datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes))
    return moment


def test_create_then_get_returns_the_normalized_customer_and_writes_one_event(
    stub: Stub, engine: Engine
) -> None:
    created = create(
        stub,
        kind=customer_pb2.PARTY_KIND_PERSON,
        email=" Ada@Example.com ",
        phone="(415) 555-2671",
        region="North",
        city="Springfield",
        birth_date="1990-12-10",
        gender=customer_pb2.GENDER_FEMALE,
        tags=["VIP", " retail"],
        preferences={"language": "en"},
        acquisition_source=customer_pb2.ACQUISITION_SOURCE_PARTNER,
    )

    fetched = stub.GetCustomer(customer_pb2.GetCustomerRequest(id=created.id), timeout=10)

    assert fetched == created
    assert fetched.email == "ada@example.com"
    assert fetched.phone == "+14155552671"
    assert list(fetched.tags) == ["retail", "vip"]
    assert fetched.birth_date == "1990-12-10"
    assert fetched.version == 1
    [event] = outbox_events(engine)
    assert event.type == "crm.customer.v1.CustomerRegistered"
    assert event.subject == created.id
    assert isinstance(event.message, events_pb2.CustomerRegistered)
    assert event.message.customer == created
    assert event.message.version == 1
    assert event.message.actor == common_pb2.Actor(
        subject=ADMIN_SUBJECT, kind=common_pb2.ACTOR_KIND_STAFF
    )


def test_a_duplicate_email_or_phone_is_already_exists_with_the_existing_id(
    stub: Stub, engine: Engine
) -> None:
    existing = create(stub, phone="+14155552671")

    by_email = rpc_error(
        stub.CreateCustomer,
        customer_pb2.CreateCustomerRequest(customer=new_customer(email="ADA@example.com ")),
    )
    by_phone = rpc_error(
        stub.CreateCustomer,
        customer_pb2.CreateCustomerRequest(customer=new_customer(email="", phone="415.555.2671")),
    )

    for error in (by_email, by_phone):
        assert error.code is grpc.StatusCode.ALREADY_EXISTS
        assert error.existing_id == existing.id
        assert existing.id in error.message
    assert row_count(engine, "customers") == 1
    assert outbox_types(engine) == ["CustomerRegistered"]


def test_invalid_input_is_invalid_argument_with_field_violations_and_writes_nothing(
    stub: Stub, engine: Engine
) -> None:
    malformed = rpc_error(
        stub.CreateCustomer,
        customer_pb2.CreateCustomerRequest(
            customer=new_customer(
                birth_date="10/12/1990",
                owner_id="not-a-uuid",
                gender=99,
            )
        ),
    )
    invalid = rpc_error(
        stub.CreateCustomer,
        customer_pb2.CreateCustomerRequest(
            customer=new_customer(name=" ", email="ada@", birth_date="2999-01-01")
        ),
    )

    assert malformed.code is grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in malformed.violations} == {
        "customer.birth_date",
        "customer.owner_id",
        "customer.gender",
    }
    assert invalid.code is grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in invalid.violations} == {
        "customer.name",
        "customer.email",
        "customer.birth_date",
    }
    assert row_count(engine, "customers") == 0
    assert row_count(engine, "outbox") == 0


def test_update_changes_the_masked_fields_and_checks_the_expected_version(
    stub: Stub, engine: Engine
) -> None:
    created = create(stub, region="North", city="Springfield")

    updated = stub.UpdateCustomer(
        customer_pb2.UpdateCustomerRequest(
            customer=customer_pb2.Customer(id=created.id, region="South", city="ignored"),
            update_mask=FieldMask(paths=["region"]),
            expected_version=1,
        ),
        timeout=10,
    )
    stale = rpc_error(
        stub.UpdateCustomer,
        customer_pb2.UpdateCustomerRequest(
            customer=customer_pb2.Customer(id=created.id, region="East"),
            update_mask=FieldMask(paths=["region"]),
            expected_version=1,
        ),
    )
    unchanged = stub.UpdateCustomer(
        customer_pb2.UpdateCustomerRequest(
            customer=customer_pb2.Customer(id=created.id, region=" South "),
            update_mask=FieldMask(paths=["region"]),
        ),
        timeout=10,
    )

    assert (updated.region, updated.city, updated.version) == ("South", "Springfield", 2)
    assert stale.code is grpc.StatusCode.ABORTED
    assert unchanged.version == 2
    assert outbox_types(engine) == ["CustomerRegistered", "CustomerUpdated"]
    change = outbox_events(engine)[1].message
    assert isinstance(change, events_pb2.CustomerUpdated)
    assert list(change.changed_fields) == ["region"]
    assert change.version == 2
    assert change.customer.region == "South"


@pytest.mark.parametrize(
    ("paths", "field"),
    [([], "update_mask"), (["version"], "update_mask"), (["name"], "customer.name")],
)
def test_update_rejects_bad_masks_and_values(
    stub: Stub, engine: Engine, paths: list[str], field: str
) -> None:
    created = create(stub)

    error = rpc_error(
        stub.UpdateCustomer,
        customer_pb2.UpdateCustomerRequest(
            customer=customer_pb2.Customer(id=created.id, name=""),
            update_mask=FieldMask(paths=paths),
        ),
    )

    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [field]
    assert outbox_types(engine) == ["CustomerRegistered"]


def test_list_filters_by_region_tag_source_and_text(stub: Stub) -> None:
    north_vip = create(
        stub,
        name="Grace Hopper",
        email="grace@navy.example",
        region="North",
        tags=["vip"],
        acquisition_source=customer_pb2.ACQUISITION_SOURCE_WEB,
    )
    north = create(
        stub, name="Alan Turing", email="alan@example.com", phone="+14155552671", region="NORTH"
    )
    south_vip = create(
        stub,
        name="Edsger Dijkstra",
        email="ewd@example.com",
        region="South",
        tags=["VIP", "retail"],
        acquisition_source=customer_pb2.ACQUISITION_SOURCE_WEB,
    )

    def ids(**filters: object) -> list[str]:
        response = stub.ListCustomers(customer_pb2.ListCustomersRequest(**filters), timeout=10)  # type: ignore[arg-type]
        return [c.id for c in response.customers]

    assert ids() == [north_vip.id, north.id, south_vip.id]
    assert ids(region="north") == [north_vip.id, north.id]
    assert ids(tag="VIP") == [north_vip.id, south_vip.id]
    assert ids(tag="vip", region="South") == [south_vip.id]
    assert ids(source=customer_pb2.ACQUISITION_SOURCE_WEB) == [north_vip.id, south_vip.id]
    assert ids(query="hopper") == [north_vip.id]
    assert ids(query="EXAMPLE.COM") == [north.id, south_vip.id]
    assert ids(query="(415) 555") == [north.id]
    assert ids(query="100%") == []


def test_list_pages_with_opaque_tokens_and_a_capped_size(stub: Stub) -> None:
    created = [create(stub, email=f"c{n}@example.com").id for n in range(5)]

    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        response = stub.ListCustomers(
            customer_pb2.ListCustomersRequest(
                page=common_pb2.PageRequest(page_size=2, page_token=token)
            ),
            timeout=10,
        )
        seen += [c.id for c in response.customers]
        pages += 1
        token = response.page.next_page_token
        if not token:
            break
    forged = rpc_error(
        stub.ListCustomers,
        customer_pb2.ListCustomersRequest(page=common_pb2.PageRequest(page_token="abc")),
    )
    negative = rpc_error(
        stub.ListCustomers,
        customer_pb2.ListCustomersRequest(page=common_pb2.PageRequest(page_size=-1)),
    )

    assert seen == created
    assert pages == 3
    assert [v.field for v in forged.violations] == ["page.page_token"]
    assert [v.field for v in negative.violations] == ["page.page_size"]


def test_merge_combines_the_records_and_the_merged_one_leaves_lists(
    stub: Stub, engine: Engine
) -> None:
    survivor = create(stub, email="ada@example.com", tags=["vip"])
    merged = create(stub, email="ada.l@example.com", phone="+14155552671", tags=["retail"])
    stub.SetConsent(
        customer_pb2.SetConsentRequest(
            id=merged.id, channel=customer_pb2.CONSENT_CHANNEL_SMS, granted=True
        ),
        timeout=10,
    )
    stub.LogInteraction(
        customer_pb2.LogInteractionRequest(
            customer_id=merged.id,
            channel=customer_pb2.INTERACTION_CHANNEL_PHONE,
            summary="asked about invoices",
        ),
        timeout=10,
    )

    result = stub.MergeCustomers(
        customer_pb2.MergeCustomersRequest(survivor_id=survivor.id, merged_id=merged.id),
        timeout=10,
    )

    assert result.id == survivor.id
    assert result.phone == "+14155552671"
    assert list(result.tags) == ["retail", "vip"]
    assert [(c.channel, c.granted) for c in result.consents] == [
        (customer_pb2.CONSENT_CHANNEL_SMS, True)
    ]
    assert result.version == 2
    loser = stub.GetCustomer(customer_pb2.GetCustomerRequest(id=merged.id), timeout=10)
    assert loser.merged_into_id == survivor.id
    listed = stub.ListCustomers(customer_pb2.ListCustomersRequest(), timeout=10)
    assert [c.id for c in listed.customers] == [survivor.id]
    timeline = stub.ListInteractions(
        customer_pb2.ListInteractionsRequest(customer_id=survivor.id), timeout=10
    )
    assert [i.summary for i in timeline.interactions] == ["asked about invoices"]
    event = outbox_events(engine)[-1]
    assert event.subject == survivor.id
    assert isinstance(event.message, events_pb2.CustomerMerged)
    assert event.message.merged_id == merged.id
    assert (event.message.version, event.message.merged_version) == (2, 3)
    assert event.message.survivor == result


def test_merge_refusals_are_failed_precondition_and_write_nothing(
    stub: Stub, engine: Engine
) -> None:
    first = create(stub, email="a@example.com")
    second = create(stub, email="b@example.com")
    third = create(stub, email="c@example.com")
    stub.MergeCustomers(
        customer_pb2.MergeCustomersRequest(survivor_id=first.id, merged_id=second.id), timeout=10
    )
    written = row_count(engine, "outbox")

    for survivor_id, merged_id in (
        (first.id, first.id),
        (third.id, second.id),
        (second.id, third.id),
    ):
        error = rpc_error(
            stub.MergeCustomers,
            customer_pb2.MergeCustomersRequest(survivor_id=survivor_id, merged_id=merged_id),
        )
        assert error.code is grpc.StatusCode.FAILED_PRECONDITION

    assert row_count(engine, "outbox") == written
    assert stub.GetCustomer(customer_pb2.GetCustomerRequest(id=third.id), timeout=10).version == 1


def test_recognition_blacklist_and_unblacklist(stub: Stub, engine: Engine) -> None:
    def recognize(**contact: str) -> customer_pb2.RecognizeCustomerResponse:
        response: customer_pb2.RecognizeCustomerResponse = stub.RecognizeCustomer(
            customer_pb2.RecognizeCustomerRequest(**contact), timeout=10
        )
        return response

    assert recognize(email="ada@example.com").recognition == customer_pb2.RECOGNITION_NEW
    assert not recognize(email="ada@example.com").HasField("customer")
    created = create(stub, phone="+14155552671")
    returning = recognize(phone="415 555 2671")
    assert returning.recognition == customer_pb2.RECOGNITION_RETURNING
    assert returning.customer.id == created.id

    blacklisted = stub.BlacklistCustomer(
        customer_pb2.BlacklistCustomerRequest(id=created.id, reason="chargebacks"), timeout=10
    )
    assert blacklisted.blacklisted
    assert recognize(email="ADA@example.com").recognition == customer_pb2.RECOGNITION_BLACKLISTED
    assert stub.GetCustomer(customer_pb2.GetCustomerRequest(id=created.id), timeout=10).blacklisted
    again = rpc_error(
        stub.BlacklistCustomer,
        customer_pb2.BlacklistCustomerRequest(id=created.id, reason="again"),
    )
    assert again.code is grpc.StatusCode.FAILED_PRECONDITION
    cleared = stub.UnblacklistCustomer(
        customer_pb2.UnblacklistCustomerRequest(id=created.id, reason="paid"), timeout=10
    )
    assert not cleared.blacklisted
    assert cleared.version == 3
    assert recognize(email="ada@example.com").recognition == customer_pb2.RECOGNITION_RETURNING

    assert outbox_types(engine) == [
        "CustomerRegistered",
        "CustomerBlacklisted",
        "CustomerUnblacklisted",
    ]
    blacklist_event, unblacklist_event = (e.message for e in outbox_events(engine)[1:])
    assert isinstance(blacklist_event, events_pb2.CustomerBlacklisted)
    assert (blacklist_event.reason, blacklist_event.version) == ("chargebacks", 2)
    assert isinstance(unblacklist_event, events_pb2.CustomerUnblacklisted)
    assert (unblacklist_event.reason, unblacklist_event.version) == ("paid", 3)


def test_recognition_of_a_merged_email_returns_the_survivor(stub: Stub) -> None:
    survivor = create(stub, email="a@example.com")
    merged = create(stub, email="b@example.com")
    stub.MergeCustomers(
        customer_pb2.MergeCustomersRequest(survivor_id=survivor.id, merged_id=merged.id),
        timeout=10,
    )

    response = stub.RecognizeCustomer(
        customer_pb2.RecognizeCustomerRequest(email="b@example.com"), timeout=10
    )

    assert response.recognition == customer_pb2.RECOGNITION_RETURNING
    assert response.customer.id == survivor.id


def test_consent_is_published_only_when_it_changes(stub: Stub, engine: Engine) -> None:
    created = create(stub)
    request = customer_pb2.SetConsentRequest(
        id=created.id, channel=customer_pb2.CONSENT_CHANNEL_EMAIL, granted=True
    )

    first = stub.SetConsent(request, timeout=10)
    repeated = stub.SetConsent(request, timeout=10)
    unspecified = rpc_error(stub.SetConsent, customer_pb2.SetConsentRequest(id=created.id))

    assert [(c.channel, c.granted) for c in first.consents] == [
        (customer_pb2.CONSENT_CHANNEL_EMAIL, True)
    ]
    assert repeated.version == first.version == 2
    assert [v.field for v in unspecified.violations] == ["channel"]
    assert outbox_types(engine) == ["CustomerRegistered", "ConsentChanged"]
    event = outbox_events(engine)[1].message
    assert isinstance(event, events_pb2.ConsentChanged)
    assert (event.channel, event.granted, event.version) == (
        customer_pb2.CONSENT_CHANNEL_EMAIL,
        True,
        2,
    )


def test_the_timeline_lists_interactions_newest_first_in_pages(stub: Stub, engine: Engine) -> None:
    created = create(stub)
    for minute, summary in ((5, "second"), (1, "first"), (9, "third")):
        stub.LogInteraction(
            customer_pb2.LogInteractionRequest(
                customer_id=created.id,
                channel=customer_pb2.INTERACTION_CHANNEL_EMAIL,
                summary=summary,
                occurred_at=at(minute),
            ),
            timeout=10,
        )

    first = stub.ListInteractions(
        customer_pb2.ListInteractionsRequest(
            customer_id=created.id, page=common_pb2.PageRequest(page_size=2)
        ),
        timeout=10,
    )
    rest = stub.ListInteractions(
        customer_pb2.ListInteractionsRequest(
            customer_id=created.id,
            page=common_pb2.PageRequest(page_size=2, page_token=first.page.next_page_token),
        ),
        timeout=10,
    )

    assert [i.summary for i in first.interactions] == ["third", "second"]
    assert [i.summary for i in rest.interactions] == ["first"]
    assert rest.page.next_page_token == ""
    assert first.interactions[0].actor.subject == ADMIN_SUBJECT
    assert first.interactions[0].occurred_at == at(9)
    events = [e.message for e in outbox_events(engine)[1:]]
    assert [e.summary for e in events if isinstance(e, events_pb2.InteractionLogged)] == [
        "second",
        "first",
        "third",
    ]
    assert all(e.version == 1 and e.customer_id == created.id for e in events)  # type: ignore[attr-defined]


def test_interaction_requests_are_checked(stub: Stub, engine: Engine) -> None:
    created = create(stub)

    unknown = rpc_error(
        stub.LogInteraction,
        customer_pb2.LogInteractionRequest(
            customer_id="6d0f8a8e-3a43-4d52-9f0e-0f1c1b1f9a11",
            channel=customer_pb2.INTERACTION_CHANNEL_EMAIL,
            summary="hello",
        ),
    )
    malformed = rpc_error(
        stub.LogInteraction,
        customer_pb2.LogInteractionRequest(customer_id="42", summary="hello"),
    )
    no_channel = rpc_error(
        stub.LogInteraction,
        customer_pb2.LogInteractionRequest(customer_id=created.id, summary="hello"),
    )

    assert unknown.code is grpc.StatusCode.NOT_FOUND
    assert malformed.code is grpc.StatusCode.INVALID_ARGUMENT
    # every rule a request breaks is reported at once
    assert [v.field for v in malformed.violations] == ["customer_id", "channel"]
    assert [v.field for v in no_channel.violations] == ["channel"]
    assert row_count(engine, "interactions") == 0
    assert outbox_types(engine) == ["CustomerRegistered"]


def test_a_retry_with_the_same_idempotency_key_creates_one_customer(
    stub: Stub, engine: Engine
) -> None:
    first = create(stub, key="signup-7f3a")
    retry = create(stub, key="signup-7f3a")

    assert retry == first
    assert row_count(engine, "customers") == 1
    assert outbox_types(engine) == ["CustomerRegistered"]


def test_a_malformed_id_is_invalid_argument(stub: Stub) -> None:
    error = rpc_error(stub.GetCustomer, customer_pb2.GetCustomerRequest(id="not-a-uuid"))

    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["id"]


def test_an_unknown_id_is_not_found(stub: Stub) -> None:
    error = rpc_error(
        stub.GetCustomer,
        customer_pb2.GetCustomerRequest(id="6d0f8a8e-3a43-4d52-9f0e-0f1c1b1f9a11"),
    )

    assert error.code is grpc.StatusCode.NOT_FOUND


NUL_REQUESTS = {
    "name": (
        "CreateCustomer",
        customer_pb2.CreateCustomerRequest(customer=new_customer(name="Ada\x00Lovelace")),
        ["customer.name"],
    ),
    "tag-and-preference": (
        "CreateCustomer",
        customer_pb2.CreateCustomerRequest(
            customer=new_customer(tags=["vip", "a\x00b"], preferences={"lang\x00": "en"})
        ),
        ["customer.tags[1]", 'customer.preferences["lang\\u0000"]'],
    ),
    "preference-value": (
        "CreateCustomer",
        customer_pb2.CreateCustomerRequest(customer=new_customer(preferences={"lang": "e\x00n"})),
        ['customer.preferences["lang"]'],
    ),
    "idempotency-key": (
        "CreateCustomer",
        customer_pb2.CreateCustomerRequest(customer=new_customer(), idempotency_key="k\x00"),
        ["idempotency_key"],
    ),
    "update": (
        "UpdateCustomer",
        customer_pb2.UpdateCustomerRequest(
            customer=customer_pb2.Customer(
                id="6d0f8a8e-3a43-4d52-9f0e-0f1c1b1f9a11", city="Ly\x00on"
            ),
            update_mask=FieldMask(paths=["city"]),
        ),
        ["customer.city"],
    ),
    "search": ("ListCustomers", customer_pb2.ListCustomersRequest(query="\x00"), ["query"]),
    "page-token": (
        "ListCustomers",
        customer_pb2.ListCustomersRequest(page=common_pb2.PageRequest(page_token="a\x00")),
        ["page.page_token"],
    ),
    "recognize": (
        "RecognizeCustomer",
        customer_pb2.RecognizeCustomerRequest(email="ada\x00@example.com"),
        ["email"],
    ),
    "blacklist-reason": (
        "BlacklistCustomer",
        customer_pb2.BlacklistCustomerRequest(
            id="6d0f8a8e-3a43-4d52-9f0e-0f1c1b1f9a11", reason="fr\x00aud"
        ),
        ["reason"],
    ),
    "summary": (
        "LogInteraction",
        customer_pb2.LogInteractionRequest(
            customer_id="6d0f8a8e-3a43-4d52-9f0e-0f1c1b1f9a11",
            channel=customer_pb2.INTERACTION_CHANNEL_EMAIL,
            summary="hello\x00",
        ),
        ["summary"],
    ),
}


@pytest.mark.parametrize("case", list(NUL_REQUESTS))
def test_a_nul_character_is_invalid_argument_and_writes_nothing(
    stub: Stub, engine: Engine, case: str
) -> None:
    """PostgreSQL refuses NUL in text: the service says so for the field, before any query,
    instead of failing with INTERNAL. SQLite would store it: refused there too."""
    method, request, fields = NUL_REQUESTS[case]

    error = rpc_error(getattr(stub, method), request)

    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == fields
    # a map key's violation says "key must not ..."
    assert all(v.description.endswith("must not contain NUL characters") for v in error.violations)
    assert "must not contain NUL characters" in error.message
    assert row_count(engine, "customers") == 0
    assert row_count(engine, "outbox") == 0


def test_possible_duplicates_are_found_by_name_and_city_and_leave_once_merged(
    stub: Stub, engine: Engine
) -> None:
    record = create(stub, name="Li Wei", email="li.wei@example.com", city="Hangzhou")
    swapped = create(stub, name="Wei Li", email="liwei@example.cn", city="hangzhou")
    elsewhere = create(stub, name="Li Wei", email="lw@example.org", city="Ningbo")
    create(stub, name="Zhang San", email="zs@example.com", city="Hangzhou")
    events_before = row_count(engine, "outbox")

    def duplicates(min_score: int = 0) -> list[tuple[str, int, list[str]]]:
        found = stub.ListPossibleDuplicates(
            customer_pb2.ListPossibleDuplicatesRequest(id=record.id, min_score=min_score),
            timeout=10,
        )
        return [(d.customer.id, d.score, list(d.reasons)) for d in found.duplicates]

    assert duplicates()[0] == (swapped.id, 100, ["name 100 %", "email 100 %", "same city"])
    assert [found[0] for found in duplicates(min_score=75)] == [swapped.id]
    assert elsewhere.id in [found[0] for found in duplicates(min_score=60)]
    assert row_count(engine, "outbox") == events_before  # a review changes nothing

    stub.MergeCustomers(
        customer_pb2.MergeCustomersRequest(survivor_id=record.id, merged_id=swapped.id),
        timeout=10,
    )
    assert swapped.id not in [found[0] for found in duplicates()]
    with pytest.raises(grpc.RpcError) as merged:
        stub.ListPossibleDuplicates(
            customer_pb2.ListPossibleDuplicatesRequest(id=swapped.id), timeout=10
        )
    with pytest.raises(grpc.RpcError) as bad:
        stub.ListPossibleDuplicates(
            customer_pb2.ListPossibleDuplicatesRequest(id=record.id, min_score=101), timeout=10
        )
    assert merged.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
