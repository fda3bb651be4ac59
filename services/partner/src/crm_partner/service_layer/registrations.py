"""Deal registration's handlers: a partner user's own drafts and submissions, staff's
decisions. Each step looks for another partner's approved registration of the same customer
or opportunity, which refuses it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import NotFound
from crm_platform.paging import Page

from crm_partner.domain.registrations import Amount, DealRegistration, RegistrationState
from crm_partner.domain.values import SALES_ROLES, Actor
from crm_partner.service_layer.ports import UnitOfWork

Clock = Callable[[], datetime]


class RegistrationHandlers:
    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], clock: Clock = lambda: datetime.now(UTC)
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def register(
        self,
        actor: Actor,
        *,
        customer_id: UUID,
        opportunity_id: UUID | None,
        title: str,
        amount: Amount | None,
        notes: str,
    ) -> DealRegistration:
        with self.uow_factory() as uow:
            protected_by = None
            if actor.partner_id is not None:
                protected_by = uow.registrations.approved_covering(
                    customer_id, opportunity_id, other_than=actor.partner_id
                )
            registration = DealRegistration.register(
                actor, self.clock(), uuid.uuid4(), customer_id=customer_id,
                opportunity_id=opportunity_id, title=title, amount=amount, notes=notes,
                protected_by=protected_by,
            )  # fmt: skip
            uow.registrations.add(registration)
            uow.commit()
        return registration

    def get(self, actor: Actor, registration_id: UUID) -> DealRegistration:
        with self.uow_factory() as uow:
            return self._visible(uow, actor, registration_id)

    def list(
        self,
        actor: Actor,
        state: RegistrationState | None,
        page_size: int,
        page_token: str,
    ) -> Page[DealRegistration]:
        # staff see every partner's, a partner user their own partner's
        partner_id = None if actor.has_role(SALES_ROLES) else actor.partner_id
        if partner_id is None and not actor.has_role(SALES_ROLES):
            return Page([], "")
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.registrations.list(partner_id, state, after, limit + 1)
        return paging.page_of(rows, limit, lambda r: (r.created_at, r.id))

    def submit(
        self, actor: Actor, registration_id: UUID, expected_version: int
    ) -> DealRegistration:
        return self._step(
            actor,
            registration_id,
            lambda r, now, protected: r.submit(actor, now, protected, expected_version),
        )

    def approve(
        self, actor: Actor, registration_id: UUID, expected_version: int
    ) -> DealRegistration:
        return self._step(
            actor,
            registration_id,
            lambda r, now, protected: r.approve(actor, now, protected, expected_version),
        )

    def reject(
        self, actor: Actor, registration_id: UUID, reason: str, expected_version: int
    ) -> DealRegistration:
        return self._step(
            actor,
            registration_id,
            lambda r, now, protected: r.reject(actor, now, reason, expected_version),
        )

    def _step(
        self,
        actor: Actor,
        registration_id: UUID,
        step: Callable[[DealRegistration, datetime, DealRegistration | None], None],
    ) -> DealRegistration:
        with self.uow_factory() as uow:
            registration = self._visible(uow, actor, registration_id)
            protected_by = uow.registrations.approved_covering(
                registration.customer_id,
                registration.opportunity_id,
                other_than=registration.partner_id,
            )
            step(registration, self.clock(), protected_by)
            uow.registrations.save(registration)
            uow.commit()
        return registration

    def _visible(self, uow: UnitOfWork, actor: Actor, registration_id: UUID) -> DealRegistration:
        registration = uow.registrations.get(registration_id)
        if registration is None or not registration.visible_to(actor):
            raise NotFound(f"no deal registration {registration_id}")
        return registration
