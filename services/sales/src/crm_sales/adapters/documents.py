"""An order's JSON document (the `document` column): the aggregate's fields that are not
columns, as JSON values (decimals and times as strings), and back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_sales.domain.contracts import Anchor, Milestone, PaymentTerms, TermKind, TermLine
from crm_sales.domain.orders import (
    LoyaltyDiscount,
    Order,
    OrderState,
    OrderStep,
    Signature,
    StepRecord,
)
from crm_sales.domain.values import Actor, ActorKind, Money

Json = dict[str, Any]


def to_document(order: Order) -> Json:
    return {
        "description": order.description,
        "proposal": order.proposal,
        "revisions": order.revisions,
        "amount": _money(order.amount),
        "terms": None if order.terms is None else _terms(order.terms),
        "customer_signature": _signature(order.customer_signature),
        "company_signature": _signature(order.company_signature),
        "milestones": [_milestone(m) for m in order.milestones],
        "cancel_reason": order.cancel_reason,
        "history": [_step(record) for record in order.history],
        "loyalty_discount": _discount(order.loyalty_discount),
    }


def from_row(row: Any) -> Order:
    document: Json = row.document
    return Order(
        id=row.id,
        customer_id=row.customer_id,
        title=row.title,
        description=document["description"],
        owner_id=row.owner_id,
        partner_id=row.partner_id,
        state=OrderState(row.state),
        proposal=document["proposal"],
        revisions=document["revisions"],
        amount=_money_of(document["amount"]),
        terms=None if document["terms"] is None else _terms_of(document["terms"]),
        customer_signature=_signature_of(document["customer_signature"]),
        company_signature=_signature_of(document["company_signature"]),
        milestones=[_milestone_of(m) for m in document["milestones"]],
        cancel_reason=document["cancel_reason"],
        history=[_step_of(record) for record in document["history"]],
        # documents written before loyalty discounts existed have none
        loyalty_discount=_discount_of(document.get("loyalty_discount")),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _money(money: Money | None) -> Json | None:
    return None if money is None else {"amount": str(money.amount), "currency": money.currency}


def _money_of(value: Json | None) -> Money | None:
    return None if value is None else Money(Decimal(value["amount"]), value["currency"])


def _discount(discount: LoyaltyDiscount | None) -> Json | None:
    if discount is None:
        return None
    money = discount.amount
    return {"points": discount.points, "amount": str(money.amount), "currency": money.currency}


def _discount_of(value: Json | None) -> LoyaltyDiscount | None:
    if value is None:
        return None
    return LoyaltyDiscount(value["points"], Money(Decimal(value["amount"]), value["currency"]))


def _terms(terms: PaymentTerms) -> Json:
    return {
        "name": terms.name,
        "lines": [
            {
                "label": line.label,
                "kind": line.kind.value,
                "value": None if line.value is None else str(line.value),
                "anchor": line.anchor.value,
                "days": line.days,
                "months": line.months,
            }
            for line in terms.lines
        ],
    }


def _terms_of(value: Json) -> PaymentTerms:
    return PaymentTerms(
        name=value["name"],
        lines=tuple(
            TermLine(
                label=line["label"],
                kind=TermKind(line["kind"]),
                value=None if line["value"] is None else Decimal(line["value"]),
                anchor=Anchor(line["anchor"]),
                days=line["days"],
                months=line["months"],
            )
            for line in value["lines"]
        ),
    )


def _signature(signature: Signature | None) -> Json | None:
    return None if signature is None else {"by": signature.by, "at": signature.at.isoformat()}


def _signature_of(value: Json | None) -> Signature | None:
    return None if value is None else Signature(value["by"], datetime.fromisoformat(value["at"]))


def _milestone(milestone: Milestone) -> Json:
    return {
        "number": milestone.number,
        "label": milestone.label,
        "amount": _money(milestone.amount),
        "anchor": milestone.anchor.value,
        "days": milestone.days,
        "months": milestone.months,
        "due_date": None if milestone.due_date is None else milestone.due_date.isoformat(),
        "paid_at": None if milestone.paid_at is None else milestone.paid_at.isoformat(),
        "reference": milestone.reference,
    }


def _milestone_of(value: Json) -> Milestone:
    amount = _money_of(value["amount"])
    assert amount is not None
    return Milestone(
        number=value["number"],
        label=value["label"],
        amount=amount,
        anchor=Anchor(value["anchor"]),
        days=value["days"],
        months=value["months"],
        due_date=None if value["due_date"] is None else date.fromisoformat(value["due_date"]),
        paid_at=None if value["paid_at"] is None else datetime.fromisoformat(value["paid_at"]),
        reference=value["reference"],
    )


def _actor(actor: Actor) -> Json:
    return {
        "subject": actor.subject,
        "kind": actor.kind.value,
        "roles": sorted(actor.roles),
        "customer_id": None if actor.customer_id is None else str(actor.customer_id),
    }


def _actor_of(value: Json) -> Actor:
    customer_id = value["customer_id"]
    return Actor(
        subject=value["subject"],
        kind=ActorKind(value["kind"]),
        roles=frozenset(value["roles"]),
        customer_id=None if customer_id is None else UUID(customer_id),
    )


def _step(record: StepRecord) -> Json:
    return {
        "step": record.step.value,
        "actor": _actor(record.actor),
        "at": record.at.isoformat(),
        "from_state": record.from_state.value,
        "to_state": record.to_state.value,
        "note": record.note,
    }


def _step_of(value: Json) -> StepRecord:
    return StepRecord(
        step=OrderStep(value["step"]),
        actor=_actor_of(value["actor"]),
        at=datetime.fromisoformat(value["at"]),
        from_state=OrderState(value["from_state"]),
        to_state=OrderState(value["to_state"]),
        note=value["note"],
    )
