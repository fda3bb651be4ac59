"""Service agreements and the SLA clocks of a case.

An agreement gives a customer (or one delivered order of theirs: after-sales) a policy, the
first-response and resolution targets by priority and case type, counted in the business
hours of its working calendar. A case without one gets the default policy (settings). The
targets and the calendar are fixed on the case's clocks when it opens (clocks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_platform.calendar import CalendarSpec
from crm_platform.errors import FieldViolation, PermissionDenied, ValidationFailed

from crm_service.domain.cases import CasePriority, CaseType
from crm_service.domain.clocks import ClockKind
from crm_service.domain.values import Actor

NAME_MAX_LENGTH = 200
ORDER_REF_MAX_LENGTH = 100
# a target of more than a year of working minutes is a typing error
TARGET_MAX_MINUTES = 365 * 24 * 60


@dataclass(frozen=True)
class Target:
    """The targets (business minutes) of the cases it matches: a case type, a priority, both,
    or neither (the policy's fallback)."""

    first_response_minutes: int
    resolution_minutes: int
    case_type: CaseType | None = None
    priority: CasePriority | None = None

    def minutes(self, kind: ClockKind) -> int:
        if kind is ClockKind.FIRST_RESPONSE:
            return self.first_response_minutes
        return self.resolution_minutes

    @property
    def specificity(self) -> int:
        return (self.case_type is not None) * 2 + (self.priority is not None)


@dataclass(frozen=True)
class SlaPolicy:
    targets: tuple[Target, ...]

    def checked(self) -> SlaPolicy:
        violations = []
        keys = [(target.case_type, target.priority) for target in self.targets]
        if (None, None) not in keys:
            violations.append(
                FieldViolation("policy.targets", "give a target for any type and priority")
            )
        if len(set(keys)) != len(keys):
            violations.append(
                FieldViolation("policy.targets", "one target per case type and priority")
            )
        for index, target in enumerate(self.targets):
            for name in ("first_response_minutes", "resolution_minutes"):
                value = getattr(target, name)
                if not 1 <= value <= TARGET_MAX_MINUTES:
                    violations.append(
                        FieldViolation(
                            f"policy.targets[{index}].{name}",
                            f"must be 1 to {TARGET_MAX_MINUTES} minutes",
                        )
                    )
        if violations:
            raise ValidationFailed(violations)
        return self

    def target_for(self, case_type: CaseType, priority: CasePriority) -> Target:
        """The most specific matching target: type and priority, then type, then priority,
        then the fallback."""
        matching = [
            target
            for target in self.targets
            if target.case_type in (None, case_type) and target.priority in (None, priority)
        ]
        return max(matching, key=lambda target: target.specificity)


@dataclass
class Agreement:
    id: UUID
    customer_id: UUID
    order_ref: str  # "": every case of the customer; else the after-sales cases of that order
    name: str
    policy: SlaPolicy
    calendar: CalendarSpec
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def make(
        cls,
        *,
        id: UUID,
        customer_id: UUID,
        order_ref: str,
        name: str,
        policy: SlaPolicy,
        calendar: CalendarSpec,
        actor: Actor,
        now: datetime,
    ) -> Agreement:
        _may_manage(actor)
        agreement = cls(id, customer_id, "", "", policy, calendar, 1, now, now)
        agreement._set(order_ref, name, policy, calendar)
        return agreement

    def change(
        self,
        actor: Actor,
        now: datetime,
        *,
        name: str,
        policy: SlaPolicy,
        calendar: CalendarSpec,
    ) -> None:
        """New terms apply to the cases opened from now on."""
        _may_manage(actor)
        self._set(self.order_ref, name, policy, calendar)
        self.version += 1
        self.updated_at = now

    def _set(self, order_ref: str, name: str, policy: SlaPolicy, calendar: CalendarSpec) -> None:
        violations = []
        name, order_ref = " ".join(name.split()), order_ref.strip()
        if not name or len(name) > NAME_MAX_LENGTH:
            violations.append(FieldViolation("name", f"must be 1 to {NAME_MAX_LENGTH} characters"))
        if len(order_ref) > ORDER_REF_MAX_LENGTH:
            violations.append(
                FieldViolation("order_ref", f"must be at most {ORDER_REF_MAX_LENGTH} characters")
            )
        for check in (policy.checked, calendar.checked):
            try:
                check()
            except ValidationFailed as exc:
                violations.extend(exc.violations)
        if violations:
            raise ValidationFailed(violations)
        self.order_ref, self.name = order_ref, name
        self.policy, self.calendar = policy, calendar.checked()


def _may_manage(actor: Actor) -> None:
    if not actor.is_manager:
        raise PermissionDenied("only service managers set service agreements")


def agreement_for(
    agreements: list[Agreement], case_type: CaseType, order_ref: str
) -> Agreement | None:
    """Of a customer's agreements, the one a case falls under: an after-sales case's own
    order's, else the customer's general one."""
    if case_type is CaseType.AFTER_SALES and order_ref:
        for agreement in agreements:
            if agreement.order_ref == order_ref:
                return agreement
    return next((agreement for agreement in agreements if not agreement.order_ref), None)
