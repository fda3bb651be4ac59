"""Domain values <-> protobuf messages of crm.sales.v1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from crm_platform.enums import EnumCodec
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import sales_pb2

from crm_sales.domain.contracts import Anchor, Milestone, PaymentTerms, TermKind, TermLine
from crm_sales.domain.events import OrderSnapshot
from crm_sales.domain.orders import Order, OrderState, OrderStep, Signature, StepRecord
from crm_sales.domain.values import Actor, ActorKind, Money

ORDER_STATES = EnumCodec(OrderState, sales_pb2.OrderState)
ORDER_STEPS = EnumCodec(OrderStep, sales_pb2.OrderStep)
TERM_KINDS = EnumCodec(TermKind, sales_pb2.TermKind)
ANCHORS = EnumCodec(Anchor, sales_pb2.Anchor)
ACTOR_KINDS = EnumCodec(ActorKind, common_pb2.ActorKind)


def order_to_proto(order: Order, viewer: Actor, *, today: date) -> sales_pb2.Order:
    """The order as `viewer` sees it: with the steps they may take now."""
    message = sales_pb2.Order(
        id=str(order.id),
        customer_id=str(order.customer_id),
        title=order.title,
        description=order.description,
        owner_id=order.owner_id or "",
        partner_id=str(order.partner_id or ""),
        state=ORDER_STATES.to_proto(order.state),
        proposal=order.proposal or "",
        revisions=order.revisions,
        milestones=[_milestone(m, today) for m in order.milestones],
        cancel_reason=order.cancel_reason or "",
        history=[_step(record) for record in order.history],
        allowed_steps=[ORDER_STEPS.to_proto(step) for step in order.allowed_steps(viewer)],
        version=order.version,
        created_at=timestamp(order.created_at),
        updated_at=timestamp(order.updated_at),
    )
    if order.amount is not None:
        message.amount.CopyFrom(money_to_proto(order.amount))
    if order.amount_due is not None:
        message.amount_due.CopyFrom(money_to_proto(order.amount_due))
    if order.loyalty_discount is not None:
        message.loyalty_discount.points = order.loyalty_discount.points
        message.loyalty_discount.amount.CopyFrom(money_to_proto(order.loyalty_discount.amount))
    if order.holder is not None:
        message.holder.CopyFrom(
            sales_pb2.OrderHolder(
                assignment_id=str(order.holder.assignment_id),
                partner_id=str(order.holder.partner_id or ""),
                partner_name=order.holder.partner_name,
                status=order.holder.status,
                since=timestamp(order.holder.since),
            )
        )
    if order.terms is not None:
        message.terms.CopyFrom(terms_to_proto(order.terms))
    if order.customer_signature is not None:
        message.customer_signature.CopyFrom(_signature(order.customer_signature))
    if order.company_signature is not None:
        message.company_signature.CopyFrom(_signature(order.company_signature))
    return message


def money_to_proto(money: Money) -> common_pb2.Money:
    return common_pb2.Money(currency_code=money.currency, amount=str(money.amount))


def money_from_proto(message: common_pb2.Money, field: str) -> Money:
    try:
        amount = Decimal(message.amount)
    except InvalidOperation:
        raise ValidationFailed(FieldViolation(f"{field}.amount", "is not a decimal")) from None
    return Money.of(amount, message.currency_code)


def terms_to_proto(terms: PaymentTerms) -> sales_pb2.PaymentTerms:
    return sales_pb2.PaymentTerms(
        name=terms.name,
        lines=[
            sales_pb2.TermLine(
                label=line.label,
                kind=TERM_KINDS.to_proto(line.kind),
                value="" if line.value is None else str(line.value),
                anchor=ANCHORS.to_proto(line.anchor),
                days=line.days,
                months=line.months,
            )
            for line in terms.lines
        ],
    )


def terms_from_proto(message: sales_pb2.PaymentTerms, field: str) -> PaymentTerms:
    lines = []
    for index, line in enumerate(message.lines):
        at = f"{field}.lines[{index}]"
        value = None
        if line.value:
            try:
                value = Decimal(line.value)
            except InvalidOperation:
                raise ValidationFailed(FieldViolation(f"{at}.value", "is not a decimal")) from None
        lines.append(
            TermLine(
                label=line.label.strip(),
                kind=TERM_KINDS.required(line.kind, f"{at}.kind"),
                value=value,
                anchor=ANCHORS.required(line.anchor, f"{at}.anchor"),
                days=line.days,
                months=line.months,
            )
        )
    return PaymentTerms(name=message.name.strip() or "custom", lines=tuple(lines))


def actor_to_proto(actor: Actor) -> common_pb2.Actor:
    return common_pb2.Actor(subject=actor.subject, kind=ACTOR_KINDS.to_proto(actor.kind))


def _milestone(milestone: Milestone, today: date) -> sales_pb2.Milestone:
    message = sales_pb2.Milestone(
        number=milestone.number,
        label=milestone.label,
        amount=money_to_proto(milestone.amount),
        anchor=ANCHORS.to_proto(milestone.anchor),
        due_date="" if milestone.due_date is None else milestone.due_date.isoformat(),
        reference=milestone.reference or "",
        overdue=milestone.is_overdue(today),
    )
    if milestone.paid_at is not None:
        message.paid_at.CopyFrom(timestamp(milestone.paid_at))
    return message


def _signature(signature: Signature) -> sales_pb2.Signature:
    return sales_pb2.Signature(by=signature.by, at=timestamp(signature.at))


def _step(record: StepRecord) -> sales_pb2.StepRecord:
    return sales_pb2.StepRecord(
        step=ORDER_STEPS.to_proto(record.step),
        actor=actor_to_proto(record.actor),
        at=timestamp(record.at),
        from_state=ORDER_STATES.to_proto(record.from_state),
        to_state=ORDER_STATES.to_proto(record.to_state),
        note=record.note or "",
    )


def snapshot_to_proto(snapshot: OrderSnapshot) -> sales_pb2.Order:
    """An order as events carry it: the fields subscribers read."""
    message = sales_pb2.Order(
        id=str(snapshot.id),
        customer_id=str(snapshot.customer_id),
        title=snapshot.title,
        owner_id=snapshot.owner_id or "",
        partner_id=str(snapshot.partner_id or ""),
        state=ORDER_STATES.to_proto(snapshot.state),
        revisions=snapshot.revisions,
        version=snapshot.version,
        created_at=timestamp(snapshot.created_at),
        updated_at=timestamp(snapshot.updated_at),
    )
    if snapshot.amount is not None:
        message.amount.CopyFrom(money_to_proto(snapshot.amount))
    return message
