"""The partner directory's handlers: add, change, read and list partners, and a partner's
scorecard. A partner user reads their own partner only; another is NOT_FOUND."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import NotFound, PermissionDenied
from crm_platform.paging import Page

from crm_partner.domain.partners import Partner, Profile
from crm_partner.domain.scorecards import Scorecard, scorecard
from crm_partner.domain.suggestions import Load
from crm_partner.domain.values import READER_ROLES, Actor, Place
from crm_partner.service_layer.ports import Geocoder, UnitOfWork

Clock = Callable[[], datetime]


def located(geocoder: Geocoder, place: Place) -> Place:
    """The place with where it is, when the geocoder knows it."""
    if not place.is_given:
        return replace(place, coordinates=None)
    return replace(place, coordinates=geocoder(place.country_code, place.region, place.city))


class DirectoryHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        geocoder: Geocoder,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.geocoder = geocoder
        self.clock = clock

    def create(self, actor: Actor, profile: Profile) -> Load:
        partner = Partner.register(actor, self.clock(), uuid.uuid4(), self._located(profile))
        with self.uow_factory() as uow:
            uow.partners.add(partner)
            uow.commit()
        return Load(partner, 0)

    def update(
        self, actor: Actor, partner_id: UUID, profile: Profile, expected_version: int
    ) -> Load:
        with self.uow_factory() as uow:
            partner = self._visible(uow, actor, partner_id)
            partner.update(actor, self.clock(), self._located(profile), expected_version)
            uow.partners.save(partner)
            load = Load(partner, uow.partners.open_assignments(partner.id))
            uow.commit()
        return load

    def get(self, actor: Actor, partner_id: UUID) -> Load:
        with self.uow_factory() as uow:
            partner = self._visible(uow, actor, partner_id)
            return Load(partner, uow.partners.open_assignments(partner.id))

    def list(self, actor: Actor, capability: str, page_size: int, page_token: str) -> Page[Load]:
        if not actor.has_role(READER_ROLES):
            raise PermissionDenied(f"{actor.subject} may not list partners")
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            partners = uow.partners.list(capability.strip().lower(), after, limit + 1)
            page = paging.page_of(partners, limit, lambda p: (p.created_at, p.id))
            return Page(
                [Load(p, uow.partners.open_assignments(p.id)) for p in page.items],
                page.next_page_token,
            )

    def scorecard(self, actor: Actor, partner_id: UUID) -> Scorecard:
        with self.uow_factory() as uow:
            partner = self._visible(uow, actor, partner_id)
            return scorecard(partner.id, uow.assignments.offered_to(partner.id))

    def _visible(self, uow: UnitOfWork, actor: Actor, partner_id: UUID) -> Partner:
        partner = uow.partners.get(partner_id)
        if partner is None or not (actor.has_role(READER_ROLES) or actor.works_for(partner_id)):
            raise NotFound(f"no partner {partner_id}")
        return partner

    def _located(self, profile: Profile) -> Profile:
        return replace(profile, location=located(self.geocoder, profile.location))
