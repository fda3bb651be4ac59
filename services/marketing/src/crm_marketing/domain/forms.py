"""Lead capture forms: a marketer defines which fields a form asks (and which it requires) and
the campaign it belongs to; anyone may submit it, without an account. Each accepted submission
is a `LeadCaptured`, which the sales service turns into a lead. Pure Python; times passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FailedPrecondition, FieldViolation, ValidationFailed

from crm_marketing.domain.values import Actor, checked_text, require_marketing_staff

NAME_MAX_LENGTH = 200


class FormField(StrEnum):
    NAME = "name"
    COMPANY = "company"
    EMAIL = "email"
    PHONE = "phone"
    REGION = "region"
    CITY = "city"
    COMPANY_SIZE = "company_size"


# the longest value each field of a submission may hold
FIELD_MAX_LENGTHS = {
    FormField.NAME: 200,
    FormField.COMPANY: 200,
    FormField.EMAIL: 254,
    FormField.PHONE: 40,
    FormField.REGION: 100,
    FormField.CITY: 100,
    FormField.COMPANY_SIZE: 20,
}
COMPANY_SIZES = frozenset({"solo", "small", "medium", "large", "enterprise"})
UTM_MAX_LENGTH = 100


@dataclass
class LeadForm:
    id: UUID
    name: str
    campaign_id: UUID | None  # None: the website's own form
    required_fields: frozenset[FormField]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def define(
        cls,
        *,
        id: UUID,
        name: str,
        campaign_id: UUID | None,
        required_fields: frozenset[FormField],
        active: bool,
        actor: Actor,
        now: datetime,
    ) -> LeadForm:
        form = cls(id, "", campaign_id, frozenset(), active, 0, now, now)
        form.revise(
            name=name,
            campaign_id=campaign_id,
            required_fields=required_fields,
            active=active,
            actor=actor,
            now=now,
        )
        return form

    def revise(
        self,
        *,
        name: str,
        campaign_id: UUID | None,
        required_fields: frozenset[FormField],
        active: bool,
        actor: Actor,
        now: datetime,
    ) -> None:
        require_marketing_staff(actor, "define lead forms")
        self.name = checked_text(name, "form.name", NAME_MAX_LENGTH, required=True)
        if not required_fields & {FormField.EMAIL, FormField.PHONE}:
            raise ValidationFailed(
                FieldViolation("form.required_fields", "must require email or phone (or both)")
            )
        self.campaign_id, self.required_fields, self.active = campaign_id, required_fields, active
        self.version += 1
        self.updated_at = now

    def pull_events(self) -> list[object]:
        """A form's definition publishes nothing; its submissions do."""
        return []


@dataclass(frozen=True)
class Utm:
    source: str = ""
    medium: str = ""
    campaign: str = ""


@dataclass
class Submission:
    """One accepted submission of a form: the lead captured."""

    id: UUID  # the lead id sales makes its lead by, once
    form_id: UUID
    campaign_id: UUID | None
    values: dict[FormField, str]
    consent_email: bool
    consent_sms: bool
    consent_phone: bool
    utm: Utm
    captured_at: datetime
    version: int = 1
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        *,
        id: UUID,
        form: LeadForm,
        values: dict[FormField, str],
        consent_email: bool,
        consent_sms: bool,
        consent_phone: bool,
        utm: Utm,
        actor: Actor,
        now: datetime,
    ) -> Submission:
        """A submission of `form`: its required fields present, every field within its size."""
        if not form.active:
            raise FailedPrecondition(f"form {form.id} takes no submissions")
        violations: list[FieldViolation] = []
        checked: dict[FormField, str] = {}
        for name in FormField:
            try:
                text = checked_text(
                    values.get(name, ""),
                    name.value,
                    FIELD_MAX_LENGTHS[name],
                    required=name in form.required_fields,
                )
            except ValidationFailed as exc:
                violations.extend(exc.violations)
                continue
            if name is FormField.COMPANY_SIZE and text:
                text = text.lower()
                if text not in COMPANY_SIZES:
                    violations.append(
                        FieldViolation(
                            name.value, f"must be one of {', '.join(sorted(COMPANY_SIZES))}"
                        )
                    )
            if text:
                checked[name] = text
        utm_texts = []
        for utm_field, value in (
            ("utm_source", utm.source),
            ("utm_medium", utm.medium),
            ("utm_campaign", utm.campaign),
        ):
            try:
                utm_texts.append(checked_text(value, utm_field, UTM_MAX_LENGTH))
            except ValidationFailed as exc:
                violations.extend(exc.violations)
        if violations:
            raise ValidationFailed(violations)
        submission = cls(
            id=id,
            form_id=form.id,
            campaign_id=form.campaign_id,
            values=checked,
            consent_email=consent_email,
            consent_sms=consent_sms,
            consent_phone=consent_phone,
            utm=Utm(*utm_texts),
            captured_at=now,
        )
        submission._events.append(LeadCaptured.of(submission, actor))
        return submission

    def pull_events(self) -> list[object]:
        pulled, self._events = self._events, []
        return pulled


@dataclass(frozen=True)
class LeadCaptured:
    subject_id: UUID  # the submission, which is the lead id
    version: int
    actor: Actor
    form_id: UUID
    campaign_id: UUID | None
    values: tuple[tuple[FormField, str], ...]
    consent_email: bool
    consent_sms: bool
    consent_phone: bool
    utm: Utm
    captured_at: datetime

    @classmethod
    def of(cls, submission: Submission, actor: Actor) -> LeadCaptured:
        return cls(
            submission.id,
            submission.version,
            actor,
            submission.form_id,
            submission.campaign_id,
            tuple(submission.values.items()),
            submission.consent_email,
            submission.consent_sms,
            submission.consent_phone,
            submission.utm,
            submission.captured_at,
        )

    def value(self, name: FormField) -> str:
        return dict(self.values).get(name, "")
