"""The command and query handlers over in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4

import pytest
from crm_customer.domain import events
from crm_customer.domain.values import (
    Actor,
    ActorKind,
    ConsentChannel,
    InteractionChannel,
    Profile,
    Recognition,
)
from crm_customer.service_layer import commands
from crm_customer.service_layer.access import Caller
from crm_customer.service_layer.handlers import CustomerHandlers
from crm_customer.service_layer.ports import CustomerFilters
from crm_platform import context
from crm_platform.context import Principal
from crm_platform.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from crm_proto.crm.common.v1 import common_pb2

from tests.customer.unit.fakes import FakeUnitOfWork, Store

STAFF = Caller(Actor("user-7", ActorKind.STAFF))
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """Each reading is one second after the previous one."""

    def __init__(self) -> None:
        self.ticks = count()

    def __call__(self) -> datetime:
        return START + timedelta(seconds=next(self.ticks))


@pytest.fixture(autouse=True)
def _staff_principal() -> Iterator[None]:
    """The principal of every call, as the interceptor sets it: STAFF's, unless a test acts as
    another."""
    with context.acting_as(Principal(STAFF.actor.subject, kind=common_pb2.ACTOR_KIND_STAFF)):
        yield


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def handlers(store: Store) -> CustomerHandlers:
    return CustomerHandlers(lambda: FakeUnitOfWork(store), phone_region="US", clock=Clock())


def create(handlers: CustomerHandlers, key: str = "", **fields: object) -> UUID:
    profile = Profile(**{"name": "Ada", "email": "ada@example.com", **fields})  # type: ignore[arg-type]
    return handlers.create_customer(commands.CreateCustomer(profile, STAFF, key)).id


def published_types(store: Store) -> list[type]:
    return [type(event) for event, _ in store.published]


def test_create_stores_the_customer_and_publishes_registration_by_the_actor(
    handlers: CustomerHandlers, store: Store
) -> None:
    customer_id = create(handlers, email=" ADA@example.com ")

    assert store.customers[customer_id].profile.email == "ada@example.com"
    [(event, actor)] = store.published
    assert isinstance(event, events.CustomerRegistered)
    assert event.customer.id == customer_id
    assert actor == STAFF.actor


def test_invalid_create_writes_nothing(handlers: CustomerHandlers, store: Store) -> None:
    with pytest.raises(ValidationFailed):
        create(handlers, email="nope")

    assert store.customers == {}
    assert store.published == []


@pytest.mark.parametrize(
    "duplicate",
    [{"email": "ADA@example.com"}, {"email": None, "phone": "+1 415 555 2671"}],
)
def test_create_refuses_a_known_email_or_phone_naming_the_existing_customer(
    handlers: CustomerHandlers, store: Store, duplicate: dict[str, Any]
) -> None:
    existing = create(handlers, phone="(415) 555-2671")

    with pytest.raises(AlreadyExists) as error:
        create(handlers, **duplicate)

    assert error.value.existing_id == str(existing)
    assert list(store.customers) == [existing]


def test_a_merged_record_does_not_block_its_email(handlers: CustomerHandlers, store: Store) -> None:
    survivor = create(handlers, email="a@example.com")
    merged = create(handlers, email="b@example.com")
    handlers.merge_customers(commands.MergeCustomers(survivor, merged, STAFF))

    again = create(handlers, email="b@example.com")

    assert store.customers[again].merged_into_id is None


def test_a_retry_with_the_same_idempotency_key_returns_the_first_customer(
    handlers: CustomerHandlers, store: Store
) -> None:
    first = create(handlers, key="order-42")
    retry = create(handlers, key="order-42")

    assert retry == first
    assert len(store.customers) == 1
    assert published_types(store) == [events.CustomerRegistered]


def test_update_with_a_stale_expected_version_is_a_conflict(
    handlers: CustomerHandlers, store: Store
) -> None:
    customer_id = create(handlers)
    handlers.update_customer(
        commands.UpdateCustomer(customer_id, Profile(city="Lyon"), frozenset({"city"}), STAFF, 1)
    )

    with pytest.raises(Conflict):
        handlers.update_customer(
            commands.UpdateCustomer(
                customer_id, Profile(city="Nice"), frozenset({"city"}), STAFF, 1
            )
        )

    assert store.customers[customer_id].profile.city == "Lyon"
    assert store.customers[customer_id].version == 2


def test_an_unchanged_update_publishes_nothing(handlers: CustomerHandlers, store: Store) -> None:
    customer_id = create(handlers, city="Lyon")
    commits = store.commits

    customer = handlers.update_customer(
        commands.UpdateCustomer(customer_id, Profile(city=" Lyon "), frozenset({"city"}), STAFF)
    )

    assert customer.version == 1
    assert store.commits == commits
    assert published_types(store) == [events.CustomerRegistered]


def test_update_to_another_customers_email_is_refused(
    handlers: CustomerHandlers, store: Store
) -> None:
    first = create(handlers, email="a@example.com")
    second = create(handlers, email="b@example.com")

    with pytest.raises(AlreadyExists) as error:
        handlers.update_customer(
            commands.UpdateCustomer(
                second, Profile(email="a@example.com"), frozenset({"email"}), STAFF
            )
        )

    assert error.value.existing_id == str(first)
    assert store.customers[second].profile.email == "b@example.com"


def test_update_needs_a_mask_of_profile_fields(handlers: CustomerHandlers) -> None:
    customer_id = create(handlers)

    for fields in (frozenset(), frozenset({"version"})):
        with pytest.raises(ValidationFailed) as error:
            handlers.update_customer(commands.UpdateCustomer(customer_id, Profile(), fields, STAFF))
        assert error.value.violations[0].field == "update_mask"


def test_get_of_an_unknown_customer_is_not_found(handlers: CustomerHandlers) -> None:
    with pytest.raises(NotFound):
        handlers.get_customer(commands.GetCustomer(uuid4(), STAFF))


def test_merge_moves_the_timeline_and_publishes_one_event(
    handlers: CustomerHandlers, store: Store
) -> None:
    survivor = create(handlers, email="a@example.com")
    merged = create(handlers, email="b@example.com")
    handlers.log_interaction(
        commands.LogInteraction(merged, InteractionChannel.PHONE, "called", STAFF)
    )

    result = handlers.merge_customers(commands.MergeCustomers(survivor, merged, STAFF))

    assert result.id == survivor
    assert store.customers[merged].merged_into_id == survivor
    timeline = handlers.list_interactions(commands.ListInteractions(survivor, STAFF))
    assert [i.summary for i in timeline.items] == ["called"]
    assert published_types(store)[-1] is events.CustomerMerged
    assert published_types(store).count(events.CustomerMerged) == 1


def test_recognition_finds_new_returning_and_blacklisted_customers(
    handlers: CustomerHandlers,
) -> None:
    assert (
        handlers.recognize_customer(
            commands.RecognizeCustomer(STAFF, email="who@example.com")
        ).recognition
        is Recognition.NEW
    )

    customer_id = create(handlers, phone="+14155552671")
    returning = handlers.recognize_customer(commands.RecognizeCustomer(STAFF, phone="415-555-2671"))
    assert returning.recognition is Recognition.RETURNING
    assert returning.customer is not None
    assert returning.customer.id == customer_id

    handlers.blacklist_customer(commands.BlacklistCustomer(customer_id, "fraud", STAFF))
    blacklisted = handlers.recognize_customer(
        commands.RecognizeCustomer(STAFF, email="ADA@example.com")
    )
    assert blacklisted.recognition is Recognition.BLACKLISTED


def test_recognition_of_a_merged_record_leads_to_the_end_of_the_merge_chain(
    handlers: CustomerHandlers,
) -> None:
    first = create(handlers, email="a@example.com")
    second = create(handlers, email="b@example.com")
    third = create(handlers, email="c@example.com")
    handlers.merge_customers(commands.MergeCustomers(second, first, STAFF))
    handlers.merge_customers(commands.MergeCustomers(third, second, STAFF))

    result = handlers.recognize_customer(commands.RecognizeCustomer(STAFF, email="a@example.com"))

    assert result.recognition is Recognition.RETURNING
    assert result.customer is not None
    assert result.customer.id == third


def test_recognition_needs_an_email_or_a_phone(handlers: CustomerHandlers) -> None:
    with pytest.raises(ValidationFailed) as error:
        handlers.recognize_customer(commands.RecognizeCustomer(STAFF))

    assert error.value.violations[0].field == "email"


def test_setting_the_same_consent_again_commits_nothing(
    handlers: CustomerHandlers, store: Store
) -> None:
    customer_id = create(handlers)
    consent = commands.SetConsent(customer_id, ConsentChannel.SMS, True, STAFF)
    handlers.set_consent(consent)
    commits = store.commits

    handlers.set_consent(consent)

    assert store.commits == commits
    assert published_types(store).count(events.ConsentChanged) == 1


def test_no_interaction_on_a_merged_record(handlers: CustomerHandlers, store: Store) -> None:
    survivor = create(handlers, email="a@example.com")
    merged = create(handlers, email="b@example.com")
    handlers.merge_customers(commands.MergeCustomers(survivor, merged, STAFF))

    with pytest.raises(FailedPrecondition):
        handlers.log_interaction(
            commands.LogInteraction(merged, InteractionChannel.EMAIL, "late", STAFF)
        )

    assert store.interactions == {}


def test_list_pages_through_live_customers_in_creation_order(handlers: CustomerHandlers) -> None:
    created = [create(handlers, email=f"c{n}@example.com", tags=("vip",)) for n in range(5)]
    create(handlers, email="other@example.com")

    seen: list[UUID] = []
    token = ""
    for _ in range(5):
        page = handlers.list_customers(
            commands.ListCustomers(CustomerFilters(tag="vip"), STAFF, page_size=2, page_token=token)
        )
        seen += [c.id for c in page.items]
        token = page.next_page_token
        if not token:
            break

    assert seen == created


def test_a_forged_page_token_is_invalid(handlers: CustomerHandlers) -> None:
    with pytest.raises(ValidationFailed) as error:
        handlers.list_customers(
            commands.ListCustomers(CustomerFilters(), STAFF, page_token="bogus")
        )

    assert error.value.violations[0].field == "page.page_token"


def test_timeline_is_newest_first_across_pages(handlers: CustomerHandlers) -> None:
    customer_id = create(handlers)
    for n in range(3):
        handlers.log_interaction(
            commands.LogInteraction(
                customer_id,
                InteractionChannel.EMAIL,
                f"mail {n}",
                STAFF,
                occurred_at=START + timedelta(minutes=n),
            )
        )

    first = handlers.list_interactions(commands.ListInteractions(customer_id, STAFF, page_size=2))
    second = handlers.list_interactions(
        commands.ListInteractions(customer_id, STAFF, page_size=2, page_token=first.next_page_token)
    )

    assert [i.summary for i in first.items + second.items] == ["mail 2", "mail 1", "mail 0"]
    assert second.next_page_token == ""


# -- object-level authorization -------------------------------------------------------------


def customer_caller(customer_id: UUID) -> Caller:
    return Caller(Actor("login-1", ActorKind.CUSTOMER), customer_id)


def test_a_customer_reads_their_own_record_and_no_other(handlers: CustomerHandlers) -> None:
    own = create(handlers, email="own@example.com")
    other = create(handlers, email="other@example.com")
    caller = customer_caller(own)

    assert handlers.get_customer(commands.GetCustomer(own, caller)).id == own
    with pytest.raises(NotFound) as foreign:
        handlers.get_customer(commands.GetCustomer(other, caller))
    with pytest.raises(NotFound) as unknown:
        handlers.get_customer(commands.GetCustomer(missing := uuid4(), caller))
    assert str(foreign.value) == f"customer {other} not found"
    assert str(unknown.value) == f"customer {missing} not found"


def test_a_customers_change_records_them_as_the_actor(
    handlers: CustomerHandlers, store: Store
) -> None:
    own = create(handlers)
    caller = customer_caller(own)

    with context.acting_as(Principal("login-1", kind=common_pb2.ACTOR_KIND_CUSTOMER)):
        handlers.update_customer(
            commands.UpdateCustomer(own, Profile(city="Lyon"), frozenset({"city"}), caller)
        )

    event, actor = store.published[-1]
    assert isinstance(event, events.CustomerUpdated)
    assert actor == Actor("login-1", ActorKind.CUSTOMER)


@pytest.mark.parametrize("field", ["owner_id", "acquisition_source", "kind", "tags", "partner_id"])
def test_a_customer_may_not_set_staff_fields(
    handlers: CustomerHandlers, store: Store, field: str
) -> None:
    own = create(handlers)
    published = len(store.published)

    with pytest.raises(PermissionDenied, match=f"may not set {field}"):
        handlers.update_customer(
            commands.UpdateCustomer(own, Profile(), frozenset({field}), customer_caller(own))
        )
    assert len(store.published) == published


def test_a_customer_may_not_list_merge_blacklist_recognize_or_register(
    handlers: CustomerHandlers, store: Store
) -> None:
    own, other = create(handlers, email="a@example.com"), create(handlers, email="b@example.com")
    caller = customer_caller(own)
    attempts: list[Callable[[], object]] = [
        lambda: handlers.list_customers(commands.ListCustomers(CustomerFilters(), caller)),
        lambda: handlers.merge_customers(commands.MergeCustomers(own, other, caller)),
        lambda: handlers.blacklist_customer(commands.BlacklistCustomer(own, "x", caller)),
        lambda: handlers.unblacklist_customer(commands.UnblacklistCustomer(own, "x", caller)),
        lambda: handlers.recognize_customer(commands.RecognizeCustomer(caller, email="b@x.io")),
        lambda: handlers.create_customer(
            commands.CreateCustomer(Profile(name="N", email="n@example.com"), caller)
        ),
    ]
    published = len(store.published)

    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert len(store.published) == published


# -- partner users: the records assigned to their partner --------------------------------------

PARTNER = uuid4()


def partner_caller(partner_id: UUID | None = PARTNER) -> Caller:
    return Caller(Actor("partner-user-1", ActorKind.PARTNER), partner_id=partner_id)


def test_staff_assign_a_customer_to_a_partner_and_the_event_names_them(
    handlers: CustomerHandlers, store: Store
) -> None:
    customer_id = create(handlers)

    updated = handlers.update_customer(
        commands.UpdateCustomer(
            customer_id, Profile(partner_id=PARTNER), frozenset({"partner_id"}), STAFF
        )
    )

    assert updated.profile.partner_id == PARTNER
    assert store.customers[customer_id].profile.partner_id == PARTNER
    event, actor = store.published[-1]
    assert isinstance(event, events.CustomerUpdated)
    assert event.changed_fields == ("partner_id",)
    assert event.customer.profile.partner_id == PARTNER
    assert actor == STAFF.actor


def test_a_partner_user_reads_what_is_assigned_to_their_partner(
    handlers: CustomerHandlers,
) -> None:
    assigned = create(handlers, email="assigned@example.com", partner_id=PARTNER)
    handlers.log_interaction(
        commands.LogInteraction(assigned, InteractionChannel.PHONE, "called", STAFF)
    )

    record = handlers.get_customer(commands.GetCustomer(assigned, partner_caller()))
    timeline = handlers.list_interactions(commands.ListInteractions(assigned, partner_caller()))

    assert record.id == assigned
    assert [i.summary for i in timeline.items] == ["called"]


@pytest.mark.parametrize("assignment", ["another-partner", "no-partner", "unknown-id"])
def test_anything_else_is_not_found_for_a_partner_user_like_an_unknown_id(
    handlers: CustomerHandlers, assignment: str
) -> None:
    partner_id = {"another-partner": uuid4(), "no-partner": None, "unknown-id": None}[assignment]
    customer_id = create(handlers, partner_id=partner_id)
    if assignment == "unknown-id":
        customer_id = uuid4()

    with pytest.raises(NotFound) as read:
        handlers.get_customer(commands.GetCustomer(customer_id, partner_caller()))
    with pytest.raises(NotFound) as timeline:
        handlers.list_interactions(commands.ListInteractions(customer_id, partner_caller()))

    assert str(read.value) == str(timeline.value) == f"customer {customer_id} not found"


def test_a_partner_token_without_a_partner_of_ours_sees_nothing(
    handlers: CustomerHandlers,
) -> None:
    customer_id = create(handlers, partner_id=PARTNER)
    nobody = partner_caller(None)

    with pytest.raises(NotFound):
        handlers.get_customer(commands.GetCustomer(customer_id, nobody))
    with pytest.raises(PermissionDenied):
        handlers.list_customers(commands.ListCustomers(CustomerFilters(), nobody))


def test_a_partner_users_list_holds_only_their_partners_customers(
    handlers: CustomerHandlers,
) -> None:
    mine = [create(handlers, email=f"mine{n}@example.com", partner_id=PARTNER) for n in range(3)]
    create(handlers, email="theirs@example.com", partner_id=uuid4())
    create(handlers, email="nobodys@example.com")

    first = handlers.list_customers(
        commands.ListCustomers(CustomerFilters(), partner_caller(), page_size=2)
    )
    second = handlers.list_customers(
        commands.ListCustomers(
            CustomerFilters(), partner_caller(), page_token=first.next_page_token
        )
    )
    named = handlers.list_customers(
        commands.ListCustomers(CustomerFilters(partner_id=PARTNER), partner_caller())
    )

    assert [c.id for c in first.items + second.items] == mine
    assert [c.id for c in named.items] == mine


def test_a_partner_user_may_not_list_another_partners_customers(
    handlers: CustomerHandlers,
) -> None:
    create(handlers, partner_id=(other := uuid4()))

    with pytest.raises(PermissionDenied, match="only their own partner"):
        handlers.list_customers(
            commands.ListCustomers(CustomerFilters(partner_id=other), partner_caller())
        )


def test_staff_list_the_customers_of_a_partner(handlers: CustomerHandlers) -> None:
    assigned = create(handlers, email="assigned@example.com", partner_id=PARTNER)
    create(handlers, email="other@example.com")

    page = handlers.list_customers(
        commands.ListCustomers(CustomerFilters(partner_id=PARTNER), STAFF)
    )

    assert [c.id for c in page.items] == [assigned]


def test_a_partner_user_changes_nothing_not_even_what_is_assigned_to_them(
    handlers: CustomerHandlers, store: Store
) -> None:
    assigned = create(handlers, email="a@example.com", partner_id=PARTNER)
    other = create(handlers, email="b@example.com", partner_id=PARTNER)
    caller = partner_caller()
    attempts: list[Callable[[], object]] = [
        lambda: handlers.create_customer(
            commands.CreateCustomer(Profile(name="N", email="n@example.com"), caller)
        ),
        lambda: handlers.update_customer(
            commands.UpdateCustomer(assigned, Profile(city="Lyon"), frozenset({"city"}), caller)
        ),
        lambda: handlers.update_customer(
            commands.UpdateCustomer(
                assigned, Profile(partner_id=None), frozenset({"partner_id"}), caller
            )
        ),
        lambda: handlers.set_consent(
            commands.SetConsent(assigned, ConsentChannel.EMAIL, True, caller)
        ),
        lambda: handlers.log_interaction(
            commands.LogInteraction(assigned, InteractionChannel.WEB, "x", caller)
        ),
        lambda: handlers.merge_customers(commands.MergeCustomers(assigned, other, caller)),
        lambda: handlers.blacklist_customer(commands.BlacklistCustomer(assigned, "x", caller)),
        lambda: handlers.unblacklist_customer(commands.UnblacklistCustomer(assigned, "x", caller)),
        lambda: handlers.recognize_customer(
            commands.RecognizeCustomer(caller, email="a@example.com")
        ),
    ]
    published = len(store.published)
    before = dict(store.customers)

    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert len(store.published) == published
    assert store.customers == before


def test_a_merge_keeps_the_survivors_partner_or_takes_the_merged_ones(
    handlers: CustomerHandlers,
) -> None:
    unassigned = create(handlers, email="a@example.com")
    assigned = create(handlers, email="b@example.com", partner_id=PARTNER)
    other_partner = create(handlers, email="c@example.com", partner_id=uuid4())

    taken = handlers.merge_customers(commands.MergeCustomers(unassigned, assigned, STAFF))
    kept = handlers.merge_customers(commands.MergeCustomers(other_partner, unassigned, STAFF))

    assert taken.profile.partner_id == PARTNER
    assert kept.profile.partner_id != PARTNER
