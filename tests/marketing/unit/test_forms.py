"""Lead forms over fakes: a submission with the form's required fields is a LeadCaptured with
the form's campaign and the UTM parameters; a missing or oversized field is refused naming it;
a filled honeypot is answered alike and kept nowhere; an inactive form takes nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest
from crm_marketing.domain.forms import FormField, LeadCaptured, Utm
from crm_marketing.service_layer.forms import FormAnswers, FormHandlers, FormInput
from crm_platform.errors import FailedPrecondition, NotFound, PermissionDenied, ValidationFailed

from tests.marketing.unit.fakes import MARKETER, NOW, REP, SYSTEM, FakeUnitOfWork

CAMPAIGN = uuid4()
REQUIRED = frozenset({FormField.NAME, FormField.EMAIL})


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def forms(uow: FakeUnitOfWork) -> FormHandlers:
    return FormHandlers(uow, clock=lambda: NOW)


def answers(honeypot: str = "", **values: str) -> FormAnswers:
    given = {FormField.NAME: "Wang Fang", FormField.EMAIL: "wang@acme.cn",
             FormField.COMPANY_SIZE: "Medium"}  # fmt: skip
    given.update({FormField(name): value for name, value in values.items()})
    return FormAnswers(given, True, False, False, Utm("newsletter", "email", "spring"), honeypot)


def test_a_submission_is_a_lead_captured_with_the_campaign_and_utm(
    forms: FormHandlers, uow: FakeUnitOfWork
) -> None:
    form = forms.create(MARKETER, FormInput("Spring fair", CAMPAIGN, REQUIRED, True))

    captured = forms.submit(SYSTEM, form.id, answers())

    [event] = uow.events
    assert isinstance(event, LeadCaptured)
    assert (event.subject_id, event.form_id, event.campaign_id) == (
        captured.lead_id,
        form.id,
        CAMPAIGN,
    )
    assert (event.value(FormField.EMAIL), event.value(FormField.COMPANY_SIZE)) == (
        "wang@acme.cn", "medium",
    )  # fmt: skip
    assert event.utm == Utm("newsletter", "email", "spring")
    assert (event.version, event.consent_email) == (1, True)
    assert [s.id for s in uow.submissions.rows] == [captured.lead_id]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"email": ""}, "email"),
        ({"name": "   "}, "name"),
        ({"company": "x" * 201}, "company"),
        ({"company_size": "huge"}, "company_size"),
    ],
)
def test_a_bad_submission_is_refused_naming_the_field_and_captures_nothing(
    forms: FormHandlers, uow: FakeUnitOfWork, values: dict[str, str], field: str
) -> None:
    form = forms.create(MARKETER, FormInput("Website", None, REQUIRED, True))

    with pytest.raises(ValidationFailed) as refused:
        forms.submit(SYSTEM, form.id, answers(**values))

    assert [v.field for v in refused.value.violations] == [field]
    assert (uow.events, uow.submissions.rows) == ([], [])


def test_a_filled_honeypot_is_answered_alike_and_kept_nowhere(
    forms: FormHandlers, uow: FakeUnitOfWork
) -> None:
    form = forms.create(MARKETER, FormInput("Website", None, REQUIRED, True))

    captured = forms.submit(SYSTEM, form.id, answers(honeypot="http://spam.example"))

    assert captured.lead_id is not None
    assert (uow.events, uow.submissions.rows) == ([], [])


def test_an_inactive_or_unknown_form_takes_nothing(
    forms: FormHandlers, uow: FakeUnitOfWork
) -> None:
    form = forms.create(MARKETER, FormInput("Closed", None, REQUIRED, False))

    with pytest.raises(FailedPrecondition):
        forms.submit(SYSTEM, form.id, answers())
    with pytest.raises(NotFound):
        forms.submit(SYSTEM, uuid4(), answers())
    assert uow.events == []


def test_forms_are_defined_by_marketing_staff_and_ask_for_a_way_to_reply(
    forms: FormHandlers,
) -> None:
    with pytest.raises(PermissionDenied):
        forms.create(REP, FormInput("Mine", None, REQUIRED, True))
    with pytest.raises(ValidationFailed) as refused:
        forms.create(MARKETER, FormInput("No contact", None, frozenset({FormField.NAME}), True))
    assert [v.field for v in refused.value.violations] == ["form.required_fields"]
