"""Stand-ins for the gateway's backends: they record every request (by the method's name in
snake_case) with the correlation id and principal it was made under, answer with canned
messages, or fail as told."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from crm_platform import context, errors, grpc_errors
from crm_platform.testing.tokens import token_verifier
from crm_portal.entrypoints.http import auth
from crm_portal.entrypoints.http.gateway import snake_case
from crm_proto.crm.analytics.v1 import analytics_pb2
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import customer_pb2
from flask import Flask
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.timestamp_pb2 import Timestamp

CUSTOMER_ID = "0b6c3c1e-4a52-4f3e-9b7e-2f1d8f0c9a11"
OTHER_ID = "7d4f5a2b-1c3e-4d6f-8a9b-0c1d2e3f4a5b"


class FakeRpcError(grpc.RpcError):
    """What a gRPC call raises: a status code, a message and the rich details as metadata."""

    def __init__(self, status: grpc.Status) -> None:
        super().__init__(status.details)
        self._status = status

    @classmethod
    def of(cls, error: errors.DomainError) -> FakeRpcError:
        return cls(grpc_errors.status_for(error))

    @classmethod
    def with_code(cls, code: grpc.StatusCode, message: str = "failed") -> FakeRpcError:
        return cls(grpc_errors.status(code, message))

    def code(self) -> grpc.StatusCode:
        return self._status.code

    def details(self) -> str:
        return self._status.details

    def trailing_metadata(self) -> Any:
        return self._status.trailing_metadata


def timestamp(text: str) -> Timestamp:
    value = Timestamp()
    value.FromJsonString(text)
    return value


def sample_customer(customer_id: str = CUSTOMER_ID, **fields: Any) -> customer_pb2.Customer:
    customer = customer_pb2.Customer(
        id=customer_id,
        kind=customer_pb2.PARTY_KIND_PERSON,
        name="Li Na",
        email="li.na@example.com",
        phone="+8613800138000",
        region="east",
        city="Shanghai",
        birth_date="1990-04-01",
        gender=customer_pb2.GENDER_FEMALE,
        tags=["vip"],
        preferences={"language": "zh"},
        acquisition_source=customer_pb2.ACQUISITION_SOURCE_SALES_REP,
        version=3,
        created_at=timestamp("2025-01-02T03:04:05Z"),
        updated_at=timestamp("2025-01-03T03:04:05.250Z"),
    )
    customer.MergeFrom(customer_pb2.Customer(**fields))
    return customer


@dataclass
class Call:
    method: str
    request: Any
    correlation_id: str | None
    principal: context.Principal


@dataclass
class FakeBackend:
    """Answers from `responses` by method name; `failure` is raised by the next call instead."""

    responses: dict[str, Any] = field(default_factory=dict)
    failure: BaseException | None = None
    calls: list[Call] = field(default_factory=list)

    def close(self) -> None:
        """Nothing to release."""

    def call(self, method: MethodDescriptor, request: Any) -> Any:
        return self._answer(snake_case(method.name), request)

    def _answer(self, method: str, request: Any) -> Any:
        self.calls.append(
            Call(method, request, context.correlation_id.get(), context.principal.get())
        )
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        return self.responses[method]

    @property
    def last(self) -> Call:
        return self.calls[-1]


class FakeCustomers(FakeBackend):
    def __init__(self) -> None:
        customer = sample_customer()
        super().__init__(
            responses={
                "create_customer": customer,
                "get_customer": customer,
                "update_customer": customer,
                "merge_customers": customer,
                "blacklist_customer": sample_customer(blacklisted=True, blacklist_reason="fraud"),
                "unblacklist_customer": customer,
                "set_consent": sample_customer(
                    consents=[
                        customer_pb2.Consent(
                            channel=customer_pb2.CONSENT_CHANNEL_EMAIL,
                            granted=True,
                            updated_at=timestamp("2025-02-01T00:00:00Z"),
                        )
                    ]
                ),
                "list_customers": customer_pb2.ListCustomersResponse(
                    customers=[customer],
                    page=common_pb2.PageResponse(next_page_token="next-page"),
                ),
                "recognize_customer": customer_pb2.RecognizeCustomerResponse(
                    recognition=customer_pb2.RECOGNITION_RETURNING, customer=customer
                ),
                "log_interaction": sample_interaction(),
                "list_interactions": customer_pb2.ListInteractionsResponse(
                    interactions=[sample_interaction()]
                ),
            }
        )


class FakeAnalytics(FakeBackend):
    def __init__(self) -> None:
        super().__init__(
            responses={
                "get_demographic_segments": analytics_pb2.DemographicSegments(
                    total_customers=3,
                    by_region=[analytics_pb2.SegmentCount(key="east", count=3)],
                    by_gender=[
                        analytics_pb2.SegmentCount(key="female", count=2),
                        analytics_pb2.SegmentCount(key="unknown", count=1),
                    ],
                    by_age_band=[analytics_pb2.SegmentCount(key="25_34", count=3)],
                    by_source=[analytics_pb2.SegmentCount(key="web", count=3)],
                    blacklisted_customers=1,
                    merged_customers=2,
                    as_of=timestamp("2025-05-01T10:00:00Z"),
                )
            }
        )


def sample_interaction() -> customer_pb2.Interaction:
    return customer_pb2.Interaction(
        id="5e1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        customer_id=CUSTOMER_ID,
        channel=customer_pb2.INTERACTION_CHANNEL_PHONE,
        summary="asked about delivery",
        occurred_at=timestamp("2025-04-01T08:30:00Z"),
        actor=common_pb2.Actor(subject="u-1", kind=common_pb2.ACTOR_KIND_STAFF),
    )


def verifying(app: Flask) -> Flask:
    """`app`, verifying bearer tokens signed with the test key (crm_platform.testing.tokens)."""
    auth.use_verifier(app, token_verifier())
    return app
