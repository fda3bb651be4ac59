"""The gRPC servicer: request -> handler -> response.

The chassis checks each request against the `rules` of sales.proto before it gets here; what
needs the service (an amount, payment terms) becomes ValidationFailed with the field's path.
The caller is the principal the chassis authenticated: its kind, roles and, for a customer, the
customer id of the token.
"""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.sales.v1 import sales_pb2, sales_pb2_grpc

from crm_sales.adapters.messages import (
    ORDER_STATES,
    money_from_proto,
    order_to_proto,
    terms_from_proto,
)
from crm_sales.domain.contracts import DEFAULT_TERMS
from crm_sales.domain.orders import Order
from crm_sales.domain.values import Actor
from crm_sales.entrypoints.actors import caller
from crm_sales.service_layer.handlers import OrderHandlers, Step

SERVICE = sales_pb2.DESCRIPTOR.services_by_name["SalesService"]


class SalesServicer(sales_pb2_grpc.SalesServiceServicer):
    def __init__(self, orders: OrderHandlers) -> None:
        self.orders = orders

    def PlaceOrder(
        self, request: sales_pb2.PlaceOrderRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        actor = caller()
        order = self.orders.place(
            actor,
            customer_id=parsing.optional_uuid(request.customer_id, "customer_id"),
            title=request.title,
            description=request.description,
            owner_id=request.owner_id.strip() or None,
            idempotency_key=request.idempotency_key or None,
        )
        return _answer(order, actor)

    def GetOrder(
        self, request: sales_pb2.GetOrderRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        actor = caller()
        return _answer(self.orders.get(actor, parsing.uuid(request.id, "id")), actor)

    def ListOrders(
        self, request: sales_pb2.ListOrdersRequest, context: grpc.ServicerContext
    ) -> sales_pb2.ListOrdersResponse:
        actor = caller()
        page = self.orders.list(
            actor,
            state=ORDER_STATES.optional(request.state, "state"),
            customer_id=parsing.optional_uuid(request.customer_id, "customer_id"),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = sales_pb2.ListOrdersResponse(
            orders=[_answer(order, actor) for order in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def ConfirmOrder(
        self, request: sales_pb2.OrderStepRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(request, Order.confirm)

    def SendProposal(
        self, request: sales_pb2.SendProposalRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(
            request, lambda order, actor, now: order.send_proposal(actor, now, request.proposal)
        )

    def RequestRevision(
        self, request: sales_pb2.RequestRevisionRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(
            request, lambda order, actor, now: order.request_revision(actor, now, request.note)
        )

    def ApproveProposal(
        self, request: sales_pb2.OrderStepRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(request, Order.approve_proposal)

    def PriceOrder(
        self, request: sales_pb2.PriceOrderRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        amount = money_from_proto(request.amount, "amount")
        terms = terms_from_proto(request.terms, "terms") if request.terms.lines else DEFAULT_TERMS
        return self._take(request, lambda order, actor, now: order.price(actor, now, amount, terms))

    def SignContract(
        self, request: sales_pb2.OrderStepRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(request, Order.sign_contract)

    def StartProduction(
        self, request: sales_pb2.OrderStepRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(request, Order.start_production)

    def DeliverOrder(
        self, request: sales_pb2.OrderStepRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(request, Order.deliver)

    def StartAfterSales(
        self, request: sales_pb2.OrderStepRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(request, Order.start_after_sales)

    def CloseOrder(
        self, request: sales_pb2.OrderStepRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(request, Order.close)

    def CancelOrder(
        self, request: sales_pb2.CancelOrderRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(
            request, lambda order, actor, now: order.cancel(actor, now, request.reason)
        )

    def AssignOrderPartner(
        self, request: sales_pb2.AssignOrderPartnerRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        partner_id = parsing.optional_uuid(request.partner_id, "partner_id")
        return self._take(
            request, lambda order, actor, now: order.assign_partner(actor, now, partner_id)
        )

    def PayMilestone(
        self, request: sales_pb2.PayMilestoneRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        return self._take(
            request,
            lambda order, actor, now: order.pay_milestone(
                actor, now, request.number, request.reference
            ),
        )

    def RedeemLoyaltyPoints(
        self, request: sales_pb2.RedeemLoyaltyPointsRequest, context: grpc.ServicerContext
    ) -> sales_pb2.Order:
        actor = caller()
        order = self.orders.redeem_points(
            actor, parsing.uuid(request.id, "id"), request.expected_version, request.points
        )
        return _answer(order, actor)

    def _take(self, request: _StepRequest, step: Step) -> sales_pb2.Order:
        actor = caller()
        order = self.orders.take(
            actor, parsing.uuid(request.id, "id"), request.expected_version, step
        )
        return _answer(order, actor)


_StepRequest = (
    sales_pb2.OrderStepRequest
    | sales_pb2.SendProposalRequest
    | sales_pb2.RequestRevisionRequest
    | sales_pb2.PriceOrderRequest
    | sales_pb2.CancelOrderRequest
    | sales_pb2.PayMilestoneRequest
    | sales_pb2.AssignOrderPartnerRequest
)


def _answer(order: Order, viewer: Actor) -> sales_pb2.Order:
    return order_to_proto(order, viewer, today=datetime.now(UTC).date())


def binding(orders: OrderHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name, SalesServicer(orders), sales_pb2_grpc.add_SalesServiceServicer_to_server
    )
