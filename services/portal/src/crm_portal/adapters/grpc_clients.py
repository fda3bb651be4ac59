"""gRPC clients of the services behind the gateway, one per backend service.

Every call has an explicit deadline; the chassis channel adds the correlation id and the
caller's token to the metadata and retries UNAVAILABLE for the idempotent methods only.
"""

from __future__ import annotations

import grpc
from crm_platform.grpc_client import open_channel
from crm_proto.crm.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from crm_proto.crm.customer.v1 import customer_pb2, customer_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crm_portal.adapters.backends import Backends

CUSTOMER_SERVICE = "crm.customer.v1.CustomerService"
ANALYTICS_SERVICE = "crm.analytics.v1.AnalyticsService"
HEALTH_SERVICE = "grpc.health.v1.Health"

QUERY_DEADLINE = 2.0  # seconds; includes the retries of an idempotent call
COMMAND_DEADLINE = 5.0
HEALTH_DEADLINE = 0.5  # /readyz asks both backends in turn within a probe's timeout

HEALTH_METHODS = [(HEALTH_SERVICE, "Check")]
CUSTOMER_IDEMPOTENT_METHODS = [
    (CUSTOMER_SERVICE, "GetCustomer"),
    (CUSTOMER_SERVICE, "ListCustomers"),
    (CUSTOMER_SERVICE, "RecognizeCustomer"),
    (CUSTOMER_SERVICE, "ListInteractions"),
    *HEALTH_METHODS,
]
ANALYTICS_IDEMPOTENT_METHODS = [(ANALYTICS_SERVICE, "GetDemographicSegments"), *HEALTH_METHODS]


def _is_serving(channel: grpc.Channel) -> bool:
    """The server's overall health (service name ""), which follows its dependencies."""
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        response = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=HEALTH_DEADLINE)
    except grpc.RpcError:
        return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


class CustomerClient:
    def __init__(self, channel: grpc.Channel) -> None:
        self._channel = channel
        self._stub = customer_pb2_grpc.CustomerServiceStub(channel)

    def is_serving(self) -> bool:
        return _is_serving(self._channel)

    def create_customer(self, request: customer_pb2.CreateCustomerRequest) -> customer_pb2.Customer:
        return self._stub.CreateCustomer(request, timeout=COMMAND_DEADLINE)

    def get_customer(self, request: customer_pb2.GetCustomerRequest) -> customer_pb2.Customer:
        return self._stub.GetCustomer(request, timeout=QUERY_DEADLINE)

    def update_customer(self, request: customer_pb2.UpdateCustomerRequest) -> customer_pb2.Customer:
        return self._stub.UpdateCustomer(request, timeout=COMMAND_DEADLINE)

    def list_customers(
        self, request: customer_pb2.ListCustomersRequest
    ) -> customer_pb2.ListCustomersResponse:
        return self._stub.ListCustomers(request, timeout=QUERY_DEADLINE)

    def merge_customers(self, request: customer_pb2.MergeCustomersRequest) -> customer_pb2.Customer:
        return self._stub.MergeCustomers(request, timeout=COMMAND_DEADLINE)

    def blacklist_customer(
        self, request: customer_pb2.BlacklistCustomerRequest
    ) -> customer_pb2.Customer:
        return self._stub.BlacklistCustomer(request, timeout=COMMAND_DEADLINE)

    def unblacklist_customer(
        self, request: customer_pb2.UnblacklistCustomerRequest
    ) -> customer_pb2.Customer:
        return self._stub.UnblacklistCustomer(request, timeout=COMMAND_DEADLINE)

    def recognize_customer(
        self, request: customer_pb2.RecognizeCustomerRequest
    ) -> customer_pb2.RecognizeCustomerResponse:
        return self._stub.RecognizeCustomer(request, timeout=QUERY_DEADLINE)

    def set_consent(self, request: customer_pb2.SetConsentRequest) -> customer_pb2.Customer:
        return self._stub.SetConsent(request, timeout=COMMAND_DEADLINE)

    def log_interaction(
        self, request: customer_pb2.LogInteractionRequest
    ) -> customer_pb2.Interaction:
        return self._stub.LogInteraction(request, timeout=COMMAND_DEADLINE)

    def list_interactions(
        self, request: customer_pb2.ListInteractionsRequest
    ) -> customer_pb2.ListInteractionsResponse:
        return self._stub.ListInteractions(request, timeout=QUERY_DEADLINE)


class AnalyticsClient:
    def __init__(self, channel: grpc.Channel) -> None:
        self._channel = channel
        self._stub = analytics_pb2_grpc.AnalyticsServiceStub(channel)

    def is_serving(self) -> bool:
        return _is_serving(self._channel)

    def get_demographic_segments(
        self, request: analytics_pb2.GetDemographicSegmentsRequest
    ) -> analytics_pb2.DemographicSegments:
        return self._stub.GetDemographicSegments(request, timeout=QUERY_DEADLINE)


def connect(customer_target: str, analytics_target: str) -> Backends:
    """Open one channel per backend service. Channels connect on first use and reconnect by
    themselves, so a backend that starts later is picked up without restarting the portal."""
    return Backends(
        customers=CustomerClient(
            open_channel(customer_target, idempotent_methods=CUSTOMER_IDEMPOTENT_METHODS)
        ),
        analytics=AnalyticsClient(
            open_channel(analytics_target, idempotent_methods=ANALYTICS_IDEMPOTENT_METHODS)
        ),
    )
