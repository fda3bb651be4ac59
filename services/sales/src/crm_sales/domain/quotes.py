"""The quote aggregate: priced lines for a customer, and the way to their answer.

    draft -> [pending approval -> approved] -> sent -> accepted | rejected
    a sent quote past its validity date is expired: it can no longer be answered

A line's amounts are computed in Decimal and rounded half up to the cent per line (the net
after the discount, then its tax); the quote's totals are the sums of the rounded lines, so
that what the customer reads adds up. A line discount above the approval threshold needs a
manager's approval before the quote is sent; changing the lines drops an approval.

Pure Python. Times are timezone-aware UTC and are passed in by the caller (`now`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import (
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_sales.domain.values import CENT, MAX_AMOUNT, Actor, ActorKind, Money, checked_text, who

PRODUCT_CODE_MAX_LENGTH = 64
DESCRIPTION_MAX_LENGTH = 500
REASON_MAX_LENGTH = 500
MAX_LINES = 100
QUANTITY_PLACES = Decimal("0.001")
PERCENT_PLACES = Decimal("0.01")
MAX_QUANTITY = Decimal("1e9")
MAX_LINE_GROSS = MAX_AMOUNT / 2
HUNDRED = Decimal(100)


class QuoteState(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"  # never stored: a sent quote read after its validity date


# The states whose lines may still change (back to draft, any approval dropped).
EDITABLE = frozenset({QuoteState.DRAFT, QuoteState.PENDING_APPROVAL, QuoteState.APPROVED})
# The states a customer sees: the quote was sent to them.
SENT_TO_CUSTOMER = frozenset(
    {QuoteState.SENT, QuoteState.ACCEPTED, QuoteState.REJECTED, QuoteState.EXPIRED}
)


@dataclass(frozen=True)
class PriceSource:
    """The price list (and its rule) a line's unit price came from."""

    price_list_id: str
    rule: str  # the rule's description; empty for the list price


@dataclass(frozen=True)
class QuoteLine:
    product_code: str
    description: str
    quantity: Decimal
    unit_price: Money
    discount_percent: Decimal
    tax_rate_percent: Decimal
    price_source: PriceSource | None = None

    @classmethod
    def of(
        cls,
        *,
        product_code: str,
        description: str,
        quantity: Decimal,
        unit_price: Money,
        discount_percent: Decimal,
        tax_rate_percent: Decimal,
        price_source: PriceSource | None = None,
        at: str = "line",
    ) -> QuoteLine:
        """A line from what a caller gave; every bad field a violation under `at`."""
        violations = line_violations(
            product_code=product_code,
            description=description,
            quantity=quantity,
            discount_percent=discount_percent,
            tax_rate_percent=tax_rate_percent,
            at=at,
        )
        if violations:
            raise ValidationFailed(violations)
        line = cls(
            product_code=product_code.strip(),
            description=description.strip(),
            quantity=quantity,
            unit_price=unit_price,
            discount_percent=discount_percent,
            tax_rate_percent=tax_rate_percent,
            price_source=price_source,
        )
        # its tax is at most its gross: half the ceiling keeps every amount of it below
        if line.unrounded_gross >= MAX_LINE_GROSS:
            raise ValidationFailed(
                FieldViolation(
                    f"{at}.quantity", f"the line must come to less than {MAX_LINE_GROSS:,.0f}"
                )
            )
        return line

    @property
    def unrounded_gross(self) -> Decimal:
        return self.quantity * self.unit_price.amount

    @property
    def gross(self) -> Money:
        return self._money(self.unrounded_gross)

    @property
    def net(self) -> Money:
        """quantity x unit price x (1 - discount), rounded half up to the cent."""
        return self._money(self.unrounded_gross * (HUNDRED - self.discount_percent) / HUNDRED)

    @property
    def discount(self) -> Money:
        return self.gross - self.net

    @property
    def tax(self) -> Money:
        return self._money(self.net.amount * self.tax_rate_percent / HUNDRED)

    def _money(self, amount: Decimal) -> Money:
        return Money(amount.quantize(CENT, rounding=ROUND_HALF_UP), self.unit_price.currency)


def line_violations(
    *,
    product_code: str,
    description: str,
    quantity: Decimal,
    discount_percent: Decimal,
    tax_rate_percent: Decimal,
    at: str,
) -> list[FieldViolation]:
    """What is wrong with a line's fields other than its price (known before it is priced)."""
    violations: list[FieldViolation] = []
    code = product_code.strip()
    if not code:
        violations.append(FieldViolation(f"{at}.product_code", "is required"))
    elif len(code) > PRODUCT_CODE_MAX_LENGTH:
        violations.append(
            FieldViolation(
                f"{at}.product_code", f"must be at most {PRODUCT_CODE_MAX_LENGTH} characters"
            )
        )
    text = description.strip()
    if len(text) > DESCRIPTION_MAX_LENGTH:
        violations.append(
            FieldViolation(
                f"{at}.description", f"must be at most {DESCRIPTION_MAX_LENGTH} characters"
            )
        )
    if not quantity.is_finite() or quantity <= 0 or quantity >= MAX_QUANTITY:
        violations.append(
            FieldViolation(f"{at}.quantity", f"must be above 0 and below {MAX_QUANTITY:,.0f}")
        )
    elif quantity != quantity.quantize(QUANTITY_PLACES):
        violations.append(FieldViolation(f"{at}.quantity", "must have at most 3 decimal places"))
    for name, percent in (
        ("discount_percent", discount_percent),
        ("tax_rate_percent", tax_rate_percent),
    ):
        if not percent.is_finite() or not 0 <= percent <= HUNDRED:
            violations.append(FieldViolation(f"{at}.{name}", "must be between 0 and 100"))
        elif percent != percent.quantize(PERCENT_PLACES):
            violations.append(FieldViolation(f"{at}.{name}", "must have at most 2 decimal places"))
    return violations


