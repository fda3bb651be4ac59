"""The company-wide duplicate review: pairs sharing a block (name words, email local part,
phone ending) scored as the review of one record scores them, the strongest first, the older
record first in each pair; parties of another kind never pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from crm_customer.domain.duplicates import Party, duplicate_pairs
from crm_customer.domain.values import PartyKind, Profile

START = datetime(2026, 1, 1, tzinfo=UTC)


def party(n: int, **profile: object) -> Party:
    return Party(uuid4(), START + timedelta(days=n), Profile(**profile))  # type: ignore[arg-type]


def test_pairs_are_found_by_shared_name_email_or_phone_strongest_first() -> None:
    li = party(0, name="Li Wei", email="li.wei@example.com", city="Hangzhou")
    wei = party(1, name="Wei Li", email="liwei@mail.example", city="Hangzhou")
    phone_a = party(2, name="Zhang San", phone="+8613800138000", city="Ningbo")
    phone_b = party(3, name="Zhang  San.", phone="13800138000")
    stranger = party(4, name="Ada Lovelace", email="ada@example.com", city="London")

    pairs = duplicate_pairs([stranger, phone_b, wei, li, phone_a])

    assert [(p.first, p.second) for p in pairs] == [(li.id, wei.id), (phone_a.id, phone_b.id)]
    assert pairs[0].score == 100
    assert pairs[0].reasons == ("name 100 %", "email 100 %", "same city")
    assert pairs[1].reasons == ("name 100 %", "phone ends alike")
    assert pairs[0].score >= pairs[1].score


def test_a_person_and_an_organization_of_one_name_are_no_pair() -> None:
    person = party(0, name="Blue Sky", city="Shanghai")
    company = party(1, name="Blue Sky", city="Shanghai", kind=PartyKind.ORGANIZATION)

    assert duplicate_pairs([person, company]) == []


def test_a_weak_pair_is_left_out_below_the_score_asked_for() -> None:
    older = party(0, name="Chen Jie", city="Suzhou")
    newer = party(1, name="Chen Jie", city="Wuxi")  # the name alone: 60

    assert duplicate_pairs([older, newer]) == []
    assert [p.score for p in duplicate_pairs([older, newer], min_score=60)] == [60]
