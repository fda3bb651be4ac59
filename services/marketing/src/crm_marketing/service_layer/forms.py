"""The lead form use cases: marketers define forms; anyone submits one, and each accepted
submission is stored with its `LeadCaptured` in one transaction (the outbox publishes it).

A submission whose honeypot is filled is answered as if accepted, with an id nothing refers to,
and kept nowhere: a robot learns nothing from the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import Conflict, NotFound
from crm_platform.paging import Page

from crm_marketing.domain.forms import FormField, LeadForm, Submission, Utm
from crm_marketing.domain.values import Actor
from crm_marketing.service_layer.ports import UnitOfWork


@dataclass(frozen=True)
class FormInput:
    name: str
    campaign_id: UUID | None
    required_fields: frozenset[FormField]
    active: bool


@dataclass(frozen=True)
class FormAnswers:
    values: dict[FormField, str]
    consent_email: bool
    consent_sms: bool
    consent_phone: bool
    utm: Utm
    honeypot: str  # people leave it empty


@dataclass(frozen=True)
class Captured:
    lead_id: UUID
    captured_at: datetime


class FormHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def create(self, actor: Actor, form: FormInput) -> LeadForm:
        created = LeadForm.define(
            id=uuid.uuid4(),
            name=form.name,
            campaign_id=form.campaign_id,
            required_fields=form.required_fields,
            active=form.active,
            actor=actor,
            now=self.clock(),
        )
        with self.uow_factory() as uow:
            uow.forms.add(created)
            uow.commit()
        return created

    def get(self, form_id: UUID) -> LeadForm:
        with self.uow_factory() as uow:
            return _form(uow, form_id)

    def list(self, *, page_size: int, page_token: str) -> Page[LeadForm]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.forms.list(after, limit + 1)
        return paging.page_of(rows, limit, lambda form: (form.created_at, form.id))

    def update(
        self, actor: Actor, form_id: UUID, form: FormInput, expected_version: int
    ) -> LeadForm:
        with self.uow_factory() as uow:
            found = _form(uow, form_id)
            if expected_version and expected_version != found.version:
                raise Conflict(
                    f"form {form_id} is at version {found.version}, not {expected_version}"
                )
            found.revise(
                name=form.name,
                campaign_id=form.campaign_id,
                required_fields=form.required_fields,
                active=form.active,
                actor=actor,
                now=self.clock(),
            )
            uow.forms.save(found)
            uow.commit()
        return found

    def submissions(self, form_id: UUID, *, page_size: int, page_token: str) -> Page[Submission]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            _form(uow, form_id)
            rows = uow.submissions.list(form_id, after, limit + 1)
        return paging.page_of(rows, limit, lambda found: (found.captured_at, found.id))

    def submit(self, actor: Actor, form_id: UUID, answers: FormAnswers) -> Captured:
        """`actor`: a public caller is the system (nobody signed in)."""
        now = self.clock()
        with self.uow_factory() as uow:
            form = _form(uow, form_id)
            submission = Submission.of(
                id=uuid.uuid4(),
                form=form,
                values=answers.values,
                consent_email=answers.consent_email,
                consent_sms=answers.consent_sms,
                consent_phone=answers.consent_phone,
                utm=answers.utm,
                actor=actor,
                now=now,
            )
            if answers.honeypot.strip():
                return Captured(submission.id, now)  # checked like any, then dropped
            uow.submissions.add(submission)
            uow.commit()
        return Captured(submission.id, now)


def _form(uow: UnitOfWork, form_id: UUID) -> LeadForm:
    found = uow.forms.get(form_id)
    if found is None:
        raise NotFound(f"no form {form_id}")
    return found