@dataclass(frozen=True)
class Totals:
    subtotal: Money  # the lines' gross amounts
    discount_total: Money
    tax_total: Money
    grand_total: Money  # subtotal - discount_total + tax_total


def totals(lines: Sequence[QuoteLine], currency: str) -> Totals:
    """The sums of the rounded lines: each total adds up to what the lines show."""
    subtotal = discount = tax = Money.zero(currency)
    for line in lines:
        subtotal += line.gross
        discount += line.discount
        tax += line.tax
    return Totals(subtotal, discount, tax, subtotal - discount + tax)


@dataclass(frozen=True)
class Approval:
    by: str  # the manager's subject
    at: datetime


@dataclass
class Quote:
    id: UUID
    customer_id: UUID
    opportunity_id: UUID | None
    owner_id: str | None
    currency: str
    valid_until: date
    lines: list[QuoteLine]
    state: QuoteState
    approval: Approval | None
    discount_rejection: str | None  # a manager's reason for refusing the discount
    sent_at: datetime | None
    decided_at: datetime | None  # accepted or rejected
    customer_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        customer_id: UUID,
        opportunity_id: UUID | None,
        owner_id: str | None,
        currency: str,
        valid_until: date,
        lines: Sequence[QuoteLine],
        actor: Actor,
        now: datetime,
    ) -> Quote:
        if not actor.is_staff:
            raise PermissionDenied(f"{who(actor)} may not draft quotes")
        violations: list[FieldViolation] = []
        if valid_until < now.date():
            violations.append(FieldViolation("valid_until", "must be today or later"))
        violations.extend(_lines_violations(lines, currency))
        if violations:
            raise ValidationFailed(violations)
        quote = cls(
            id=id,
            customer_id=customer_id,
            opportunity_id=opportunity_id,
            owner_id=owner_id,
            currency=currency,
            valid_until=valid_until,
            lines=list(lines),
            state=QuoteState.DRAFT,
            approval=None,
            discount_rejection=None,
            sent_at=None,
            decided_at=None,
            customer_reason=None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        quote._record(QuoteCreated, actor)
        return quote

    # -- queries --------------------------------------------------------------------------------

    @property
    def totals(self) -> Totals:
        return totals(self.lines, self.currency)

    def needs_approval(self, threshold: Decimal) -> bool:
        """A line's discount is above `threshold` percent (exactly at it needs none)."""
        return any(line.discount_percent > threshold for line in self.lines)

    def state_on(self, today: date) -> QuoteState:
        """The state as the quote reads on `today`: a sent one past its date is expired."""
        if self.state is QuoteState.SENT and today > self.valid_until:
            return QuoteState.EXPIRED
        return self.state

    # -- the steps ------------------------------------------------------------------------------

    def set_lines(self, actor: Actor, now: datetime, lines: Sequence[QuoteLine]) -> None:
        """New lines for a quote not yet sent: it is a draft again, any approval dropped."""
        self._staff(actor, "change")
        if self.state not in EDITABLE:
            raise FailedPrecondition(f"quote {self.id} is {self.state}: its lines cannot change")
        violations = _lines_violations(lines, self.currency)
        if violations:
            raise ValidationFailed(violations)
        self.lines = list(lines)
        self.state, self.approval = QuoteState.DRAFT, None
        self._touch(now)

    def request_approval(self, actor: Actor, now: datetime, threshold: Decimal) -> None:
        self._staff(actor, "ask approval of")
        if self.state is not QuoteState.DRAFT:
            raise FailedPrecondition(f"quote {self.id} is {self.state}: only a draft is submitted")
        if not self.needs_approval(threshold):
            raise FailedPrecondition(
                f"no line of quote {self.id} has a discount above {threshold} %: send it"
            )
        self.state, self.discount_rejection = QuoteState.PENDING_APPROVAL, None
        self._touch(now)

    def approve(self, actor: Actor, now: datetime) -> None:
        """Another's approval: a manager who owns the quote asks another manager or an admin."""
        self._manager(actor, "approve")
        if actor.subject == self.owner_id:
            raise PermissionDenied(f"{who(actor)} may not approve their own quote {self.id}")
        if self.state is not QuoteState.PENDING_APPROVAL:
            raise FailedPrecondition(f"quote {self.id} is {self.state}: no approval is pending")
        self.state, self.approval = QuoteState.APPROVED, Approval(actor.subject, now)
        self._touch(now)
        self._record(QuoteApproved, actor)

    def reject_discount(self, actor: Actor, now: datetime, reason: str) -> None:
        self._manager(actor, "refuse the discount of")
        if self.state is not QuoteState.PENDING_APPROVAL:
            raise FailedPrecondition(f"quote {self.id} is {self.state}: no approval is pending")
        self.discount_rejection = checked_text(reason, "reason", REASON_MAX_LENGTH, required=True)
        self.state = QuoteState.DRAFT
        self._touch(now)

    def send(self, actor: Actor, now: datetime, threshold: Decimal) -> None:
        self._staff(actor, "send")
        if self.state not in (QuoteState.DRAFT, QuoteState.APPROVED):
            raise FailedPrecondition(f"quote {self.id} is {self.state}: it cannot be sent")
        if self.state is QuoteState.DRAFT and self.needs_approval(threshold):
            raise FailedPrecondition(
                f"quote {self.id} has a discount above {threshold} %: "
                "it needs a manager's approval before it is sent"
            )
        if now.date() > self.valid_until:
            raise FailedPrecondition(f"quote {self.id} was valid until {self.valid_until}")
        self.state, self.sent_at = QuoteState.SENT, now
        self._touch(now)
        self._record(QuoteSent, actor)

    def accept(self, actor: Actor, now: datetime) -> None:
        self._answerable(actor, now, "accept")
        self.state, self.decided_at = QuoteState.ACCEPTED, now
        self._touch(now)
        self._record(QuoteAccepted, actor)

    def reject(self, actor: Actor, now: datetime, reason: str) -> None:
        self._answerable(actor, now, "reject")
        self.customer_reason = checked_text(reason, "reason", REASON_MAX_LENGTH) or None
        self.state, self.decided_at = QuoteState.REJECTED, now
        self._touch(now)
        self._record(QuoteRejected, actor)

    def pull_events(self) -> list[object]:
        """The events recorded since the last pull, each handed out once."""
        pulled, self._events = self._events, []
        return pulled

    # -- rules ----------------------------------------------------------------------------------

    def _staff(self, actor: Actor, what: str) -> None:
        if not actor.is_staff:
            raise PermissionDenied(f"{who(actor)} may not {what} quote {self.id}")

    def _manager(self, actor: Actor, what: str) -> None:
        if not actor.is_manager:
            raise PermissionDenied(f"{who(actor)} may not {what} quote {self.id}")

    def _answerable(self, actor: Actor, now: datetime, what: str) -> None:
        if not (actor.kind is ActorKind.CUSTOMER and actor.customer_id == self.customer_id):
            raise PermissionDenied(f"{who(actor)} may not {what} quote {self.id}")
        state = self.state_on(now.date())
        if state is QuoteState.EXPIRED:
            raise FailedPrecondition(
                f"quote {self.id} expired on {self.valid_until}: ask for a new one"
            )
        if state is not QuoteState.SENT:
            raise FailedPrecondition(f"quote {self.id} is {state}: it cannot be answered")

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def _record(self, kind: type[QuoteEvent], actor: Actor) -> None:
        self._events.append(
            kind(
                subject_id=self.id,
                version=self.version,
                actor=actor,
                customer_id=self.customer_id,
                opportunity_id=self.opportunity_id,
                owner_id=self.owner_id,
                grand_total=self.totals.grand_total,
                valid_until=self.valid_until,
                reason=self.customer_reason,
            )
        )


# -- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteEvent:
    subject_id: UUID  # the quote
    version: int
    actor: Actor
    customer_id: UUID
    opportunity_id: UUID | None
    owner_id: str | None
    grand_total: Money
    valid_until: date
    reason: str | None  # the customer's, when they rejected it


class QuoteCreated(QuoteEvent):
    pass


class QuoteApproved(QuoteEvent):
    pass


class QuoteSent(QuoteEvent):
    pass


class QuoteAccepted(QuoteEvent):
    pass


class QuoteRejected(QuoteEvent):
    pass


def _lines_violations(lines: Sequence[QuoteLine], currency: str) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    if not lines:
        violations.append(FieldViolation("lines", "name at least one line"))
    if len(lines) > MAX_LINES:
        violations.append(FieldViolation("lines", f"must be at most {MAX_LINES}"))
    for index, line in enumerate(lines):
        if line.unit_price.currency != currency:
            violations.append(
                FieldViolation(
                    f"lines[{index}].unit_price.currency_code",
                    f"must be the quote's currency {currency}",
                )
            )
    if (
        not violations
        and sum((line.gross.amount + line.tax.amount for line in lines), Decimal(0)) >= MAX_AMOUNT
    ):
        violations.append(FieldViolation("lines", f"must total less than {MAX_AMOUNT:,.0f}"))
    return violations
