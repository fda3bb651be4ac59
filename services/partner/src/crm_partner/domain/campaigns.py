"""Joint campaigns: a partner co-sponsors one of marketing's campaigns with its share of the
cost. The record is keyed by marketing's campaign id and kept from marketing's
CampaignLaunched and CampaignCompleted events (whichever comes first, the sponsorship or the
launch); on completion each sponsor's part of the actual cost is its share of it. The
campaign's leads are offered to its main sponsor (the largest share)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID

from crm_platform.errors import FieldViolation, PermissionDenied, ValidationFailed

from crm_partner.domain.registrations import Amount
from crm_partner.domain.values import MARKETING_ROLES, Actor

CENT = Decimal("0.01")


class CampaignStatus(StrEnum):
    PLANNED = "planned"
    LAUNCHED = "launched"
    COMPLETED = "completed"


@dataclass(frozen=True)
class CampaignView:
    campaign_id: UUID
    name: str
    status: CampaignStatus
    shares: tuple[tuple[UUID, Decimal], ...]
    actual_cost: Amount | None
    leads_routed: int
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class CampaignSponsored:
    campaign: CampaignView
    partner_id: UUID
    share: Decimal
    actor: Actor

    @property
    def subject_id(self) -> UUID:
        return self.campaign.campaign_id


@dataclass
class JointCampaign:
    campaign_id: UUID
    name: str
    status: CampaignStatus
    shares: dict[UUID, Decimal]  # partner -> its share of the cost
    actual_cost: Amount | None
    leads_routed: int
    marketing_version: int  # the newest of marketing's events applied
    version: int
    updated_at: datetime
    _events: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def known(cls, campaign_id: UUID, now: datetime) -> JointCampaign:
        """A campaign as far as the partner service knows of it yet: nothing."""
        return cls(campaign_id, "", CampaignStatus.PLANNED, {}, None, 0, 0, 0, now)

    def sponsor(self, actor: Actor, now: datetime, partner_id: UUID, share_text: str) -> None:
        if not actor.has_role(MARKETING_ROLES):
            raise PermissionDenied(f"{actor.subject} may not set a campaign's sponsors")
        try:
            share = Decimal(share_text)
        except InvalidOperation:
            share = Decimal(-1)
        if not share.is_finite() or not Decimal(0) < share <= Decimal(1):
            raise ValidationFailed(FieldViolation("share", "must be more than 0 and at most 1"))
        others = sum((s for p, s in self.shares.items() if p != partner_id), Decimal(0))
        if others + share > 1:
            raise ValidationFailed(
                FieldViolation("share", f"the sponsors' shares would exceed 1 (others: {others})")
            )
        self.shares[partner_id] = share
        self._touch(now)
        self._events.append(CampaignSponsored(self.view(), partner_id, share, actor))

    def launched(self, name: str, version: int, now: datetime) -> None:
        if version <= self.marketing_version or self.status is CampaignStatus.COMPLETED:
            return
        self.name, self.status, self.marketing_version = name, CampaignStatus.LAUNCHED, version
        self._touch(now)

    def completed(self, name: str, cost: Amount | None, version: int, now: datetime) -> None:
        if version <= self.marketing_version:
            return
        self.name, self.status, self.marketing_version = name, CampaignStatus.COMPLETED, version
        self.actual_cost = cost
        self._touch(now)

    def lead_routed(self, now: datetime) -> None:
        self.leads_routed += 1
        self._touch(now)

    @property
    def main_sponsor(self) -> UUID | None:
        if not self.shares:
            return None
        return max(self.shares.items(), key=lambda item: (item[1], str(item[0])))[0]

    def cost_of(self, partner_id: UUID) -> Amount | None:
        """The sponsor's part of the actual cost, once it is known."""
        if self.actual_cost is None or partner_id not in self.shares:
            return None
        part = (self.actual_cost.value * self.shares[partner_id]).quantize(CENT, ROUND_HALF_EVEN)
        return Amount(part, self.actual_cost.currency)

    def view(self) -> CampaignView:
        return CampaignView(
            self.campaign_id, self.name, self.status, tuple(self.shares.items()),
            self.actual_cost, self.leads_routed, self.version, self.updated_at,
        )  # fmt: skip

    def pull_events(self) -> list[object]:
        events, self._events = self._events, []
        return events

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now
