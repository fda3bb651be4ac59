"""A partner's scorecard, counted from the assignments offered to it: how often and how fast
it accepts, how the accepted work ended (opportunities won, orders delivered on time), and the
customers' satisfaction with its work."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from crm_partner.domain.assignments import AssignmentView, OfferAnswer, WorkOutcome


@dataclass(frozen=True)
class Scorecard:
    partner_id: UUID
    offers: int
    accepted: int
    declined: int
    expired: int
    mean_acceptance_seconds: float
    won: int
    lost: int
    delivered: int
    delivered_on_time: int
    csat_responses: int
    mean_csat: float

    @property
    def acceptance_rate(self) -> float:
        return _share(self.accepted, self.accepted + self.declined + self.expired)

    @property
    def win_rate(self) -> float:
        return _share(self.won, self.won + self.lost)

    @property
    def on_time_rate(self) -> float:
        return _share(self.delivered_on_time, self.delivered)


def scorecard(
    partner_id: UUID, assignments: Iterable[AssignmentView], csat: Iterable[int] = ()
) -> Scorecard:
    answers: dict[OfferAnswer, int] = dict.fromkeys(OfferAnswer, 0)
    waits: list[float] = []
    outcomes: dict[WorkOutcome, int] = dict.fromkeys(WorkOutcome, 0)
    for assignment in assignments:
        for offer in assignment.offers:
            if offer.partner_id != partner_id:
                continue
            answers[offer.answer] += 1
            if offer.answer is OfferAnswer.ACCEPTED and offer.answered_at is not None:
                waits.append((offer.answered_at - offer.offered_at).total_seconds())
        current = assignment.offers[-1] if assignment.offers else None
        if (
            assignment.outcome is not None
            and current is not None
            and current.partner_id == partner_id
        ):
            outcomes[assignment.outcome] += 1
    scores = list(csat)
    on_time = outcomes[WorkOutcome.DELIVERED_ON_TIME]
    return Scorecard(
        partner_id=partner_id,
        offers=sum(answers.values()),
        accepted=answers[OfferAnswer.ACCEPTED],
        declined=answers[OfferAnswer.DECLINED],
        expired=answers[OfferAnswer.EXPIRED],
        mean_acceptance_seconds=sum(waits) / len(waits) if waits else 0.0,
        won=outcomes[WorkOutcome.WON],
        lost=outcomes[WorkOutcome.LOST],
        delivered=on_time + outcomes[WorkOutcome.DELIVERED_LATE],
        delivered_on_time=on_time,
        csat_responses=len(scores),
        mean_csat=sum(scores) / len(scores) if scores else 0.0,
    )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
