"""Campaigns, their recipients and the invalid addresses over SQLAlchemy Core. A stale
campaign version is a Conflict; the sender's claims skip the rows another sender holds
(FOR UPDATE SKIP LOCKED on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_marketing.adapters.catalog_repository import update_versioned
from crm_marketing.adapters.forms_repository import _before
from crm_marketing.adapters.orm import campaign_recipients, campaigns, invalid_addresses
from crm_marketing.domain.campaigns import (
    Audience,
    Campaign,
    CampaignChannel,
    CampaignState,
    CampaignTerms,
    Personalization,
    Recipient,
    RecipientStatus,
    SkipReason,
    Template,
)
from crm_marketing.domain.values import Money


class SqlCampaignRepository:
    def __init__(self, session: Session, track: Callable[[Campaign], None]) -> None:
        self.session = session
        self._track = track
        self._loaded: dict[UUID, int] = {}

    def get(self, campaign_id: UUID) -> Campaign | None:
        row = self.session.execute(
            sa.select(campaigns).where(campaigns.c.id == campaign_id)
        ).first()
        return None if row is None else self._loaded_campaign(row)

    def add(self, campaign: Campaign) -> None:
        self.session.execute(sa.insert(campaigns).values(_campaign_values(campaign)))
        self._loaded[campaign.id] = campaign.version
        self._track(campaign)

    def save(self, campaign: Campaign) -> None:
        read = self._loaded[campaign.id]
        if campaign.version != read:
            update_versioned(self.session, campaigns, campaign.id, read, _campaign_values(campaign))
            self._loaded[campaign.id] = campaign.version

    def list(self, after: Cursor | None, limit: int) -> list[Campaign]:
        statement = (
            sa.select(campaigns)
            .where(_before(campaigns, "created_at", after))
            .order_by(campaigns.c.created_at.desc(), campaigns.c.id.desc())
            .limit(limit)
        )
        return [self._loaded_campaign(row) for row in self.session.execute(statement)]

    def _loaded_campaign(self, row: Any) -> Campaign:
        document = row.document
        campaign = Campaign(
            id=row.id,
            terms=_terms_of(row.channel, document),
            state=CampaignState(row.state),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            launched_at=_time(document.get("launched_at")),
            completed_at=_time(document.get("completed_at")),
        )
        self._loaded[campaign.id] = campaign.version
        self._track(campaign)
        return campaign


def _money(money: Money | None) -> list[str] | None:
    return None if money is None else [str(money.amount), money.currency]


def _money_of(value: list[str] | None) -> Money | None:
    return None if value is None else Money(Decimal(value[0]), value[1])


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _campaign_values(campaign: Campaign) -> dict[str, Any]:
    terms = campaign.terms
    segment = terms.audience.segment_id
    return {
        "id": campaign.id,
        "state": campaign.state.value,
        "channel": terms.channel.value,
        "document": {
            "name": terms.name, "budget": _money(terms.budget),
            "planned_cost": _money(terms.planned_cost), "actual_cost": _money(terms.actual_cost),
            "starts_at": _iso(terms.starts_at), "ends_at": _iso(terms.ends_at),
            "owner_id": terms.owner_id,
            "segment_id": None if segment is None else str(segment),
            "customer_ids": [str(customer) for customer in terms.audience.customer_ids],
            "template": [terms.template.subject, terms.template.html_body,
                         terms.template.text_body],
            "informational": terms.informational, "track_opens": terms.track_opens,
            "launched_at": _iso(campaign.launched_at),
            "completed_at": _iso(campaign.completed_at),
        },
        "version": campaign.version,
        "created_at": campaign.created_at,
        "updated_at": campaign.updated_at,
    }  # fmt: skip


def _terms_of(channel: str, document: dict[str, Any]) -> CampaignTerms:
    segment = document["segment_id"]
    return CampaignTerms(
        name=document["name"],
        channel=CampaignChannel(channel),
        budget=_money_of(document["budget"]),
        planned_cost=_money_of(document["planned_cost"]),
        actual_cost=_money_of(document["actual_cost"]),
        starts_at=_time(document["starts_at"]),
        ends_at=_time(document["ends_at"]),
        owner_id=document["owner_id"],
        audience=Audience(
            None if segment is None else UUID(segment),
            tuple(UUID(customer) for customer in document["customer_ids"]),
        ),
        template=Template(*document["template"]),
        informational=document["informational"],
        track_opens=document["track_opens"],
    )


R = campaign_recipients


class SqlRecipientRepository:
    def __init__(self, session: Session, track: Callable[[Recipient], None]) -> None:
        self.session = session
        self._track = track  # the unit of work's: an unsubscription is an event

    def add_all(self, recipients: Iterable[Recipient]) -> None:
        rows = [_recipient_values(recipient) for recipient in recipients]
        if rows:
            self.session.execute(sa.insert(R), rows)

    def get(self, campaign_id: UUID, customer_id: UUID) -> Recipient | None:
        row = self.session.execute(
            sa.select(R).where(R.c.campaign_id == campaign_id, R.c.customer_id == customer_id)
        ).first()
        if row is None:
            return None
        recipient = _recipient_of(row)
        self._track(recipient)
        return recipient

    def save(self, recipient: Recipient) -> None:
        values = _recipient_values(recipient)
        self.session.execute(
            sa.update(R)
            .where(
                R.c.campaign_id == recipient.campaign_id, R.c.customer_id == recipient.customer_id
            )
            .values(values)
        )

    def of_campaign(self, campaign_id: UUID, after: UUID | None, limit: int) -> list[Recipient]:
        statement = sa.select(R).where(R.c.campaign_id == campaign_id)
        if after is not None:
            statement = statement.where(R.c.customer_id > after)
        statement = statement.order_by(R.c.customer_id).limit(limit)
        return [_recipient_of(row) for row in self.session.execute(statement)]

    def counts(self, campaign_id: UUID) -> dict[RecipientStatus, int]:
        statement = (
            sa.select(R.c.status, sa.func.count())
            .where(R.c.campaign_id == campaign_id)
            .group_by(R.c.status)
        )
        return {RecipientStatus(status): count for status, count in self.session.execute(statement)}

    def pending(self, campaign_id: UUID) -> int:
        """Recipients still to be sent or in a sender's hands."""
        statement = sa.select(sa.func.count()).where(
            R.c.campaign_id == campaign_id,
            R.c.status.in_([RecipientStatus.QUEUED.value, RecipientStatus.SENDING.value]),
        )
        return int(self.session.execute(statement).scalar_one())

    def due(self, now: datetime, limit: int) -> list[Recipient]:
        """Queued recipients whose time has come, locked for this transaction (skipping those
        another sender holds)."""
        statement = (
            sa.select(R)
            .where(R.c.status == RecipientStatus.QUEUED.value, R.c.next_attempt_at <= now)
            .order_by(R.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_recipient_of(row) for row in self.session.execute(statement)]

    def claimed_before(self, moment: datetime) -> list[Recipient]:
        statement = (
            sa.select(R)
            .where(R.c.status == RecipientStatus.SENDING.value, R.c.claimed_at < moment)
            .with_for_update(skip_locked=True)
        )
        return [_recipient_of(row) for row in self.session.execute(statement)]

    def queued_of(self, campaign_id: UUID) -> list[Recipient]:
        statement = sa.select(R).where(
            R.c.campaign_id == campaign_id, R.c.status == RecipientStatus.QUEUED.value
        )
        return [_recipient_of(row) for row in self.session.execute(statement)]


def _recipient_values(recipient: Recipient) -> dict[str, Any]:
    person = recipient.personalization
    return {
        "campaign_id": recipient.campaign_id,
        "customer_id": recipient.customer_id,
        "email": recipient.email,
        "status": recipient.status.value,
        "skip_reason": None if recipient.skip_reason is None else recipient.skip_reason.value,
        "attempts": recipient.attempts,
        "next_attempt_at": recipient.next_attempt_at,
        "claimed_at": recipient.claimed_at,
        "message_id": recipient.message_id,
        "last_error": recipient.last_error[:500],
        "sent_at": recipient.sent_at,
        "document": {"name": person.name, "region": person.region, "city": person.city},
        "updated_at": recipient.updated_at,
    }


def _recipient_of(row: Any) -> Recipient:
    document = row.document
    return Recipient(
        campaign_id=row.campaign_id,
        customer_id=row.customer_id,
        email=row.email,
        personalization=Personalization(
            document["name"], row.email, document["region"], document["city"]
        ),
        status=RecipientStatus(row.status),
        skip_reason=None if row.skip_reason is None else SkipReason(row.skip_reason),
        updated_at=row.updated_at,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        claimed_at=row.claimed_at,
        message_id=row.message_id,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )


class SqlInvalidAddresses:
    def __init__(self, session: Session) -> None:
        self.session = session

    def among(self, emails: Iterable[str]) -> frozenset[str]:
        wanted = sorted({email.lower() for email in emails if email})
        if not wanted:
            return frozenset()
        found = self.session.execute(
            sa.select(invalid_addresses.c.email).where(invalid_addresses.c.email.in_(wanted))
        ).scalars()
        return frozenset(found)

    def mark(
        self, email: str, reason: str, campaign_id: UUID, customer_id: UUID, now: datetime
    ) -> None:
        if self.among([email]):
            return
        self.session.execute(
            sa.insert(invalid_addresses).values(
                email=email.lower(), reason=reason[:500], campaign_id=campaign_id,
                customer_id=customer_id, marked_at=now,
            )
        )  # fmt: skip
