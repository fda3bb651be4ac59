"""Lead forms over real gRPC on PostgreSQL and SQLite: a marketer defines a form; anyone submits
it without a token, and the submission is stored with its LeadCaptured in the outbox (the
form's campaign, the UTM parameters, version 1); a bad submission names its field and changes
nothing; a filled honeypot is answered alike and kept nowhere."""

from __future__ import annotations

import uuid

import grpc
import pytest
from crm_platform.grpc_errors import ErrorDetails, details_of
from crm_platform.testing.tokens import staff_token
from crm_proto.crm.common.v1.common_pb2 import ACTOR_KIND_SYSTEM
from crm_proto.crm.marketing.v1 import events_pb2, forms_pb2, forms_pb2_grpc
from sqlalchemy import Engine

from tests.customer.integration.support import outbox_events, row_count
from tests.marketing.integration.conftest import call

MARKETER = staff_token("marketer", subject="marketer-1")
REP = staff_token("sales_rep", subject="rep-1")
F = forms_pb2
CAMPAIGN = str(uuid.uuid4())


@pytest.fixture
def forms(channel: grpc.Channel) -> forms_pb2_grpc.FormServiceStub:
    return forms_pb2_grpc.FormServiceStub(channel)


def refused(rpc: object, token: str | None, request: object) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as error:
        call(rpc, token, request)
    return details_of(error.value)


def spring_form(forms: forms_pb2_grpc.FormServiceStub) -> F.LeadForm:
    return call(
        forms.CreateForm, MARKETER,
        F.CreateFormRequest(form=F.FormInput(
            name="Spring fair", campaign_id=CAMPAIGN, active=True,
            required_fields=[F.FORM_FIELD_NAME, F.FORM_FIELD_EMAIL],
        )),
    )  # fmt: skip


def submission(form_id: str, **fields: object) -> F.SubmitFormRequest:
    values: dict[str, object] = {
        "form_id": form_id, "name": "Wang Fang", "email": "wang@acme.cn", "company": "Acme",
        "company_size": "medium", "consent_email": True, "utm_source": "newsletter",
        "utm_medium": "email", "utm_campaign": "spring",
    }  # fmt: skip
    values.update(fields)
    return F.SubmitFormRequest(**values)  # type: ignore[arg-type]


def test_anyone_submits_a_form_and_the_lead_is_captured_through_the_outbox(
    engine: Engine, forms: forms_pb2_grpc.FormServiceStub
) -> None:
    form = spring_form(forms)

    answer = call(forms.SubmitForm, None, submission(form.id))

    [event] = [e for e in outbox_events(engine) if e.type.endswith("LeadCaptured")]
    captured = event.message
    assert isinstance(captured, events_pb2.LeadCaptured)
    assert (captured.lead_id, captured.form_id, captured.campaign_id) == (
        answer.lead_id, form.id, CAMPAIGN,
    )  # fmt: skip
    assert (captured.email, captured.company_size, captured.consent_email) == (
        "wang@acme.cn", "medium", True,
    )  # fmt: skip
    assert (captured.utm_source, captured.utm_medium, captured.utm_campaign) == (
        "newsletter", "email", "spring",
    )  # fmt: skip
    assert captured.version == 1
    # nobody signed in: the system captured it
    assert (captured.actor.subject, captured.actor.kind) == ("system", ACTOR_KIND_SYSTEM)
    listed = call(forms.ListSubmissions, MARKETER, F.ListSubmissionsRequest(form_id=form.id))
    assert [s.lead_id for s in listed.submissions] == [answer.lead_id]


def test_bad_submissions_name_their_field_and_a_honeypot_keeps_nothing(
    engine: Engine, forms: forms_pb2_grpc.FormServiceStub
) -> None:
    form = spring_form(forms)

    bad_email = refused(forms.SubmitForm, None, submission(form.id, email="not-an-email"))
    assert bad_email.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in bad_email.violations] == ["email"]
    missing = refused(forms.SubmitForm, None, submission(form.id, name=""))
    assert [v.field for v in missing.violations] == ["name"]
    too_long = refused(forms.SubmitForm, None, submission(form.id, company="x" * 201))
    assert [v.field for v in too_long.violations] == ["company"]
    unknown = refused(forms.SubmitForm, None, submission(str(uuid.uuid4())))
    assert unknown.code == grpc.StatusCode.NOT_FOUND
    robot = call(forms.SubmitForm, None, submission(form.id, website="http://spam.example"))
    assert robot.lead_id

    assert row_count(engine, "form_submissions") == 0
    assert outbox_events(engine) == []


def test_only_marketing_staff_define_forms(forms: forms_pb2_grpc.FormServiceStub) -> None:
    request = F.CreateFormRequest(
        form=F.FormInput(name="Mine", active=True, required_fields=[F.FORM_FIELD_EMAIL])
    )

    assert refused(forms.CreateForm, REP, request).code == grpc.StatusCode.PERMISSION_DENIED
    assert refused(forms.CreateForm, None, request).code == grpc.StatusCode.UNAUTHENTICATED
