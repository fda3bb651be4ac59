"""The loyalty servicer: request -> handler -> response (crm.customer.v1.LoyaltyService)."""

from __future__ import annotations

from uuid import UUID

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.customer.v1 import loyalty_pb2, loyalty_pb2_grpc

from crm_customer.adapters.messages import LOYALTY_TIERS, loyalty_entry_to_proto
from crm_customer.entrypoints.grpc_api import caller
from crm_customer.service_layer.loyalty import AccountView, LoyaltyHandlers

SERVICE = loyalty_pb2.DESCRIPTOR.services_by_name["LoyaltyService"]


class LoyaltyServicer(loyalty_pb2_grpc.LoyaltyServiceServicer):
    def __init__(self, handlers: LoyaltyHandlers) -> None:
        self.handlers = handlers

    def GetLoyaltyAccount(
        self, request: loyalty_pb2.GetLoyaltyAccountRequest, context: grpc.ServicerContext
    ) -> loyalty_pb2.LoyaltyAccount:
        view = self.handlers.get(caller(), _customer_id(request.customer_id))
        return self._account(view)

    def ListLoyaltyEntries(
        self, request: loyalty_pb2.ListLoyaltyEntriesRequest, context: grpc.ServicerContext
    ) -> loyalty_pb2.ListLoyaltyEntriesResponse:
        page = self.handlers.entries(
            caller(),
            _customer_id(request.customer_id),
            request.page.page_size,
            request.page.page_token,
        )
        response = loyalty_pb2.ListLoyaltyEntriesResponse(
            entries=[loyalty_entry_to_proto(entry) for entry in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def RedeemPoints(
        self, request: loyalty_pb2.RedeemPointsRequest, context: grpc.ServicerContext
    ) -> loyalty_pb2.Redemption:
        redemption = self.handlers.redeem(
            caller(),
            _customer_id(request.customer_id),
            order_id=parsing.uuid(request.order_id, "order_id"),
            points=request.points,
        )
        return loyalty_pb2.Redemption(
            entry=loyalty_entry_to_proto(redemption.entry),
            discount=common_pb2.Money(
                currency_code=request.currency, amount=str(redemption.discount)
            ),
            account=self._account(redemption.account),
        )

    def _account(self, view: AccountView) -> loyalty_pb2.LoyaltyAccount:
        account = view.account
        first = account.lots[0] if account.lots else None
        answer = loyalty_pb2.LoyaltyAccount(
            customer_id=str(account.customer_id),
            balance=account.balance,
            tier=LOYALTY_TIERS.to_proto(view.tier),
            earned_last_year=view.earned_last_year,
            points_to_next_tier=view.points_to_next_tier,
            next_expiring_points=first.remaining if first else 0,
            point_value=str(self.handlers.program.point_value),
            version=account.version,
        )
        if first is not None:
            answer.next_expiry.FromDatetime(first.expires_at)
        return answer


def _customer_id(value: str) -> UUID | None:
    return parsing.uuid(value, "customer_id") if value else None


def binding(handlers: LoyaltyHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        LoyaltyServicer(handlers),
        loyalty_pb2_grpc.add_LoyaltyServiceServicer_to_server,
    )
