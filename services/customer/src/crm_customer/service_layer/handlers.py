"""Command and query handlers: each runs in one unit of work, and a change commits together
with the events of the records it read or added (the unit of work collects them at commit and
writes them to the outbox: no handler publishes by hand)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from crm_platform import paging
from crm_platform.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    FieldViolation,
    ValidationFailed,
)
from crm_platform.paging import Page

from crm_customer.domain.contact import normalize_email, normalize_phone
from crm_customer.domain.duplicates import PossibleDuplicate, possible_duplicates
from crm_customer.domain.model import PROFILE_FIELDS, Customer, merge
from crm_customer.domain.values import (
    Actor,
    ActorKind,
    ConsentChannel,
    Interaction,
    Recognition,
)
from crm_customer.service_layer import commands
from crm_customer.service_layer.access import not_found
from crm_customer.service_layer.ports import CustomerRepository, UnitOfWork

IDEMPOTENCY_KEY_MAX_LENGTH = 200
# Merges form chains (a into b, later b into c); a longer chain means damaged data.
MAX_MERGE_HOPS = 100
# Candidates read per lookup (same city, same name) for a duplicate review.
DUPLICATE_CANDIDATES = 500


@dataclass(frozen=True)
class Recognized:
    recognition: Recognition
    customer: Customer | None  # the surviving record; None when new


def utc_now() -> datetime:
    return datetime.now(UTC)


class CustomerHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        phone_region: str,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self.uow_factory = uow_factory
        self.phone_region = phone_region
        self.clock = clock
        self.new_id = new_id

    def create_customer(self, command: commands.CreateCustomer) -> Customer:
        command.caller.ensure_unrestricted("register customers")
        if len(command.idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationFailed(
                FieldViolation(
                    "idempotency_key", f"must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters"
                )
            )
        now = self.clock()
        customer = Customer.register(
            command.profile, customer_id=self.new_id(), now=now, phone_region=self.phone_region
        )
        with self.uow_factory() as uow:
            if command.idempotency_key:
                # Claimed before the dedupe check: a retry must find its first result, not
                # a duplicate of it.
                first_id = uow.idempotency_keys.claim(command.idempotency_key, customer.id, now=now)
                if first_id is not None:
                    return _load(uow, first_id)
            _ensure_contacts_free(uow, customer)
            uow.customers.add(customer)
            uow.commit()
        return customer

    def update_customer(self, command: commands.UpdateCustomer) -> Customer:
        command.caller.ensure_may_change(command.customer_id)
        command.caller.ensure_may_set(command.fields)
        if not command.fields:
            raise ValidationFailed(FieldViolation("update_mask", "name at least one field"))
        unknown = sorted(command.fields - set(PROFILE_FIELDS))
        if unknown:
            raise ValidationFailed(
                FieldViolation("update_mask", f"cannot update {', '.join(unknown)}")
            )
        with self.uow_factory() as uow:
            customer = _load(uow, command.customer_id)
            if command.expected_version and customer.version != command.expected_version:
                raise Conflict(
                    f"customer {customer.id} is at version {customer.version}, "
                    f"not {command.expected_version}"
                )
            changed = customer.update(
                command.changes,
                command.fields,
                now=self.clock(),
                phone_region=self.phone_region,
            )
            if not changed:
                return customer
            if {"email", "phone"} & set(changed):
                _ensure_contacts_free(uow, customer)
            uow.customers.save(customer)
            uow.commit()
        return customer

    def get_customer(self, query: commands.GetCustomer) -> Customer:
        query.caller.ensure_may_address(query.customer_id)
        with self.uow_factory() as uow:
            customer = _load(uow, query.customer_id)
        query.caller.ensure_may_see(customer)
        return customer

    def list_customers(self, query: commands.ListCustomers) -> Page[Customer]:
        filters = query.caller.visible(query.filters)
        limit = paging.page_size(query.page_size)
        after = paging.decode_cursor(query.page_token)
        with self.uow_factory() as uow:
            rows = uow.customers.list_live(filters, after, limit + 1)
        return paging.page_of(rows, limit, lambda c: (c.created_at, c.id))

    def merge_customers(self, command: commands.MergeCustomers) -> Customer:
        command.caller.ensure_unrestricted("merge customers")
        with self.uow_factory() as uow:
            survivor = _load(uow, command.survivor_id)
            merged = _load(uow, command.merged_id)
            merge(survivor, merged, now=self.clock())
            # The merged record first: it leaves the unique email and phone indexes before the
            # survivor may take its email or phone.
            uow.customers.save(merged)
            uow.customers.save(survivor)
            uow.interactions.reassign(merged.id, survivor.id)
            _transfer_points(uow, merged.id, survivor.id, now=self.clock())
            uow.commit()
        return survivor

    def blacklist_customer(self, command: commands.BlacklistCustomer) -> Customer:
        command.caller.ensure_unrestricted("blacklist customers")
        with self.uow_factory() as uow:
            customer = _load(uow, command.customer_id)
            customer.blacklist(command.reason, now=self.clock())
            uow.customers.save(customer)
            uow.commit()
        return customer

    def unblacklist_customer(self, command: commands.UnblacklistCustomer) -> Customer:
        command.caller.ensure_unrestricted("lift a blacklisting")
        with self.uow_factory() as uow:
            customer = _load(uow, command.customer_id)
            customer.unblacklist(command.reason, now=self.clock())
            uow.customers.save(customer)
            uow.commit()
        return customer

    def find_duplicates(self, query: commands.ListPossibleDuplicates) -> list[PossibleDuplicate]:
        """Records that might be the same party as this live one, for a reviewer to merge."""
        query.caller.ensure_unrestricted("review duplicates")
        with self.uow_factory() as uow:
            customer = _load(uow, query.customer_id)
            if customer.merged_into_id is not None:
                raise FailedPrecondition(f"customer {customer.id} was merged already")
            candidates = uow.customers.duplicate_candidates(customer, DUPLICATE_CANDIDATES)
        return possible_duplicates(customer, candidates, min_score=query.min_score)

    def recognize_customer(self, query: commands.RecognizeCustomer) -> Recognized:
        query.caller.ensure_unrestricted("recognize customers")
        email = normalize_email(query.email, field="email") if query.email.strip() else None
        phone = (
            normalize_phone(query.phone, default_region=self.phone_region, field="phone")
            if query.phone.strip()
            else None
        )
        if email is None and phone is None:
            raise ValidationFailed(FieldViolation("email", "give an email or a phone"))
        with self.uow_factory() as uow:
            found = uow.customers.find_by_email(email) if email else None
            if found is None and phone:
                found = uow.customers.find_by_phone(phone)
            if found is None:
                return Recognized(Recognition.NEW, None)
            survivor = _survivor_of(uow, found)
        recognition = Recognition.BLACKLISTED if survivor.blacklisted else Recognition.RETURNING
        return Recognized(recognition, survivor)

    def set_consent(self, command: commands.SetConsent) -> Customer:
        command.caller.ensure_may_change(command.customer_id)
        with self.uow_factory() as uow:
            customer = _load(uow, command.customer_id)
            if customer.set_consent(command.channel, command.granted, now=self.clock()):
                uow.customers.save(customer)
                uow.commit()
        return customer

    def log_interaction(self, command: commands.LogInteraction) -> Interaction:
        command.caller.ensure_may_change(command.customer_id)
        with self.uow_factory() as uow:
            customer = _load(uow, command.customer_id)
            interaction = customer.log_interaction(
                interaction_id=self.new_id(),
                channel=command.channel,
                summary=command.summary,
                occurred_at=command.occurred_at,
                actor=command.caller.actor,
                now=self.clock(),
            )
            uow.interactions.add(interaction)
            uow.commit()
        return interaction

    def list_interactions(self, query: commands.ListInteractions) -> Page[Interaction]:
        query.caller.ensure_may_address(query.customer_id)
        limit = paging.page_size(query.page_size)
        before = paging.decode_cursor(query.page_token)
        with self.uow_factory() as uow:
            query.caller.ensure_may_see(_load(uow, query.customer_id))
            rows = uow.interactions.list_for(query.customer_id, before, limit + 1)
        return paging.page_of(rows, limit, lambda i: (i.occurred_at, i.id))


def _load(uow: UnitOfWork, customer_id: UUID) -> Customer:
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise not_found(customer_id)
    return customer


def live_customer(customers: CustomerRepository, customer_id: UUID) -> Customer | None:
    """The customer, or the survivor they were merged into; None when unknown here."""
    customer = customers.get(customer_id)
    for _ in range(MAX_MERGE_HOPS):
        if customer is None or customer.merged_into_id is None:
            return customer
        customer = customers.get(customer.merged_into_id)
    return None


def unsubscribed(uow: UnitOfWork, customer_id: UUID, *, now: datetime) -> None:
    """The customer unsubscribed through a campaign message (marketing's ContactUnsubscribed):
    their e-mail consent is withdrawn, by them; an unknown customer has none to withdraw."""
    customer = live_customer(uow.customers, customer_id)
    if customer is None:
        return
    by_them = Actor(str(customer_id), ActorKind.CUSTOMER)
    if customer.set_consent(ConsentChannel.EMAIL, False, now=now, requested_by=by_them):
        uow.customers.save(customer)


def _transfer_points(uow: UnitOfWork, merged_id: UUID, survivor_id: UUID, *, now: datetime) -> None:
    """The merged customer's loyalty points become the survivor's, in the merge's transaction."""
    merged = uow.loyalty.get(merged_id, for_update=True)
    if merged.balance == 0:
        return
    survivor = uow.loyalty.get(survivor_id, for_update=True)
    merged.transfer_to(survivor, new_id=uuid4, now=now)
    uow.loyalty.save(merged)
    uow.loyalty.save(survivor)


def _survivor_of(uow: UnitOfWork, customer: Customer) -> Customer:
    for _ in range(MAX_MERGE_HOPS):
        if customer.merged_into_id is None:
            return customer
        customer = _load(uow, customer.merged_into_id)
    raise RuntimeError(f"merge chain from customer {customer.id} does not end")


def _ensure_contacts_free(uow: UnitOfWork, customer: Customer) -> None:
    """Dedupe: no other live customer may have the same email or phone."""
    email, phone = customer.profile.email, customer.profile.phone
    for label, other in (
        ("email", uow.customers.find_by_email(email) if email else None),
        ("phone", uow.customers.find_by_phone(phone) if phone else None),
    ):
        if other is not None and other.merged_into_id is None and other.id != customer.id:
            raise AlreadyExists(
                f"customer {other.id} already has this {label}", existing_id=str(other.id)
            )
