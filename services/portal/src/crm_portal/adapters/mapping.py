"""Proto <-> JSON, in one place.

JSON uses snake_case, enums as lowercase names without their prefix ("sales_rep"), ISO 8601
dates, RFC 3339 UTC timestamps and null for what proto3 leaves empty. The customer's
`acquisition_source` is `source` in JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from crm_proto.crm.analytics.v1 import analytics_pb2
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from google.protobuf import field_mask_pb2, timestamp_pb2

from crm_portal import schemas

if TYPE_CHECKING:
    from google.protobuf.internal.enum_type_wrapper import _EnumTypeWrapper

Json = dict[str, Any]
V = TypeVar("V", bound=int)


class EnumCodec(Generic[V]):
    """A proto enum as lowercase names; the zero (unspecified) value is null."""

    def __init__(self, enum: _EnumTypeWrapper[V], prefix: str) -> None:
        self._enum = enum
        self._prefix = prefix

    @property
    def names(self) -> list[str]:
        return [n.removeprefix(self._prefix).lower() for n, v in self._enum.items() if v != 0]

    def to_json(self, value: int) -> str | None:
        if value == 0 or value not in self._enum.values():
            return None  # unspecified, or a value newer than this gateway
        return self._enum.Name(value).removeprefix(self._prefix).lower()

    def to_proto(self, name: str | None) -> V:
        return self._enum.Value(self._prefix + (name or "unspecified").upper())


PARTY_KINDS = EnumCodec(customer_pb2.PartyKind, "PARTY_KIND_")
GENDERS = EnumCodec(customer_pb2.Gender, "GENDER_")
SOURCES = EnumCodec(customer_pb2.AcquisitionSource, "ACQUISITION_SOURCE_")
CONSENT_CHANNELS = EnumCodec(customer_pb2.ConsentChannel, "CONSENT_CHANNEL_")
INTERACTION_CHANNELS = EnumCodec(customer_pb2.InteractionChannel, "INTERACTION_CHANNEL_")
RECOGNITIONS = EnumCodec(customer_pb2.Recognition, "RECOGNITION_")
ACTOR_KINDS = EnumCodec(common_pb2.ActorKind, "ACTOR_KIND_")

# JSON field -> proto field of Customer, where they differ
_CUSTOMER_PROTO_FIELDS = {"source": "acquisition_source"}

# proto field paths in the backends' field violations -> the JSON names the client sent
_JSON_FIELDS = {
    "acquisition_source": "source",
    "query": "q",
    "page.page_size": "page_size",
    "page.page_token": "page_token",
    "survivor_id": "id",
    "customer_id": "id",
}


def json_field(proto_path: str) -> str:
    """The JSON name of a field a backend reported, e.g. customer.acquisition_source -> source."""
    path = proto_path.removeprefix("customer.")
    return _JSON_FIELDS.get(path, path)


def timestamp_to_json(message: Any, field: str) -> str | None:
    if not message.HasField(field):
        return None
    value: timestamp_pb2.Timestamp = getattr(message, field)
    return value.ToJsonString()


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    timestamp = timestamp_pb2.Timestamp()
    timestamp.FromDatetime(value.astimezone(UTC))
    return timestamp


def customer_to_json(customer: customer_pb2.Customer) -> Json:
    consents: Json = {}
    for consent in customer.consents:
        channel = CONSENT_CHANNELS.to_json(consent.channel)
        if channel is not None:
            consents[channel] = {
                "granted": consent.granted,
                "updated_at": timestamp_to_json(consent, "updated_at"),
            }
    return {
        "id": customer.id,
        "kind": PARTY_KINDS.to_json(customer.kind),
        "name": customer.name,
        "email": customer.email or None,
        "phone": customer.phone or None,
        "region": customer.region or None,
        "city": customer.city or None,
        "birth_date": customer.birth_date or None,
        "gender": GENDERS.to_json(customer.gender),
        "tags": list(customer.tags),
        "preferences": dict(customer.preferences),
        "source": SOURCES.to_json(customer.acquisition_source),
        "owner_id": customer.owner_id or None,
        "partner_id": customer.partner_id or None,
        "blacklisted": customer.blacklisted,
        "blacklist_reason": customer.blacklist_reason or None,
        "merged_into_id": customer.merged_into_id or None,
        "consents": consents,
        "version": customer.version,
        "created_at": timestamp_to_json(customer, "created_at"),
        "updated_at": timestamp_to_json(customer, "updated_at"),
    }


def _customer_fields(
    body: schemas.CustomerCreate | schemas.CustomerPatch, fields: Iterable[str]
) -> customer_pb2.Customer:
    """A Customer with the named JSON fields of `body` set; null becomes the empty value."""
    customer = customer_pb2.Customer()
    for field in fields:
        value = getattr(body, field)
        if field == "kind":
            customer.kind = PARTY_KINDS.to_proto(value)
        elif field == "gender":
            customer.gender = GENDERS.to_proto(value)
        elif field == "source":
            customer.acquisition_source = SOURCES.to_proto(value)
        elif field == "birth_date":
            customer.birth_date = value.isoformat() if isinstance(value, date) else ""
        elif field == "tags":
            customer.tags.extend(value or [])
        elif field == "preferences":
            customer.preferences.update(value or {})
        elif field == "partner_id":
            customer.partner_id = str(value) if value else ""
        else:
            setattr(customer, field, value or "")
    return customer


def create_customer_request(
    body: schemas.CustomerCreate, idempotency_key: str | None
) -> customer_pb2.CreateCustomerRequest:
    return customer_pb2.CreateCustomerRequest(
        customer=_customer_fields(body, type(body).model_fields),
        idempotency_key=idempotency_key or "",
    )


def get_customer_request(customer_id: str) -> customer_pb2.GetCustomerRequest:
    return customer_pb2.GetCustomerRequest(id=customer_id)


def update_customer_request(
    customer_id: str, body: schemas.CustomerPatch, expected_version: int | None
) -> customer_pb2.UpdateCustomerRequest:
    """Only the fields present in the body go into the update mask (paths relative to Customer)."""
    fields = body.changed_fields
    customer = _customer_fields(body, fields)
    customer.id = customer_id
    return customer_pb2.UpdateCustomerRequest(
        customer=customer,
        update_mask=field_mask_pb2.FieldMask(
            paths=[_CUSTOMER_PROTO_FIELDS.get(field, field) for field in fields]
        ),
        expected_version=expected_version or 0,
    )


def _page(query: schemas.PageQuery) -> common_pb2.PageRequest:
    return common_pb2.PageRequest(page_size=query.page_size or 0, page_token=query.page_token or "")


def list_customers_request(query: schemas.CustomerListQuery) -> customer_pb2.ListCustomersRequest:
    return customer_pb2.ListCustomersRequest(
        page=_page(query),
        region=query.region or "",
        tag=query.tag or "",
        source=SOURCES.to_proto(query.source),
        query=query.q or "",
        partner_id=str(query.partner_id) if query.partner_id else "",
    )


def customer_page_to_json(response: customer_pb2.ListCustomersResponse) -> Json:
    return {
        "items": [customer_to_json(c) for c in response.customers],
        "next_page_token": response.page.next_page_token or None,
    }


def merge_request(
    survivor_id: str, body: schemas.MergeRequest
) -> customer_pb2.MergeCustomersRequest:
    return customer_pb2.MergeCustomersRequest(
        survivor_id=survivor_id, merged_id=str(body.merged_id)
    )


def blacklist_request(
    customer_id: str, body: schemas.BlacklistRequest
) -> customer_pb2.BlacklistCustomerRequest:
    return customer_pb2.BlacklistCustomerRequest(id=customer_id, reason=body.reason)


def unblacklist_request(
    customer_id: str, body: schemas.UnblacklistRequest
) -> customer_pb2.UnblacklistCustomerRequest:
    return customer_pb2.UnblacklistCustomerRequest(id=customer_id, reason=body.reason or "")


def recognize_request(body: schemas.RecognizeRequest) -> customer_pb2.RecognizeCustomerRequest:
    return customer_pb2.RecognizeCustomerRequest(email=body.email or "", phone=body.phone or "")


def recognition_to_json(response: customer_pb2.RecognizeCustomerResponse) -> Json:
    return {
        "recognition": RECOGNITIONS.to_json(response.recognition),
        "customer": customer_to_json(response.customer) if response.HasField("customer") else None,
    }


def consent_request(
    customer_id: str, channel: str, body: schemas.ConsentRequest
) -> customer_pb2.SetConsentRequest:
    return customer_pb2.SetConsentRequest(
        id=customer_id, channel=CONSENT_CHANNELS.to_proto(channel), granted=body.granted
    )


def log_interaction_request(
    customer_id: str, body: schemas.InteractionCreate
) -> customer_pb2.LogInteractionRequest:
    request = customer_pb2.LogInteractionRequest(
        customer_id=customer_id,
        channel=INTERACTION_CHANNELS.to_proto(body.channel),
        summary=body.summary,
    )
    if body.occurred_at is not None:
        request.occurred_at.CopyFrom(_timestamp(body.occurred_at))
    return request


def list_interactions_request(
    customer_id: str, query: schemas.PageQuery
) -> customer_pb2.ListInteractionsRequest:
    return customer_pb2.ListInteractionsRequest(customer_id=customer_id, page=_page(query))


def interaction_to_json(interaction: customer_pb2.Interaction) -> Json:
    return {
        "id": interaction.id,
        "customer_id": interaction.customer_id,
        "channel": INTERACTION_CHANNELS.to_json(interaction.channel),
        "summary": interaction.summary,
        "occurred_at": timestamp_to_json(interaction, "occurred_at"),
        "actor": {
            "subject": interaction.actor.subject,
            "kind": ACTOR_KINDS.to_json(interaction.actor.kind),
        }
        if interaction.HasField("actor")
        else None,
    }


def interaction_page_to_json(response: customer_pb2.ListInteractionsResponse) -> Json:
    return {
        "items": [interaction_to_json(i) for i in response.interactions],
        "next_page_token": response.page.next_page_token or None,
    }


def segments_request() -> analytics_pb2.GetDemographicSegmentsRequest:
    return analytics_pb2.GetDemographicSegmentsRequest()


def _counts(segments: Iterable[analytics_pb2.SegmentCount]) -> list[Json]:
    """In the backend's order (largest first; age bands in age order), which a map would lose."""
    return [{"key": segment.key, "count": segment.count} for segment in segments]


def segments_to_json(segments: analytics_pb2.DemographicSegments) -> Json:
    return {
        "total_customers": segments.total_customers,
        "by_region": _counts(segments.by_region),
        "by_gender": _counts(segments.by_gender),
        "by_age_band": _counts(segments.by_age_band),
        "by_source": _counts(segments.by_source),
        "blacklisted_customers": segments.blacklisted_customers,
        "merged_customers": segments.merged_customers,
        "as_of": timestamp_to_json(segments, "as_of"),
    }
