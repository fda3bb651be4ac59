"""Lead forms and their submissions over SQLAlchemy Core. A stale form version is a Conflict."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_marketing.adapters.catalog_repository import update_versioned
from crm_marketing.adapters.orm import form_submissions, lead_forms
from crm_marketing.domain.forms import FormField, LeadForm, Submission, Utm


def _before(table: sa.Table, column: str, after: Cursor | None) -> sa.ColumnElement[bool]:
    """Keyset position: rows before (time, id) in newest-first order."""
    if after is None:
        return sa.true()
    moment, row_id = after
    return sa.tuple_(table.c[column], table.c.id) < sa.tuple_(
        sa.literal(moment, table.c[column].type), sa.literal(row_id, table.c.id.type)
    )


class SqlFormRepository:
    def __init__(self, session: Session, track: Callable[[LeadForm], None]) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, int] = {}

    def get(self, form_id: UUID) -> LeadForm | None:
        row = self.session.execute(sa.select(lead_forms).where(lead_forms.c.id == form_id)).first()
        return None if row is None else self._loaded_form(row)

    def add(self, form: LeadForm) -> None:
        self.session.execute(sa.insert(lead_forms).values(_form_values(form)))
        self._loaded[form.id] = form.version
        self._track(form)

    def save(self, form: LeadForm) -> None:
        read = self._loaded[form.id]
        if form.version != read:
            update_versioned(self.session, lead_forms, form.id, read, _form_values(form))
            self._loaded[form.id] = form.version

    def list(self, after: Cursor | None, limit: int) -> list[LeadForm]:
        statement = (
            sa.select(lead_forms)
            .where(_before(lead_forms, "created_at", after))
            .order_by(lead_forms.c.created_at.desc(), lead_forms.c.id.desc())
            .limit(limit)
        )
        return [self._loaded_form(row) for row in self.session.execute(statement)]

    def _loaded_form(self, row: Any) -> LeadForm:
        form = LeadForm(
            id=row.id,
            name=row.document["name"],
            campaign_id=row.campaign_id,
            required_fields=frozenset(FormField(name) for name in row.document["required_fields"]),
            active=row.active,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._loaded[form.id] = form.version
        self._track(form)
        return form


def _form_values(form: LeadForm) -> dict[str, Any]:
    return {
        "id": form.id,
        "campaign_id": form.campaign_id,
        "active": form.active,
        "document": {
            "name": form.name,
            "required_fields": sorted(name.value for name in form.required_fields),
        },
        "version": form.version,
        "created_at": form.created_at,
        "updated_at": form.updated_at,
    }


class SqlSubmissionRepository:
    def __init__(self, session: Session, track: Callable[[Submission], None]) -> None:
        self.session = session
        self._track = track

    def add(self, submission: Submission) -> None:
        self.session.execute(
            sa.insert(form_submissions).values(
                id=submission.id,
                form_id=submission.form_id,
                campaign_id=submission.campaign_id,
                document={
                    "values": {name.value: text for name, text in submission.values.items()},
                    "consent_email": submission.consent_email,
                    "consent_sms": submission.consent_sms,
                    "consent_phone": submission.consent_phone,
                    "utm": {
                        "source": submission.utm.source,
                        "medium": submission.utm.medium,
                        "campaign": submission.utm.campaign,
                    },
                },
                captured_at=submission.captured_at,
            )
        )
        self._track(submission)

    def list(self, form_id: UUID, after: Cursor | None, limit: int) -> list[Submission]:
        table = form_submissions
        statement = (
            sa.select(table)
            .where(table.c.form_id == form_id)
            .where(_before(table, "captured_at", after))
            .order_by(table.c.captured_at.desc(), table.c.id.desc())
            .limit(limit)
        )
        return [_submission_of(row) for row in self.session.execute(statement)]


def _submission_of(row: Any) -> Submission:
    document = row.document
    captured_at: datetime = row.captured_at
    return Submission(
        id=row.id,
        form_id=row.form_id,
        campaign_id=row.campaign_id,
        values={FormField(name): text for name, text in document["values"].items()},
        consent_email=document["consent_email"],
        consent_sms=document["consent_sms"],
        consent_phone=document["consent_phone"],
        utm=Utm(**document["utm"]),
        captured_at=captured_at,
    )
