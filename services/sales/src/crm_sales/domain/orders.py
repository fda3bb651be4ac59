"""The order aggregate: a customer's commission taken through the agency's workflow.

    placed -> confirmed -> proposal sent <-> revision requested
           -> proposal approved -> priced -> contract signed (both sides) -> in production
           -> delivered [-> after-sales] -> closed
    cancelled: from any state before the contract is signed

Each step says who may take it (`_TRANSITIONS`). A step first checks the actor, then the state,
then its input, and changes nothing when any of them fails; a step taken raises the version,
adds a record to the history and records an event. Signing the contract makes the payment
milestones, which staff of finance mark paid as the money comes in.

Once priced and before either side signs, the customer's loyalty points may take an amount off
the price, once (`discount`); the milestones and the total paid are the amount due after it.

Pure Python. Times are timezone-aware UTC and are passed in by the caller (`now`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import (
    DomainError,
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_sales.domain import events as domain_events
from crm_sales.domain.contracts import Milestone, PaymentTerms, accept, schedule
from crm_sales.domain.values import Actor, ActorKind, Money, checked_text, who

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 4000
OWNER_MAX_LENGTH = 100
PROPOSAL_MAX_LENGTH = 10000
NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500
REFERENCE_MAX_LENGTH = 200
# The staff roles that may record a payment.
PAYMENT_ROLES = frozenset({"admin", "manager", "finance"})


class OrderState(StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    PROPOSAL_SENT = "proposal_sent"
    REVISION_REQUESTED = "revision_requested"
    PROPOSAL_APPROVED = "proposal_approved"
    PRICED = "priced"
    CONTRACT_SIGNED = "contract_signed"
    IN_PRODUCTION = "in_production"
    DELIVERED = "delivered"
    AFTER_SALES = "after_sales"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class OrderStep(StrEnum):
    CONFIRM = "confirm"
    SEND_PROPOSAL = "send_proposal"
    REQUEST_REVISION = "request_revision"
    APPROVE_PROPOSAL = "approve_proposal"
    PRICE = "price"
    SIGN_CONTRACT = "sign_contract"
    START_PRODUCTION = "start_production"
    DELIVER = "deliver"
    START_AFTER_SALES = "start_after_sales"
    CLOSE = "close"
    CANCEL = "cancel"


# Until both sides have signed, either may walk away.
BEFORE_CONTRACT = frozenset(
    {
        OrderState.PLACED,
        OrderState.CONFIRMED,
        OrderState.PROPOSAL_SENT,
        OrderState.REVISION_REQUESTED,
        OrderState.PROPOSAL_APPROVED,
        OrderState.PRICED,
    }
)
# Once signed, milestones exist and may be paid, whatever the work's progress.
PAYABLE = frozenset(
    {
        OrderState.CONTRACT_SIGNED,
        OrderState.IN_PRODUCTION,
        OrderState.DELIVERED,
        OrderState.AFTER_SALES,
        OrderState.CLOSED,
    }
)


@dataclass
class Signature:
    by: str  # the signer's subject
    at: datetime


@dataclass(frozen=True)
class StepRecord:
    step: OrderStep
    actor: Actor
    at: datetime
    from_state: OrderState
    to_state: OrderState
    note: str | None  # the revision note or the cancellation reason


@dataclass(frozen=True)
class LoyaltyDiscount:
    """Loyalty points the customer redeemed for this order, and what they took off."""

    points: int
    amount: Money


@dataclass(frozen=True)
class Holder:
    """The partner the partner service offered the order to or that took it (partner_id None:
    no partner is left, or it was taken back); shown on the order, never changed by it."""

    assignment_id: UUID
    partner_id: UUID | None
    partner_name: str
    status: str  # offered, accepted, unplaced, withdrawn, completed
    since: datetime


@dataclass
class Order:
    id: UUID
    customer_id: UUID
    title: str
    description: str
    owner_id: str | None  # the sales rep in charge
    state: OrderState
    proposal: str | None
    revisions: int  # how many times the customer asked for a revised proposal
    amount: Money | None
    terms: PaymentTerms | None
    customer_signature: Signature | None
    company_signature: Signature | None
    milestones: list[Milestone]
    cancel_reason: str | None
    history: list[StepRecord]
    version: int
    created_at: datetime
    updated_at: datetime
    partner_id: UUID | None = None  # the partner it is outsourced to
    loyalty_discount: LoyaltyDiscount | None = None
    holder: Holder | None = None  # read beside the order, from the partner service's events
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def place(
        cls,
        *,
        id: UUID,
        customer_id: UUID,
        title: str,
        description: str,
        owner_id: str | None,
        actor: Actor,
        now: datetime,
    ) -> Order:
        """Staff place orders for any customer, a customer only for themselves."""
        if not (actor.is_staff or _is_customer(actor, customer_id)):
            raise PermissionDenied(f"{who(actor)} may not place an order for {customer_id}")
        violations: list[FieldViolation] = []
        texts: dict[str, str] = {}
        for name, value, max_length, required in (
            ("title", title, TITLE_MAX_LENGTH, True),
            ("description", description, DESCRIPTION_MAX_LENGTH, False),
            ("owner_id", owner_id or "", OWNER_MAX_LENGTH, False),
        ):
            try:
                texts[name] = checked_text(value, name, max_length, required=required)
            except ValidationFailed as exc:
                violations.extend(exc.violations)
        if violations:
            raise ValidationFailed(violations)
        order = cls(
            id=id,
            customer_id=customer_id,
            title=texts["title"],
            description=texts["description"],
            owner_id=texts["owner_id"] or None,
            state=OrderState.PLACED,
            proposal=None,
            revisions=0,
            amount=None,
            terms=None,
            customer_signature=None,
            company_signature=None,
            milestones=[],
            cancel_reason=None,
            history=[],
            version=1,
            created_at=now,
            updated_at=now,
        )
        order._events.append(domain_events.OrderPlaced(order.snapshot()))
        return order

    # -- the workflow ---------------------------------------------------------------------------

    def confirm(self, actor: Actor, now: datetime) -> None:
        self._check(OrderStep.CONFIRM, actor)
        self._take(OrderStep.CONFIRM, actor, now)

    def send_proposal(self, actor: Actor, now: datetime, proposal: str) -> None:
        self._check(OrderStep.SEND_PROPOSAL, actor)
        self.proposal = checked_text(proposal, "proposal", PROPOSAL_MAX_LENGTH, required=True)
        self._take(OrderStep.SEND_PROPOSAL, actor, now)

    def request_revision(self, actor: Actor, now: datetime, note: str) -> None:
        self._check(OrderStep.REQUEST_REVISION, actor)
        text = checked_text(note, "note", NOTE_MAX_LENGTH, required=True)
        self.revisions += 1
        self._take(OrderStep.REQUEST_REVISION, actor, now, note=text)

    def approve_proposal(self, actor: Actor, now: datetime) -> None:
        self._check(OrderStep.APPROVE_PROPOSAL, actor)
        self._take(OrderStep.APPROVE_PROPOSAL, actor, now)

    def price(self, actor: Actor, now: datetime, amount: Money, terms: PaymentTerms) -> None:
        self._check(OrderStep.PRICE, actor)
        if amount.amount <= 0:
            raise ValidationFailed(FieldViolation("amount", "must be above 0"))
        schedule(terms, amount, now.date())  # terms that cannot make milestones of this amount
        self.amount, self.terms = amount, terms
        self._take(OrderStep.PRICE, actor, now)

    def sign_contract(self, actor: Actor, now: datetime) -> None:
        """Sign this actor's side; the second signature makes the contract and its milestones."""
        self._check(OrderStep.SIGN_CONTRACT, actor)
        for_customer = self._is_own_customer(actor)
        other_side = self.company_signature if for_customer else self.customer_signature
        milestones: list[Milestone] | None = None
        if other_side is not None:
            amount, terms = self._pricing()
            milestones = schedule(terms, amount, now.date())
        signature = Signature(by=actor.subject, at=now)
        if for_customer:
            self.customer_signature = signature
        else:
            self.company_signature = signature
        if milestones is None:
            self._take(OrderStep.SIGN_CONTRACT, actor, now, to_state=OrderState.PRICED)
        else:
            self.milestones = milestones
            self._take(OrderStep.SIGN_CONTRACT, actor, now)

    def start_production(self, actor: Actor, now: datetime) -> None:
        self._check(OrderStep.START_PRODUCTION, actor)
        self._take(OrderStep.START_PRODUCTION, actor, now)

    def deliver(self, actor: Actor, now: datetime) -> None:
        """The customer accepts the delivery today: milestones anchored on it fall due."""
        self._check(OrderStep.DELIVER, actor)
        accept(self.milestones, now.date())
        self._take(OrderStep.DELIVER, actor, now)

    def start_after_sales(self, actor: Actor, now: datetime) -> None:
        self._check(OrderStep.START_AFTER_SALES, actor)
        self._take(OrderStep.START_AFTER_SALES, actor, now)

    def close(self, actor: Actor, now: datetime) -> None:
        self._check(OrderStep.CLOSE, actor)
        self._take(OrderStep.CLOSE, actor, now)

    def cancel(self, actor: Actor, now: datetime, reason: str) -> None:
        self._check(OrderStep.CANCEL, actor)
        text = checked_text(reason, "reason", REASON_MAX_LENGTH, required=True)
        self.cancel_reason = text
        self._take(OrderStep.CANCEL, actor, now, note=text)

    def check_discountable(self, actor: Actor) -> None:
        """Loyalty points may come off the price now: priced, neither side signed, no discount
        yet, and the actor is staff or the order's customer."""
        if not _staff_or_customer(self, actor):
            raise PermissionDenied(f"{who(actor)} may not redeem points for order {self.id}")
        if self.state is not OrderState.PRICED or self.customer_signature or self.company_signature:
            raise FailedPrecondition(
                f"order {self.id} is {self.state}: points come off a priced order before it is "
                "signed"
            )
        if self.loyalty_discount is not None:
            raise FailedPrecondition(f"points were redeemed for order {self.id} already")

    def discount(self, actor: Actor, now: datetime, points: int, amount: Money) -> None:
        """Take the redeemed points' worth off the price: less than the whole price, in its
        currency."""
        self.check_discountable(actor)
        price, _terms = self._pricing()
        if amount.currency != price.currency:
            raise FailedPrecondition(
                f"the discount is in {amount.currency}, order {self.id} in {price.currency}"
            )
        if amount.amount >= price.amount:
            raise ValidationFailed(
                FieldViolation("points", f"are worth {amount.amount}: not less than the price")
            )
        self.loyalty_discount = LoyaltyDiscount(points, amount)
        self._touch(now)
        self._events.append(domain_events.OrderDiscounted(self.snapshot(), points, amount, actor))

    @property
    def amount_due(self) -> Money | None:
        """The price less the loyalty discount: what the milestones ask for."""
        if self.amount is None or self.loyalty_discount is None:
            return self.amount
        return Money(self.amount.amount - self.loyalty_discount.amount.amount, self.amount.currency)

    def pay_milestone(self, actor: Actor, now: datetime, number: int, reference: str) -> None:
        """Record the payment of milestone `number`; paying the last unpaid one pays the order."""
        if not (actor.kind is ActorKind.STAFF and actor.roles & PAYMENT_ROLES):
            raise PermissionDenied(f"{who(actor)} may not record payments of order {self.id}")
        if self.state not in PAYABLE:
            raise FailedPrecondition(
                f"order {self.id} is {self.state}: it has no contract to pay milestones of"
            )
        milestone = next((m for m in self.milestones if m.number == number), None)
        if milestone is None:
            raise FailedPrecondition(f"order {self.id} has no milestone {number}")
        if milestone.is_paid:
            raise FailedPrecondition(f"milestone {number} of order {self.id} is already paid")
        text = checked_text(reference, "reference", REFERENCE_MAX_LENGTH, required=True)
        milestone.paid_at, milestone.reference = now, text
        self._touch(now)
        self._events.append(
            domain_events.PaymentMilestonePaid(
                order_id=self.id,
                version=self.version,
                number=number,
                amount=milestone.amount,
                reference=text,
                actor=actor,
                customer_id=self.customer_id,
            )
        )
        if all(m.is_paid for m in self.milestones):
            self._events.append(
                domain_events.OrderPaid(
                    order_id=self.id,
                    version=self.version,
                    customer_id=self.customer_id,
                    total=self._pricing()[0],
                    actor=actor,
                )
            )

    def assign_partner(self, actor: Actor, now: datetime, partner_id: UUID | None) -> None:
        """Outsource the order to a partner (None: take it back), a manager's decision, while
        there is work left on it."""
        if not actor.is_manager:
            raise PermissionDenied(f"{who(actor)} may not outsource order {self.id}")
        if self.state in (OrderState.CLOSED, OrderState.CANCELLED):
            raise FailedPrecondition(f"order {self.id} is {self.state}: nothing to outsource")
        if partner_id == self.partner_id:
            return  # already so: no change, no event
        previous, self.partner_id = self.partner_id, partner_id
        self._touch(now)
        self._events.append(domain_events.OrderPartnerAssigned(self.snapshot(), previous, actor))

    def relink_customer(self, actor: Actor, now: datetime, survivor_id: UUID) -> None:
        """Its customer was merged into `survivor_id` (whoever merged them: no check of the
        actor): in whatever state, the order is the survivor's now."""
        if self.customer_id == survivor_id:
            return
        previous, self.customer_id = self.customer_id, survivor_id
        self._touch(now)
        self._events.append(domain_events.OrderCustomerChanged(self.snapshot(), previous, actor))

    # -- queries --------------------------------------------------------------------------------

    def allowed_steps(self, actor: Actor) -> list[OrderStep]:
        """The steps this actor could take now, in workflow order (for the UI)."""
        return [step for step in OrderStep if self._refusal(step, actor) is None]

    def snapshot(self) -> domain_events.OrderSnapshot:
        """The order as it stands, for an event: later changes do not show through."""
        return domain_events.OrderSnapshot(
            id=self.id,
            customer_id=self.customer_id,
            title=self.title,
            owner_id=self.owner_id,
            partner_id=self.partner_id,
            state=self.state,
            amount=self.amount,
            revisions=self.revisions,
            version=self.version,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def pull_events(self) -> list[object]:
        """The events recorded since the last pull, each handed out once."""
        pulled, self._events = self._events, []
        return pulled

    # -- the rules of a step --------------------------------------------------------------------

    def _refusal(self, step: OrderStep, actor: Actor) -> DomainError | None:
        """Why this actor may not take `step` now, or None when they may."""
        transition = _TRANSITIONS[step]
        if not transition.who(self, actor):
            return PermissionDenied(f"{who(actor)} may not {step} order {self.id}")
        if self.state not in transition.sources:
            return FailedPrecondition(f"order {self.id} is {self.state}: it cannot {step}")
        if step is OrderStep.SIGN_CONTRACT:
            side, signature = (
                ("customer", self.customer_signature)
                if self._is_own_customer(actor)
                else ("company", self.company_signature)
            )
            if signature is not None:
                return FailedPrecondition(f"the {side} side of order {self.id} is already signed")
        return None

    def _check(self, step: OrderStep, actor: Actor) -> None:
        refusal = self._refusal(step, actor)
        if refusal is not None:
            raise refusal

    def _take(
        self,
        step: OrderStep,
        actor: Actor,
        now: datetime,
        *,
        note: str | None = None,
        to_state: OrderState | None = None,
    ) -> None:
        """Take a step already checked: the state moves to its target (or `to_state`)."""
        from_state, self.state = self.state, to_state or _TRANSITIONS[step].target
        self._touch(now)
        self.history.append(StepRecord(step, actor, now, from_state, self.state, note))
        snapshot = self.snapshot()
        if step is OrderStep.CANCEL:
            self._events.append(domain_events.OrderCancelled(snapshot, note or "", actor))
        else:
            self._events.append(
                domain_events.OrderStepTaken(snapshot, step, from_state, self.state, actor, note)
            )

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def _pricing(self) -> tuple[Money, PaymentTerms]:
        """The amount due and the terms it is paid on."""
        due = self.amount_due
        if due is None or self.terms is None:
            raise FailedPrecondition(f"order {self.id} has not been priced")
        return due, self.terms

    def _is_own_customer(self, actor: Actor) -> bool:
        return _is_customer(actor, self.customer_id)


@dataclass(frozen=True)
class _Transition:
    sources: frozenset[OrderState]
    target: OrderState
    who: Callable[[Order, Actor], bool]


def _staff(order: Order, actor: Actor) -> bool:
    return actor.is_staff


def _manager(order: Order, actor: Actor) -> bool:
    return actor.is_manager


def _customer(order: Order, actor: Actor) -> bool:
    return order._is_own_customer(actor)


def _staff_or_customer(order: Order, actor: Actor) -> bool:
    return actor.is_staff or order._is_own_customer(actor)


_S = OrderState
_TRANSITIONS: dict[OrderStep, _Transition] = {
    OrderStep.CONFIRM: _Transition(frozenset({_S.PLACED}), _S.CONFIRMED, _staff),
    OrderStep.SEND_PROPOSAL: _Transition(
        frozenset({_S.CONFIRMED, _S.REVISION_REQUESTED}), _S.PROPOSAL_SENT, _staff
    ),
    OrderStep.REQUEST_REVISION: _Transition(
        frozenset({_S.PROPOSAL_SENT}), _S.REVISION_REQUESTED, _customer
    ),
    OrderStep.APPROVE_PROPOSAL: _Transition(
        frozenset({_S.PROPOSAL_SENT}), _S.PROPOSAL_APPROVED, _customer
    ),
    OrderStep.PRICE: _Transition(frozenset({_S.PROPOSAL_APPROVED}), _S.PRICED, _manager),
    # The customer signs their side, staff the company's; the order stays priced until both have.
    OrderStep.SIGN_CONTRACT: _Transition(
        frozenset({_S.PRICED}), _S.CONTRACT_SIGNED, _staff_or_customer
    ),
    OrderStep.START_PRODUCTION: _Transition(
        frozenset({_S.CONTRACT_SIGNED}), _S.IN_PRODUCTION, _staff
    ),
    OrderStep.DELIVER: _Transition(frozenset({_S.IN_PRODUCTION}), _S.DELIVERED, _staff),
    OrderStep.START_AFTER_SALES: _Transition(frozenset({_S.DELIVERED}), _S.AFTER_SALES, _staff),
    OrderStep.CLOSE: _Transition(frozenset({_S.DELIVERED, _S.AFTER_SALES}), _S.CLOSED, _manager),
    OrderStep.CANCEL: _Transition(BEFORE_CONTRACT, _S.CANCELLED, _staff_or_customer),
}


def _is_customer(actor: Actor, customer_id: UUID) -> bool:
    return actor.kind is ActorKind.CUSTOMER and actor.customer_id == customer_id
