"""The case workflow through its handlers, on fakes: opening (the contact recognized, a
customer's own case on the portal), the steps and who may take them, the conversation with its
internal notes, reopening within the window, visibility, and refusals that change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crm_platform.errors import (
    Conflict,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    Unavailable,
    ValidationFailed,
)
from crm_service.domain import cases as events
from crm_service.domain.cases import (
    Case,
    CaseChannel,
    CaseDetails,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    CustomerRecognition,
    Recognized,
    reference_of,
)
from crm_service.service_layer.cases import CaseHandlers

from tests.service.unit.fakes import (
    ADMIN,
    AGENT,
    CUSTOMER,
    CUSTOMER_ID,
    MANAGER,
    OTHER_AGENT,
    OTHER_CUSTOMER,
    SALES_REP,
    Clock,
    FakeCustomers,
    FakeStore,
    FakeUnitOfWork,
)

DETAILS = CaseDetails(CaseType.COMPLAINT, CasePriority.HIGH, "  Sofa   arrived scratched ")
CONTACT = Contact(email="Qian@Example.cn")


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def customers() -> FakeCustomers:
    return FakeCustomers()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def handlers(store: FakeStore, customers: FakeCustomers, clock: Clock) -> CaseHandlers:
    return CaseHandlers(
        lambda: FakeUnitOfWork(store), customers, clock=clock, reopen_window=timedelta(days=7)
    )


def staff_case(handlers: CaseHandlers, channel: CaseChannel | None = None) -> Case:
    return handlers.open(AGENT, details=DETAILS, channel=channel, contact=CONTACT)


def test_staff_open_a_case_for_a_recognized_contact(
    handlers: CaseHandlers, customers: FakeCustomers, store: FakeStore
) -> None:
    customers.known["qian@example.cn"] = Recognized(CustomerRecognition.RETURNING, CUSTOMER_ID)

    case = staff_case(handlers, CaseChannel.PHONE)

    assert (case.status, case.channel, case.version) == (CaseStatus.NEW, CaseChannel.PHONE, 1)
    assert (case.customer_id, case.recognition) == (CUSTOMER_ID, CustomerRecognition.RETURNING)
    assert case.details.subject == "Sofa arrived scratched"
    assert case.contact.email == "qian@example.cn"
    assert case.reference == reference_of(case.id)
    assert case.reference.startswith("CS-")
    assert len(case.reference) == 11
    assert [type(event) for event in store.events] == [events.CaseOpened]
    assert store.events[0].version == 1


def test_a_new_or_blacklisted_contact_is_recorded_as_such(
    handlers: CaseHandlers, customers: FakeCustomers
) -> None:
    unknown = staff_case(handlers)
    assert (unknown.customer_id, unknown.recognition) == (None, CustomerRecognition.NEW)
    assert unknown.channel is CaseChannel.STAFF

    customers.known["+86 21 5555 0101"] = Recognized(CustomerRecognition.BLACKLISTED, CUSTOMER_ID)
    flagged = handlers.open(
        AGENT, details=DETAILS, channel=None, contact=Contact(phone="+86 21  5555 0101")
    )
    assert (flagged.customer_id, flagged.recognition) == (
        CUSTOMER_ID,
        CustomerRecognition.BLACKLISTED,
    )


def test_the_customer_service_down_opens_nothing(
    handlers: CaseHandlers, customers: FakeCustomers, store: FakeStore
) -> None:
    customers.down = True
    with pytest.raises(Unavailable):
        staff_case(handlers)
    assert (store.cases, store.events, store.commits) == ({}, [], 0)


def test_a_customer_opens_their_own_case_on_the_portal(
    handlers: CaseHandlers, customers: FakeCustomers
) -> None:
    case = handlers.open(CUSTOMER, details=DETAILS, channel=CaseChannel.PHONE, contact=Contact())
    assert (case.customer_id, case.channel) == (CUSTOMER_ID, CaseChannel.PORTAL)
    assert customers.asked == []  # the token says who they are


def test_bad_input_names_the_fields_and_changes_nothing(
    handlers: CaseHandlers, store: FakeStore
) -> None:
    with pytest.raises(ValidationFailed) as error:
        handlers.open(
            AGENT,
            details=CaseDetails(CaseType.INQUIRY, CasePriority.LOW, " ", order_ref="x" * 101),
            channel=None,
            contact=Contact(email="not-an-email"),
        )
    assert [v.field for v in error.value.violations] == ["contact_email"]
    with pytest.raises(ValidationFailed) as error:
        handlers.open(
            AGENT,
            details=CaseDetails(CaseType.INQUIRY, CasePriority.LOW, " ", order_ref="x" * 101),
            channel=None,
            contact=CONTACT,
        )
    assert [v.field for v in error.value.violations] == ["subject", "order_ref"]
    with pytest.raises(ValidationFailed) as error:
        handlers.open(AGENT, details=DETAILS, channel=None, contact=Contact())
    assert [v.field for v in error.value.violations] == ["contact_email"]
    with pytest.raises(PermissionDenied):
        handlers.open(SALES_REP, details=DETAILS, channel=None, contact=CONTACT)
    assert store.cases == {}


def test_the_workflow_from_new_to_closed_records_every_transition(
    handlers: CaseHandlers, store: FakeStore, clock: Clock
) -> None:
    case = staff_case(handlers)
    case = handlers.assign(AGENT, case.id, 1, AGENT.subject)
    assert (case.status, case.owner_id, case.version) == (CaseStatus.ASSIGNED, "agent-1", 2)
    case = handlers.change(AGENT, case.id, 2, Case.start)
    case = handlers.change(AGENT, case.id, 0, Case.wait_on_customer)
    assert case.status is CaseStatus.WAITING_ON_CUSTOMER
    case = handlers.change(AGENT, case.id, 0, Case.start)
    clock.now += timedelta(hours=2)
    case = handlers.change(
        AGENT, case.id, 0, lambda c, who, now: c.resolve(who, now, "Replaced the cover")
    )
    assert (case.status, case.resolution, case.resolved_at) == (
        CaseStatus.RESOLVED,
        "Replaced the cover",
        clock.now,
    )
    case = handlers.change(AGENT, case.id, 0, Case.close)
    assert (case.status, case.closed_at, case.version) == (CaseStatus.CLOSED, clock.now, 7)

    changes = [e for e in store.events if isinstance(e, events.CaseStatusChanged)]
    assert [(e.from_status.value, e.to_status.value) for e in changes] == [
        ("assigned", "in_progress"),
        ("in_progress", "waiting_on_customer"),
        ("waiting_on_customer", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    assert [e.version for e in store.events] == [1, 2, 3, 4, 5, 6, 7]
    assigned = next(e for e in store.events if isinstance(e, events.CaseAssigned))
    assert (assigned.from_owner_id, assigned.to_owner_id) == (None, "agent-1")


def test_illegal_steps_and_other_agents_are_refused(
    handlers: CaseHandlers, store: FakeStore
) -> None:
    case = staff_case(handlers)
    with pytest.raises(FailedPrecondition):
        handlers.change(AGENT, case.id, 0, Case.start)  # nobody took it
    with pytest.raises(PermissionDenied):
        handlers.assign(AGENT, case.id, 0, OTHER_AGENT.subject)  # only a manager gives it away
    case = handlers.assign(MANAGER, case.id, 0, AGENT.subject)
    with pytest.raises(FailedPrecondition):
        handlers.change(AGENT, case.id, 0, Case.close)  # not resolved
    with pytest.raises(FailedPrecondition):
        handlers.change(AGENT, case.id, 0, Case.wait_on_customer)  # not in progress
    with pytest.raises(NotFound):
        handlers.change(OTHER_AGENT, case.id, 0, Case.start)  # not theirs to see
    with pytest.raises(Conflict):
        handlers.change(AGENT, case.id, 1, Case.start)
    assert store.cases[case.id].version == 2
    assert store.cases[case.id].status is CaseStatus.ASSIGNED


def test_a_customer_never_sees_internal_notes_and_their_reply_resumes_the_case(
    handlers: CaseHandlers, store: FakeStore
) -> None:
    case = handlers.open(CUSTOMER, details=DETAILS, channel=None, contact=Contact())
    handlers.assign(AGENT, case.id, 0, AGENT.subject)
    handlers.change(AGENT, case.id, 0, Case.start)
    handlers.add_message(AGENT, case.id, 0, body="Customer sounds upset", internal=True)
    case = handlers.add_message(AGENT, case.id, 0, body="Could you send a photo?", internal=False)
    assert case.first_response_at is not None
    handlers.change(AGENT, case.id, 0, Case.wait_on_customer)
    with pytest.raises(PermissionDenied):
        handlers.add_message(CUSTOMER, case.id, 0, body="psst", internal=True)

    case = handlers.add_message(CUSTOMER, case.id, 0, body="Photo attached", internal=False)

    assert case.status is CaseStatus.IN_PROGRESS
    seen = handlers.get(CUSTOMER, case.id)
    assert [m.body for m in seen.conversation_for(CUSTOMER)] == [
        "Could you send a photo?",
        "Photo attached",
    ]
    assert len(seen.conversation_for(AGENT)) == 3
    resumed = store.events[-1]
    assert isinstance(resumed, events.CaseStatusChanged)
    assert resumed.to_status is CaseStatus.IN_PROGRESS
    assert isinstance(store.events[-2], events.CaseMessageAdded)
    with pytest.raises(NotFound):
        handlers.get(OTHER_CUSTOMER, case.id)


def test_reopening_only_within_the_window(handlers: CaseHandlers, clock: Clock) -> None:
    case = staff_case(handlers)
    handlers.assign(AGENT, case.id, 0, AGENT.subject)
    handlers.change(AGENT, case.id, 0, lambda c, who, now: c.resolve(who, now, "Done"))
    with pytest.raises(FailedPrecondition):
        handlers.change(AGENT, case.id, 0, Case.start)  # resolved: reopen it instead
    with pytest.raises(FailedPrecondition):
        handlers.reopen(AGENT, staff_case(handlers).id, 0, "Open already")
    clock.now += timedelta(days=7)

    case = handlers.reopen(AGENT, case.id, 0, "Still scratched")

    assert (case.status, case.reopen_count, case.resolved_at, case.resolution) == (
        CaseStatus.IN_PROGRESS,
        1,
        None,
        "",
    )
    handlers.change(AGENT, case.id, 0, lambda c, who, now: c.resolve(who, now, "Done again"))
    handlers.change(AGENT, case.id, 0, Case.close)
    with pytest.raises(FailedPrecondition):
        handlers.add_message(AGENT, case.id, 0, body="closed", internal=False)
    clock.now += timedelta(days=7, seconds=1)
    with pytest.raises(FailedPrecondition):
        handlers.reopen(AGENT, case.id, 0, "Too late")
    assert handlers.get(AGENT, case.id).status is CaseStatus.CLOSED


def test_visibility_queue_team_and_everything(handlers: CaseHandlers, store: FakeStore) -> None:
    mine = staff_case(handlers)
    handlers.assign(AGENT, mine.id, 0, AGENT.subject)
    theirs = staff_case(handlers)
    handlers.assign(MANAGER, theirs.id, 0, "agent-3")
    queued = staff_case(handlers)

    def ids(actor: object, **filters: object) -> set[object]:
        page = handlers.list(
            actor,  # type: ignore[arg-type]
            status=None,
            owner_id=None,
            unassigned=bool(filters.get("unassigned")),
            customer_id=None,
            page_size=0,
            page_token="",
        )
        return {case.id for case in page.items}

    assert ids(AGENT) == {mine.id, queued.id}
    assert ids(AGENT, unassigned=True) == {queued.id}
    store.teams.append(frozenset({"agent-1", "agent-3", "manager-1"}))
    assert ids(AGENT) == {mine.id, theirs.id, queued.id}
    assert ids(ADMIN) == {mine.id, theirs.id, queued.id}
    assert ids(SALES_REP) == set()
    assert ids(CUSTOMER) == set()
