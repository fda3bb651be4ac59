"""The contact copy: each piece (profile, blacklisting, each consent) keeps the customer version
it was set at, so events applied in any order end in the same copy, and a contact is reachable
on a channel only with consent, an address, and in good standing."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from uuid import uuid4

import pytest
from crm_marketing.domain.contacts import Channel, Contact, Profile

CUSTOMER = uuid4()
PROFILE = Profile("Wang Fang", "wang@acme.cn", "+8613800000001", "south", "Guangzhou")
Change = Callable[[Contact], bool]

# registered without consent (1), consent to email (2), blacklisted (3), lifted (4)
EVENTS: list[Change] = [
    lambda c: c.apply_snapshot(PROFILE, False, {Channel.EMAIL: False}, None, 1),
    lambda c: c.set_consent(Channel.EMAIL, True, 2),
    lambda c: c.set_blacklisted(True, 3),
    lambda c: c.set_blacklisted(False, 4),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(EVENTS)))))
def test_events_in_any_order_end_in_the_same_copy(order: tuple[int, ...]) -> None:
    contact = Contact(CUSTOMER)
    for index in order:
        EVENTS[index](contact)

    assert (contact.profile, contact.consents_to(Channel.EMAIL)) == (PROFILE, True)
    assert (contact.blacklisted.value, contact.version) == (False, 4)
    assert contact.reachable_by(Channel.EMAIL)


def test_a_redelivered_or_older_event_changes_nothing() -> None:
    contact = Contact(CUSTOMER)
    contact.apply_snapshot(PROFILE, False, {Channel.EMAIL: True}, None, 5)

    assert not contact.set_consent(Channel.EMAIL, False, 5)
    assert not contact.apply_snapshot(Profile("Old name"), True, {Channel.EMAIL: False}, None, 3)
    assert (contact.profile.name, contact.blacklisted.value) == ("Wang Fang", False)


@pytest.mark.parametrize(
    ("change", "reachable"),
    [
        (lambda c: None, True),
        (lambda c: c.set_consent(Channel.EMAIL, False, 9), False),
        (lambda c: c.set_blacklisted(True, 9), False),
        (lambda c: c.merge_into(uuid4(), 9), False),
        (lambda c: c.apply_snapshot(Profile("No email"), False, {}, None, 9), False),
    ],
)
def test_a_contact_is_reached_by_email_only_with_consent_an_address_and_good_standing(
    change: Callable[[Contact], object], reachable: bool
) -> None:
    contact = Contact(CUSTOMER)
    contact.apply_snapshot(PROFILE, False, {Channel.EMAIL: True}, None, 1)
    change(contact)

    assert contact.reachable_by(Channel.EMAIL) is reachable
    assert not contact.reachable_by(Channel.SMS)  # never consented
