"""Lead forms and submissions <-> protobuf messages of crm.marketing.v1 (forms.proto)."""

from __future__ import annotations

from crm_platform import parsing
from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.marketing.v1 import forms_pb2

from crm_marketing.domain.forms import FormField, LeadForm, Submission, Utm
from crm_marketing.service_layer.forms import FormAnswers, FormInput

FORM_FIELDS = EnumCodec(FormField, forms_pb2.FormField)


def form_to_proto(form: LeadForm) -> forms_pb2.LeadForm:
    return forms_pb2.LeadForm(
        id=str(form.id),
        name=form.name,
        campaign_id="" if form.campaign_id is None else str(form.campaign_id),
        required_fields=[
            FORM_FIELDS.to_proto(name) for name in FormField if name in form.required_fields
        ],
        active=form.active,
        version=form.version,
        created_at=timestamp(form.created_at),
        updated_at=timestamp(form.updated_at),
    )


def form_input(message: forms_pb2.FormInput) -> FormInput:
    return FormInput(
        name=message.name,
        campaign_id=parsing.optional_uuid(message.campaign_id, "form.campaign_id"),
        required_fields=frozenset(
            FORM_FIELDS.required(number, f"form.required_fields[{index}]")
            for index, number in enumerate(message.required_fields)
        ),
        active=message.active,
    )


def answers_of(request: forms_pb2.SubmitFormRequest) -> FormAnswers:
    return FormAnswers(
        values={name: getattr(request, name.value) for name in FormField},
        consent_email=request.consent_email,
        consent_sms=request.consent_sms,
        consent_phone=request.consent_phone,
        utm=Utm(request.utm_source, request.utm_medium, request.utm_campaign),
        honeypot=request.website,
    )


def submission_to_proto(submission: Submission) -> forms_pb2.Submission:
    values = {name.value: text for name, text in submission.values.items()}
    return forms_pb2.Submission(
        lead_id=str(submission.id),
        form_id=str(submission.form_id),
        campaign_id="" if submission.campaign_id is None else str(submission.campaign_id),
        consent_email=submission.consent_email,
        consent_sms=submission.consent_sms,
        consent_phone=submission.consent_phone,
        utm_source=submission.utm.source,
        utm_medium=submission.utm.medium,
        utm_campaign=submission.utm.campaign,
        captured_at=timestamp(submission.captured_at),
        **values,
    )
