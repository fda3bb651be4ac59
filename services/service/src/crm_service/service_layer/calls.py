"""The phone channel: a call the telephony system reports (or staff log) is recognized by the
caller's number from the service's copy of the customers' contacts, and added to the caller's
newest open case, or opens a phone case for them, in one transaction with its `CallLogged`
(which the customer service puts on the customer's timeline)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from crm_platform.errors import FieldViolation, ValidationFailed

from crm_service.domain.cases import (
    Call,
    CallDirection,
    Case,
    CaseChannel,
    CaseDetails,
    CasePriority,
    CaseType,
    Contact,
)
from crm_service.domain.contacts import phone_key
from crm_service.domain.values import Actor
from crm_service.service_layer import contacts
from crm_service.service_layer.cases import CaseHandlers
from crm_service.service_layer.ports import UnitOfWork

MAX_DIGITS = 15  # E.164


@dataclass(frozen=True)
class LoggedCall:
    call: Call
    case: Case
    opened: bool  # a new case was opened for it


class CallHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        cases: CaseHandlers,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.cases = cases
        self.clock = clock

    def log(
        self,
        actor: Actor,
        *,
        phone: str,
        direction: CallDirection,
        duration_seconds: int,
        recording_url: str,
        started_at: datetime | None,
    ) -> LoggedCall:
        number = phone_key(phone)
        if not 7 <= len(number) - 1 <= MAX_DIGITS:
            raise ValidationFailed(FieldViolation("phone", "is not a telephone number"))
        now = self.clock()
        if started_at is not None and started_at > now:
            raise ValidationFailed(FieldViolation("started_at", "must not be in the future"))
        call = Call(
            id=uuid.uuid4(),
            phone=number,
            direction=direction,
            duration_seconds=duration_seconds,
            recording_url=recording_url.strip(),
            started_at=started_at or now,
        )
        with self.uow_factory() as uow:
            recognized = contacts.by_phone(uow, number)
            case = uow.cases.latest_open_of(recognized.customer_id, number)
            opened = case is None
            if case is None:
                case = self.cases.open_in(
                    uow,
                    actor,
                    details=CaseDetails(
                        CaseType.INQUIRY, CasePriority.NORMAL, f"Phone call with {number}"
                    ),
                    channel=CaseChannel.PHONE,
                    contact=Contact(phone=number),
                    recognized=recognized,
                )
            case.log_call(actor, now, message_id=uuid.uuid4(), call=call)
            uow.cases.save(case)
            uow.commit()
        return LoggedCall(call, case, opened)
