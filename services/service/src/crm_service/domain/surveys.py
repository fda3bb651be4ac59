"""The satisfaction (CSAT) survey of a resolved case: made when the case is resolved, mailed to
its contact with a signed link and shown in the portal, answered once with a score of 1 to 5
and a comment: 4-5 satisfied, 3 okay, 1-2 dissatisfied. It remembers the agent who resolved
the case and their team, whose results it counts toward. Pure Python; times passed in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import (
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_service.domain.cases import Case
from crm_service.domain.values import Actor

COMMENT_MAX_LENGTH = 2000


class Rating(StrEnum):
    SATISFIED = "satisfied"
    OKAY = "okay"
    DISSATISFIED = "dissatisfied"


def rating_of(score: int) -> Rating:
    if score >= 4:
        return Rating.SATISFIED
    return Rating.OKAY if score == 3 else Rating.DISSATISFIED


@dataclass
class Survey:
    id: UUID
    case_id: UUID
    case_reference: str
    case_subject: str
    customer_id: UUID | None
    agent_id: str | None  # the case's owner at its resolution
    team_id: UUID | None  # that agent's team then
    score: int  # 0: not answered yet
    comment: str
    answered_at: datetime | None
    created_at: datetime
    version: int
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def of_resolved(cls, case: Case, *, id: UUID, team_id: UUID | None, now: datetime) -> Survey:
        return cls(
            id=id,
            case_id=case.id,
            case_reference=case.reference,
            case_subject=case.details.subject,
            customer_id=case.customer_id,
            agent_id=case.owner_id,
            team_id=team_id,
            score=0,
            comment="",
            answered_at=None,
            created_at=now,
            version=1,
        )

    @property
    def rating(self) -> Rating | None:
        return None if not self.score else rating_of(self.score)

    def answer(self, actor: Actor | None, now: datetime, *, score: int, comment: str) -> None:
        """By the case's customer (`actor`), or by whoever holds the signed link (None)."""
        if actor is not None and (not actor.is_customer or actor.customer_id != self.customer_id):
            raise PermissionDenied("only the case's customer answers its survey")
        text = comment.strip()
        violations = []
        if not 1 <= score <= 5:
            violations.append(FieldViolation("score", "must be 1 to 5"))
        if len(text) > COMMENT_MAX_LENGTH:
            violations.append(
                FieldViolation("comment", f"must be at most {COMMENT_MAX_LENGTH} characters")
            )
        if violations:
            raise ValidationFailed(violations)
        if self.answered_at is not None:
            raise FailedPrecondition("the survey is answered already")
        self.score, self.comment, self.answered_at = score, text, now
        self.version += 1
        self._events.append(SurveyAnswered(self.snapshot()))

    def snapshot(self) -> Survey:
        return Survey(**{**self.__dict__, "_events": []})

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events


@dataclass(frozen=True)
class SurveyAnswered:
    survey: Survey

    @property
    def subject_id(self) -> UUID:  # the case's: its events keep their order
        return self.survey.case_id

    @property
    def version(self) -> int:
        return self.survey.version


@dataclass(frozen=True)
class Tally:
    """The answered surveys of one agent, one team, or all."""

    id: str
    answered: int = 0
    satisfied: int = 0
    okay: int = 0
    dissatisfied: int = 0
    total_score: int = 0

    def counted(self, survey: Survey) -> Tally:
        rating = rating_of(survey.score)
        return Tally(
            self.id,
            self.answered + 1,
            self.satisfied + (rating is Rating.SATISFIED),
            self.okay + (rating is Rating.OKAY),
            self.dissatisfied + (rating is Rating.DISSATISFIED),
            self.total_score + survey.score,
        )

    @property
    def average_score(self) -> Decimal:
        if not self.answered:
            return Decimal("0.00")
        return (Decimal(self.total_score) / self.answered).quantize(Decimal("0.01"))

    @property
    def csat(self) -> Decimal:
        """Satisfied over answered."""
        if not self.answered:
            return Decimal("0.0000")
        return (Decimal(self.satisfied) / self.answered).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Results:
    overall: Tally
    agents: list[Tally]
    teams: list[Tally]


def results_of(answered: Iterable[Survey]) -> Results:
    overall = Tally("")
    agents: dict[str, Tally] = defaultdict(lambda: Tally(""))
    teams: dict[str, Tally] = defaultdict(lambda: Tally(""))
    for survey in answered:
        overall = overall.counted(survey)
        if survey.agent_id:
            agents[survey.agent_id] = agents[survey.agent_id].counted(survey)
        if survey.team_id:
            teams[str(survey.team_id)] = teams[str(survey.team_id)].counted(survey)
    return Results(
        overall,
        [Tally(key, *_counts(tally)) for key, tally in sorted(agents.items())],
        [Tally(key, *_counts(tally)) for key, tally in sorted(teams.items())],
    )


def _counts(tally: Tally) -> tuple[int, int, int, int, int]:
    return tally.answered, tally.satisfied, tally.okay, tally.dissatisfied, tally.total_score
