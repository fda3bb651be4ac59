"""Every route's happy path: the JSON answer and the gRPC request it made."""

from __future__ import annotations

from crm_proto.crm.customer.v1 import customer_pb2
from flask.testing import FlaskClient

from tests.portal.unit.fakes import CUSTOMER_ID, OTHER_ID, FakeAnalytics, FakeCustomers

CUSTOMER_URL = f"/api/v1/customers/{CUSTOMER_ID}"


def test_create_answers_201_with_location_and_the_customer(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.post(
        "/api/v1/customers",
        json={
            "name": " Li Na ",
            "email": "li.na@example.com",
            "source": "sales_rep",
            "gender": "female",
            "birth_date": "1990-04-01",
            "tags": ["vip"],
        },
        headers={"Idempotency-Key": "create-li-na-1"},
    )

    assert response.status_code == 201
    assert response.headers["Location"] == CUSTOMER_URL
    assert response.headers["ETag"] == '"3"'
    assert response.json is not None
    assert response.json["id"] == CUSTOMER_ID
    assert response.json["source"] == "sales_rep"
    assert response.json["created_at"] == "2025-01-02T03:04:05Z"
    sent = customers.last.request
    assert sent.idempotency_key == "create-li-na-1"
    assert sent.customer.name == "Li Na"
    assert sent.customer.kind == customer_pb2.PARTY_KIND_UNSPECIFIED  # the service's person
    assert sent.customer.acquisition_source == customer_pb2.ACQUISITION_SOURCE_SALES_REP
    assert sent.customer.gender == customer_pb2.GENDER_FEMALE
    assert sent.customer.birth_date == "1990-04-01"
    assert list(sent.customer.tags) == ["vip"]


def test_get_answers_the_customer_with_its_etag(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.get(CUSTOMER_URL)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"3"'
    assert response.json is not None
    assert response.json["name"] == "Li Na"
    assert response.json["gender"] == "female"
    assert customers.last.request.id == CUSTOMER_ID


def test_patch_sends_only_the_fields_present_in_the_mask(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.patch(
        CUSTOMER_URL, json={"city": None, "source": "web", "email": "new@example.com"}
    )

    assert response.status_code == 200
    sent = customers.last.request
    assert list(sent.update_mask.paths) == ["email", "city", "acquisition_source"]
    assert sent.customer.id == CUSTOMER_ID
    assert sent.customer.email == "new@example.com"
    assert sent.customer.city == ""  # null clears
    assert sent.customer.acquisition_source == customer_pb2.ACQUISITION_SOURCE_WEB
    assert sent.expected_version == 0  # no condition asked for


def test_patch_is_conditional_on_if_match(client: FlaskClient, customers: FakeCustomers) -> None:
    response = client.patch(CUSTOMER_URL, json={"name": "Li"}, headers={"If-Match": '"7"'})

    assert response.status_code == 200
    assert customers.last.request.expected_version == 7
    assert list(customers.last.request.update_mask.paths) == ["name"]


def test_patch_is_conditional_on_the_body_version(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    client.patch(CUSTOMER_URL, json={"tags": [], "version": 4})

    assert customers.last.request.expected_version == 4
    assert list(customers.last.request.update_mask.paths) == ["tags"]


def test_list_passes_filters_and_answers_items_with_the_next_page_token(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.get(
        "/api/v1/customers?region=east&tag=vip&source=portal&q=li&page_size=20&page_token=abc"
    )

    assert response.status_code == 200
    assert response.json is not None
    assert [c["id"] for c in response.json["items"]] == [CUSTOMER_ID]
    assert response.json["next_page_token"] == "next-page"
    sent = customers.last.request
    assert (sent.region, sent.tag, sent.query) == ("east", "vip", "li")
    assert sent.source == customer_pb2.ACQUISITION_SOURCE_PORTAL
    assert (sent.page.page_size, sent.page.page_token) == (20, "abc")


def test_list_without_parameters_asks_for_the_default_page(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.get("/api/v1/customers?region=")

    assert response.status_code == 200
    assert customers.last.request == customer_pb2.ListCustomersRequest(
        page=customer_pb2.ListCustomersRequest().page
    )


def test_merge_keeps_the_customer_in_the_path(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.post(f"{CUSTOMER_URL}/merge", json={"merged_id": OTHER_ID})

    assert response.status_code == 200
    assert customers.last.request == customer_pb2.MergeCustomersRequest(
        survivor_id=CUSTOMER_ID, merged_id=OTHER_ID
    )


def test_recognize_answers_returning_with_the_customer(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.post("/api/v1/customers/recognize", json={"phone": "+86 138 0013 8000"})

    assert response.status_code == 200
    assert response.json is not None
    assert response.json["recognition"] == "returning"
    assert response.json["customer"]["id"] == CUSTOMER_ID
    assert customers.last.request.phone == "+86 138 0013 8000"


def test_recognize_answers_new_without_a_customer(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    customers.responses["recognize_customer"] = customer_pb2.RecognizeCustomerResponse(
        recognition=customer_pb2.RECOGNITION_NEW
    )

    response = client.post("/api/v1/customers/recognize", json={"email": "who@example.com"})

    assert response.json == {"recognition": "new", "customer": None}


def test_timeline_lists_interactions_newest_first_as_given(
    client: FlaskClient, customers: FakeCustomers
) -> None:
    response = client.get(f"{CUSTOMER_URL}/timeline?page_size=5")

    assert response.status_code == 200
    assert response.json == {
        "items": [
            {
                "id": "5e1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                "customer_id": CUSTOMER_ID,
                "channel": "phone",
                "summary": "asked about delivery",
                "occurred_at": "2025-04-01T08:30:00Z",
                "actor": {"subject": "u-1", "kind": "staff"},
            }
        ],
        "next_page_token": None,
    }
    assert customers.last.request.customer_id == CUSTOMER_ID
    assert customers.last.request.page.page_size == 5


def test_timeline_logs_an_interaction(client: FlaskClient, customers: FakeCustomers) -> None:
    response = client.post(
        f"{CUSTOMER_URL}/timeline",
        json={
            "channel": "phone",
            "summary": "asked about delivery",
            "occurred_at": "2025-04-01T16:30:00+08:00",
        },
    )

    assert response.status_code == 201
    sent = customers.last.request
    assert sent.customer_id == CUSTOMER_ID
    assert sent.channel == customer_pb2.INTERACTION_CHANNEL_PHONE
    assert sent.occurred_at.ToJsonString() == "2025-04-01T08:30:00Z"


def test_blacklist_and_unblacklist(client: FlaskClient, customers: FakeCustomers) -> None:
    blacklisted = client.post(f"{CUSTOMER_URL}/blacklist", json={"reason": "fraud"})
    lifted = client.post(f"{CUSTOMER_URL}/unblacklist", json={"reason": "cleared"})
    without_body = client.post(f"{CUSTOMER_URL}/unblacklist")
    without_reason = client.post(f"{CUSTOMER_URL}/unblacklist", json={})

    assert blacklisted.status_code == 200
    assert blacklisted.json is not None
    assert blacklisted.json["blacklisted"] is True
    assert blacklisted.json["blacklist_reason"] == "fraud"
    assert lifted.status_code == 200
    assert without_body.status_code == 415  # the body is required
    assert without_reason.status_code == 422  # the proto's rule: a reason is required
    assert without_reason.json is not None
    assert [e["field"] for e in without_reason.json["errors"]] == ["reason"]
    assert [(c.method, c.request.reason) for c in customers.calls] == [
        ("blacklist_customer", "fraud"),
        ("unblacklist_customer", "cleared"),
    ]


def test_consent_is_set_per_channel(client: FlaskClient, customers: FakeCustomers) -> None:
    response = client.put(f"{CUSTOMER_URL}/consents/email", json={"granted": True})

    assert response.status_code == 200
    assert response.json is not None
    assert response.json["consents"] == {
        "email": {"granted": True, "updated_at": "2025-02-01T00:00:00Z"}
    }
    assert customers.last.request == customer_pb2.SetConsentRequest(
        id=CUSTOMER_ID, channel=customer_pb2.CONSENT_CHANNEL_EMAIL, granted=True
    )


def test_demographic_segments(client: FlaskClient, analytics: FakeAnalytics) -> None:
    response = client.get("/api/v1/analytics/segments/demographics")

    assert response.status_code == 200
    assert response.json == {
        "total_customers": 3,
        "by_region": [{"key": "east", "count": 3}],
        "by_gender": [{"key": "female", "count": 2}, {"key": "unknown", "count": 1}],
        "by_age_band": [{"key": "25_34", "count": 3}],
        "by_source": [{"key": "web", "count": 3}],
        "blacklisted_customers": 1,
        "merged_customers": 2,
        "as_of": "2025-05-01T10:00:00Z",
    }
    assert len(analytics.calls) == 1
