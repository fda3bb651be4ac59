"""What the gateway needs from the services behind it, one protocol per backend service.

The gRPC clients implement these; unit tests pass fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from crm_proto.crm.analytics.v1 import analytics_pb2
from crm_proto.crm.customer.v1 import customer_pb2


class HealthChecked(Protocol):
    def is_serving(self) -> bool: ...


class CustomerBackend(HealthChecked, Protocol):
    def create_customer(
        self, request: customer_pb2.CreateCustomerRequest
    ) -> customer_pb2.Customer: ...

    def get_customer(self, request: customer_pb2.GetCustomerRequest) -> customer_pb2.Customer: ...

    def update_customer(
        self, request: customer_pb2.UpdateCustomerRequest
    ) -> customer_pb2.Customer: ...

    def list_customers(
        self, request: customer_pb2.ListCustomersRequest
    ) -> customer_pb2.ListCustomersResponse: ...

    def merge_customers(
        self, request: customer_pb2.MergeCustomersRequest
    ) -> customer_pb2.Customer: ...

    def blacklist_customer(
        self, request: customer_pb2.BlacklistCustomerRequest
    ) -> customer_pb2.Customer: ...

    def unblacklist_customer(
        self, request: customer_pb2.UnblacklistCustomerRequest
    ) -> customer_pb2.Customer: ...

    def recognize_customer(
        self, request: customer_pb2.RecognizeCustomerRequest
    ) -> customer_pb2.RecognizeCustomerResponse: ...

    def set_consent(self, request: customer_pb2.SetConsentRequest) -> customer_pb2.Customer: ...

    def log_interaction(
        self, request: customer_pb2.LogInteractionRequest
    ) -> customer_pb2.Interaction: ...

    def list_interactions(
        self, request: customer_pb2.ListInteractionsRequest
    ) -> customer_pb2.ListInteractionsResponse: ...


class AnalyticsBackend(HealthChecked, Protocol):
    def get_demographic_segments(
        self, request: analytics_pb2.GetDemographicSegmentsRequest
    ) -> analytics_pb2.DemographicSegments: ...


@dataclass(frozen=True)
class Backends:
    customers: CustomerBackend
    analytics: AnalyticsBackend
