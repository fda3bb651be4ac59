"""The satisfaction survey: made (and mailed with its signed link) in the transaction that
resolves a case, answered once by the case's customer in the portal or by whoever holds the
link, and counted per agent and team."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from crm_platform.errors import NotFound

from crm_service.domain.cases import Case
from crm_service.domain.outbound import MailKind, OutboundMail, thread_subject
from crm_service.domain.surveys import Results, Survey, results_of
from crm_service.domain.values import Actor
from crm_service.service_layer.ports import SurveyLinks, UnitOfWork
from crm_service.service_layer.visibility import scope_of


def survey_resolved(
    uow: UnitOfWork, case: Case, links: SurveyLinks, new_mail_id: Callable[[], str], now: datetime
) -> None:
    """The survey of a case just resolved, and its mail to the contact; a case resolved again
    after a reopening keeps the survey it has."""
    if uow.surveys.of_case(case.id) is not None:
        return
    agent = None if case.owner_id is None else uow.routing.agent(case.owner_id)
    survey = Survey.of_resolved(
        case, id=uuid.uuid4(), team_id=None if agent is None else agent.team_id, now=now
    )
    uow.surveys.add(survey)
    if case.contact.email:
        uow.outbound.add(
            OutboundMail.queue(
                id=uuid.uuid4(),
                case_id=case.id,
                kind=MailKind.SURVEY,
                to=case.contact.email,
                subject=thread_subject(case),
                body=(
                    f"Your case {case.reference} is resolved: {case.resolution}\n\n"
                    "How satisfied are you with our help? Answer from 1 (not at all) to 5 "
                    f"(very) here:\n{links.url(survey.id)}\n"
                ),
                mail_id=new_mail_id(),
                now=now,
            )
        )


class SurveyHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        links: SurveyLinks,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.links = links
        self.clock = clock

    def of_case(self, actor: Actor, case_id: UUID) -> Survey:
        with self.uow_factory() as uow:
            return _of_visible_case(uow, actor, case_id)

    def answer_for_case(self, actor: Actor, case_id: UUID, *, score: int, comment: str) -> Survey:
        with self.uow_factory() as uow:
            survey = _of_visible_case(uow, actor, case_id)
            survey.answer(actor, self.clock(), score=score, comment=comment)
            uow.surveys.save(survey)
            uow.commit()
        return survey

    def by_token(self, token: str) -> Survey:
        with self.uow_factory() as uow:
            return self._by_token(uow, token)

    def answer_by_token(self, token: str, *, score: int, comment: str) -> Survey:
        with self.uow_factory() as uow:
            survey = self._by_token(uow, token)
            survey.answer(None, self.clock(), score=score, comment=comment)
            uow.surveys.save(survey)
            uow.commit()
        return survey

    def results(self, since: datetime | None) -> Results:
        with self.uow_factory() as uow:
            return results_of(uow.surveys.answered_since(since))

    def _by_token(self, uow: UnitOfWork, token: str) -> Survey:
        survey_id = self.links.read(token)
        survey = None if survey_id is None else uow.surveys.get(survey_id)
        if survey is None:
            raise NotFound("no such survey")
        return survey


def _of_visible_case(uow: UnitOfWork, actor: Actor, case_id: UUID) -> Survey:
    case = uow.cases.get(case_id)
    if case is None or not scope_of(actor, uow.teams).admits(
        owner_id=case.owner_id, customer_id=case.customer_id
    ):
        raise NotFound(f"no case {case_id}")
    survey = uow.surveys.of_case(case_id)
    if survey is None:
        raise NotFound(f"case {case_id} has no survey: it is not resolved yet")
    return survey
