"""Leads and teams <-> their protobuf messages (leads.proto, teams.proto), and the lead events
as published (events.proto)."""

from __future__ import annotations

from collections import Counter

from crm_platform.enums import EnumCodec
from crm_platform.parsing import timestamp
from crm_proto.crm.common.v1 import common_pb2
from crm_proto.crm.sales.v1 import events_pb2, leads_pb2, teams_pb2
from google.protobuf.message import Message

from crm_sales.domain import leads
from crm_sales.domain.assignment import AssignmentReason
from crm_sales.domain.leads import Contact, Lead, LeadStatus
from crm_sales.domain.teams import AssignmentRule, CompanySize, LeadSource, Team

LEAD_SOURCES = EnumCodec(LeadSource, leads_pb2.LeadSource)
LEAD_STATUSES = EnumCodec(LeadStatus, leads_pb2.LeadStatus)
COMPANY_SIZES = EnumCodec(CompanySize, leads_pb2.CompanySize)
ASSIGNMENT_REASONS = EnumCodec(AssignmentReason, leads_pb2.AssignmentReason)


def lead_to_proto(lead: Lead) -> leads_pb2.Lead:
    message = leads_pb2.Lead(
        id=str(lead.id),
        status=LEAD_STATUSES.to_proto(lead.status),
        source=LEAD_SOURCES.to_proto(lead.source),
        campaign_id=lead.campaign_id,
        contact=contact_to_proto(lead.contact),
        notes=lead.notes,
        tags=sorted(lead.tags),
        owner_id=lead.owner_id or "",
        team_id=_text(lead.team_id),
        score=lead.score,
        win_probability=str(lead.win_probability),
        score_reasons=list(lead.score_reasons),
        score_overridden=lead.override is not None,
        score_override_reason="" if lead.override is None else lead.override.reason,
        merged_into_id=_text(lead.merged_into_id),
        customer_id=_text(lead.customer_id),
        opportunity_id=_text(lead.opportunity_id),
        disqualify_reason=lead.disqualify_reason or "",
        version=lead.version,
    )
    message.created_at.CopyFrom(timestamp(lead.created_at))
    message.updated_at.CopyFrom(timestamp(lead.updated_at))
    return message


def contact_to_proto(contact: Contact) -> leads_pb2.LeadContact:
    return leads_pb2.LeadContact(
        name=contact.name,
        company=contact.company,
        email=contact.email,
        phone=contact.phone,
        region=contact.region,
        city=contact.city,
        company_size=COMPANY_SIZES.to_proto(contact.company_size),
    )


def contact_from_proto(message: leads_pb2.LeadContact, field: str) -> Contact:
    return Contact(
        name=message.name,
        company=message.company,
        email=message.email,
        phone=message.phone,
        region=message.region,
        city=message.city,
        company_size=COMPANY_SIZES.optional(message.company_size, f"{field}.company_size"),
    )


def team_to_proto(team: Team, assigned: Counter[str]) -> teams_pb2.Team:
    message = teams_pb2.Team(
        id=str(team.id),
        name=team.name,
        rule=teams_pb2.AssignmentRule(
            regions=sorted(team.rule.regions),
            sources=sorted(LEAD_SOURCES.to_proto(source) for source in team.rule.sources),
            sizes=sorted(COMPANY_SIZES.to_proto(size) for size in team.rule.sizes),
        ),
        stage_probabilities={
            stage: str(value) for stage, value in team.stage_probabilities.items()
        },
        score_points=team.score_points,
        members=[
            teams_pb2.TeamMember(
                user_id=member.user_id,
                is_manager=member.is_manager,
                monthly_capacity=member.monthly_capacity,
                active=member.active,
                account_disabled=member.account_disabled,
                assigned_this_month=assigned.get(member.user_id, 0),
            )
            for member in sorted(team.members.values(), key=lambda member: member.user_id)
        ],
        version=team.version,
    )
    message.created_at.CopyFrom(timestamp(team.created_at))
    message.updated_at.CopyFrom(timestamp(team.updated_at))
    return message


def rule_from_proto(message: teams_pb2.AssignmentRule, field: str) -> AssignmentRule:
    return AssignmentRule.of(
        message.regions,
        [LEAD_SOURCES.required(source, f"{field}.sources") for source in message.sources],
        [COMPANY_SIZES.required(size, f"{field}.sizes") for size in message.sizes],
    )


def event_message(event: object, actor: common_pb2.Actor) -> Message:
    match event:
        case leads.LeadCreated(lead=snapshot):
            return events_pb2.LeadCreated(
                lead=lead_to_proto(snapshot.lead), version=event.version, actor=actor
            )
        case leads.LeadUpdated(lead=snapshot):
            return events_pb2.LeadUpdated(
                lead=lead_to_proto(snapshot.lead), version=event.version, actor=actor
            )
        case leads.LeadAssigned(lead=snapshot):
            return events_pb2.LeadAssigned(
                lead=lead_to_proto(snapshot.lead),
                from_owner_id=event.from_owner_id or "",
                to_owner_id=event.to_owner_id or "",
                from_team_id=_text(event.from_team_id),
                to_team_id=_text(event.to_team_id),
                reason=ASSIGNMENT_REASONS.to_proto(event.reason),
                version=event.version,
                actor=actor,
            )
        case leads.LeadMerged(lead=snapshot):
            return events_pb2.LeadMerged(
                lead=lead_to_proto(snapshot.lead),
                duplicate_id=str(event.duplicate_id),
                duplicate_version=event.duplicate_version,
                version=event.version,
                actor=actor,
            )
        case leads.LeadQualified(lead=snapshot):
            return events_pb2.LeadQualified(
                lead=lead_to_proto(snapshot.lead), version=event.version, actor=actor
            )
        case leads.LeadDisqualified(lead=snapshot):
            return events_pb2.LeadDisqualified(
                lead=lead_to_proto(snapshot.lead),
                reason=event.reason,
                version=event.version,
                actor=actor,
            )
        case leads.LeadScored(lead=snapshot):
            return events_pb2.LeadScored(
                lead=lead_to_proto(snapshot.lead),
                overridden=event.overridden,
                reason=event.reason,
                version=event.version,
                actor=actor,
            )
        case leads.LeadConverted(lead=snapshot):
            return events_pb2.LeadConverted(
                lead=lead_to_proto(snapshot.lead),
                customer_id=str(event.customer_id),
                opportunity_id=str(event.opportunity_id),
                version=event.version,
                actor=actor,
            )
    raise TypeError(f"no event message for {type(event).__name__}")


def _text(value: object | None) -> str:
    return "" if value is None else str(value)
