"""The customer aggregate's rules: normalization, validation, changes, consents, merges."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from crm_customer.domain import events
from crm_customer.domain.model import Customer, merge
from crm_customer.domain.values import (
    AcquisitionSource,
    Actor,
    ActorKind,
    ConsentChannel,
    Gender,
    InteractionChannel,
    PartyKind,
    Profile,
)
from crm_platform.errors import FailedPrecondition, FieldViolation, ValidationFailed

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
STAFF = Actor("user-1", ActorKind.STAFF)


def register(
    profile: Profile | None = None, *, phone_region: str = "US", **fields: object
) -> Customer:
    base = profile or Profile(name="Ada Lovelace", email="ada@example.com")
    return Customer.register(
        replace(base, **fields),  # type: ignore[arg-type]
        customer_id=uuid4(),
        now=NOW,
        phone_region=phone_region,
    )


def violations(error: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {v.field for v in error.value.violations}


def test_registration_normalizes_contact_details_and_tags() -> None:
    customer = register(
        name="  Ada Lovelace ",
        email="  Ada@Example.COM ",
        phone="(415) 555-2671",
        region=" North ",
        tags=(" VIP", "vip", "Retail "),
    )

    assert customer.profile.name == "Ada Lovelace"
    assert customer.profile.email == "ada@example.com"
    assert customer.profile.phone == "+14155552671"
    assert customer.profile.region == "North"
    assert customer.profile.tags == ("retail", "vip")
    assert customer.version == 1
    assert customer.created_at == customer.updated_at == NOW


def test_phone_without_country_code_is_read_in_the_configured_region() -> None:
    customer = register(phone="020 7946 0958", email=None, phone_region="GB")

    assert customer.profile.phone == "+442079460958"


def test_registration_records_one_event_with_a_snapshot() -> None:
    customer = register()

    [event] = customer.pull_events()

    assert isinstance(event, events.CustomerRegistered)
    assert event.customer.id == customer.id
    assert event.customer.version == 1
    assert customer.pull_events() == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "  "}, {"customer.name"}),
        ({"email": "not-an-email"}, {"customer.email"}),
        ({"email": None, "phone": None}, {"customer.email"}),
        ({"phone": "12"}, {"customer.phone"}),
        ({"birth_date": date(2999, 1, 1)}, {"customer.birth_date"}),
        ({"tags": ("ok", " ")}, {"customer.tags"}),
        ({"preferences": {" ": "x"}}, {"customer.preferences"}),
        (
            {"name": "", "email": "bad", "phone": "bad"},
            {"customer.name", "customer.email", "customer.phone"},
        ),
    ],
)
def test_invalid_profiles_name_the_fields_in_the_request(
    fields: dict[str, Any], expected: set[str]
) -> None:
    with pytest.raises(ValidationFailed) as error:
        register(**fields)

    assert violations(error) == expected


def test_an_organization_has_no_gender_or_birth_date() -> None:
    with pytest.raises(ValidationFailed) as error:
        register(kind=PartyKind.ORGANIZATION, gender=Gender.OTHER, birth_date=date(2000, 1, 1))

    assert violations(error) == {"customer.gender", "customer.birth_date"}


def test_update_applies_only_named_fields_and_reports_real_changes() -> None:
    customer = register(region="North")
    customer.pull_events()

    changed = customer.update(
        Profile(name="ignored", region="South", email="ada@example.com"),
        {"region", "email"},
        now=LATER,
        phone_region="US",
    )

    assert changed == ("region",)
    assert customer.profile.name == "Ada Lovelace"
    assert customer.profile.region == "South"
    assert customer.version == 2
    assert customer.updated_at == LATER
    [event] = customer.pull_events()
    assert isinstance(event, events.CustomerUpdated)
    assert event.changed_fields == ("region",)
    assert event.customer.version == 2


def test_an_update_that_changes_nothing_records_nothing() -> None:
    customer = register(email="ada@example.com")
    customer.pull_events()

    changed = customer.update(
        Profile(email=" ADA@example.com"), {"email"}, now=LATER, phone_region="US"
    )

    assert changed == ()
    assert customer.version == 1
    assert customer.pull_events() == []


def test_update_may_not_remove_the_last_contact() -> None:
    customer = register(email="ada@example.com", phone=None)

    with pytest.raises(ValidationFailed) as error:
        customer.update(Profile(email=""), {"email"}, now=LATER, phone_region="US")

    assert violations(error) == {"customer.email"}
    assert customer.profile.email == "ada@example.com"


def test_blacklist_and_unblacklist_are_transitions_with_a_reason() -> None:
    customer = register()
    customer.pull_events()

    with pytest.raises(ValidationFailed) as error:
        customer.blacklist("  ", now=LATER)
    assert violations(error) == {"reason"}

    customer.blacklist("fraud", now=LATER)
    with pytest.raises(FailedPrecondition):
        customer.blacklist("again", now=LATER)
    customer.unblacklist("cleared", now=LATER)
    with pytest.raises(FailedPrecondition):
        customer.unblacklist("again", now=LATER)

    assert [type(e) for e in customer.pull_events()] == [
        events.CustomerBlacklisted,
        events.CustomerUnblacklisted,
    ]
    assert customer.version == 3
    assert not customer.blacklisted


def test_consent_records_an_event_only_when_the_answer_changes() -> None:
    customer = register()
    customer.pull_events()

    assert customer.set_consent(ConsentChannel.EMAIL, True, now=NOW)
    assert not customer.set_consent(ConsentChannel.EMAIL, True, now=LATER)
    assert customer.set_consent(ConsentChannel.EMAIL, False, now=LATER)

    changes = customer.pull_events()
    assert [(e.granted, e.version) for e in changes if isinstance(e, events.ConsentChanged)] == [
        (True, 2),
        (False, 3),
    ]
    assert customer.consents[ConsentChannel.EMAIL].updated_at == LATER


def test_an_interaction_does_not_change_the_customer() -> None:
    customer = register()
    customer.pull_events()

    interaction = customer.log_interaction(
        interaction_id=uuid4(),
        channel=InteractionChannel.PHONE,
        summary=" asked about delivery ",
        occurred_at=None,
        actor=STAFF,
        now=NOW,
    )

    assert interaction.summary == "asked about delivery"
    assert interaction.occurred_at == NOW
    assert customer.version == 1
    [event] = customer.pull_events()
    assert isinstance(event, events.InteractionLogged)
    assert event.version == 1


def test_an_interaction_may_not_lie_in_the_future() -> None:
    customer = register()

    with pytest.raises(ValidationFailed) as error:
        customer.log_interaction(
            interaction_id=uuid4(),
            channel=InteractionChannel.EMAIL,
            summary="hello",
            occurred_at=NOW + timedelta(days=1),
            actor=STAFF,
            now=NOW,
        )

    assert error.value.violations == [FieldViolation("occurred_at", "must not be in the future")]


def test_merge_fills_empty_fields_and_unions_tags_and_preferences() -> None:
    survivor = register(
        name="Ada L.",
        email="ada@example.com",
        region=None,
        tags=("vip",),
        preferences={"language": "en", "newsletter": "weekly"},
    )
    merged = register(
        name="Ada Lovelace",
        email="ada.l@example.com",
        phone="+14155552671",
        region="North",
        gender=Gender.FEMALE,
        acquisition_source=AcquisitionSource.PARTNER,
        tags=("retail",),
        preferences={"language": "fr", "contact_time": "morning"},
    )

    merge(survivor, merged, now=LATER)

    assert survivor.profile.name == "Ada L."
    assert survivor.profile.email == "ada@example.com"
    assert survivor.profile.phone == "+14155552671"
    assert survivor.profile.region == "North"
    assert survivor.profile.gender is Gender.FEMALE
    assert survivor.profile.acquisition_source is AcquisitionSource.PARTNER
    assert survivor.profile.tags == ("retail", "vip")
    assert survivor.profile.preferences == {
        "language": "en",
        "newsletter": "weekly",
        "contact_time": "morning",
    }
    assert merged.merged_into_id == survivor.id
    assert (survivor.version, merged.version) == (2, 2)


def test_merge_keeps_the_most_recent_consent_per_channel_and_any_blacklist() -> None:
    survivor = register(email="a@example.com")
    merged = register(email="b@example.com")
    survivor.set_consent(ConsentChannel.EMAIL, True, now=NOW)
    merged.set_consent(ConsentChannel.EMAIL, False, now=LATER)
    survivor.set_consent(ConsentChannel.SMS, True, now=LATER)
    merged.set_consent(ConsentChannel.SMS, False, now=NOW)
    merged.set_consent(ConsentChannel.POST, True, now=NOW)
    merged.blacklist("chargebacks", now=NOW)
    survivor.pull_events()
    merged.pull_events()

    merge(survivor, merged, now=LATER)

    granted = {channel: c.granted for channel, c in survivor.consents.items()}
    assert granted == {
        ConsentChannel.EMAIL: False,
        ConsentChannel.SMS: True,
        ConsentChannel.POST: True,
    }
    assert survivor.blacklisted
    assert survivor.blacklist_reason == "chargebacks"
    [event] = survivor.pull_events()
    assert isinstance(event, events.CustomerMerged)
    assert event.merged_id == merged.id
    assert event.merged_version == merged.version
    assert event.survivor.version == survivor.version
    assert merged.pull_events() == []


def test_merge_does_not_give_an_organization_person_only_fields() -> None:
    survivor = register(kind=PartyKind.ORGANIZATION, name="Acme", email="info@acme.example")
    merged = register(email="boss@acme.example", gender=Gender.MALE, birth_date=date(1970, 1, 1))

    merge(survivor, merged, now=LATER)

    assert survivor.profile.gender is None
    assert survivor.profile.birth_date is None


def test_merge_into_itself_or_of_merged_records_is_refused() -> None:
    first, second, third = register(), register(), register()
    merge(first, second, now=LATER)

    with pytest.raises(FailedPrecondition):
        merge(first, first, now=LATER)
    with pytest.raises(FailedPrecondition):
        merge(third, second, now=LATER)
    with pytest.raises(FailedPrecondition):
        merge(second, third, now=LATER)


def test_a_merged_record_takes_no_more_changes() -> None:
    survivor, merged = register(), register()
    merge(survivor, merged, now=LATER)

    with pytest.raises(FailedPrecondition):
        merged.update(Profile(name="x"), {"name"}, now=LATER, phone_region="US")
    with pytest.raises(FailedPrecondition):
        merged.set_consent(ConsentChannel.SMS, True, now=LATER)
    with pytest.raises(FailedPrecondition):
        merged.blacklist("late", now=LATER)
