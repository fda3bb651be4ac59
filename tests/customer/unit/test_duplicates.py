"""Possible duplicates: a name alike weighs most, an email local part or a phone's last digits
alike and the same city add to it; another kind of party, a merged record or the record itself
are never candidates; the likeliest comes first, with its reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from crm_customer.domain.duplicates import possible_duplicates
from crm_customer.domain.model import Customer
from crm_customer.domain.values import PartyKind, Profile

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def customer(name: str, *, email: str | None = None, phone: str | None = None,
             city: str | None = None, kind: PartyKind = PartyKind.PERSON) -> Customer:  # fmt: skip
    return Customer(
        id=uuid4(),
        profile=Profile(kind=kind, name=name, email=email, phone=phone, city=city),
        created_at=NOW,
        updated_at=NOW,
    )


def test_the_same_person_written_otherwise_is_found_with_its_reasons() -> None:
    record = customer("Li Wei", email="li.wei@example.com", phone="+8613812345678", city="Hangzhou")
    swapped = customer("Wei Li", email="liwei@mail.example.cn", city="hangzhou")
    local_number = customer("Li  Wei", phone="+113812345678", city="Hangzhou")
    stranger = customer("Zhang San", city="Hangzhou")

    found = possible_duplicates(record, [stranger, local_number, swapped])

    assert {(m.customer.id, m.score) for m in found} == {(swapped.id, 100), (local_number.id, 100)}
    reasons = {m.customer.id: m.reasons for m in found}
    assert reasons[swapped.id] == ("name 100 %", "email 100 %", "same city")
    assert reasons[local_number.id] == ("name 100 %", "phone ends alike", "same city")


def test_the_likeliest_comes_first() -> None:
    record = customer("Chen Jing", email="chen.jing@example.com", city="Suzhou")
    likely = customer("Jing Chen", email="chenjing@example.net", city="Suzhou")
    maybe = customer("Chen Jing", city="Suzhou")

    assert [m.customer.id for m in possible_duplicates(record, [maybe, likely])] == [
        likely.id, maybe.id,
    ]  # fmt: skip


def test_the_score_weighs_name_contact_and_city() -> None:
    record = customer("Chen Jing", email="chen.jing@example.com", city="Suzhou")
    name_only = customer("Chen Jing")
    name_and_city = customer("Chen Jing", city="Suzhou")
    near_name = customer("Chen Jin", city="Suzhou")

    scores = {
        m.customer.id: m.score
        for m in possible_duplicates(record, [name_only, name_and_city, near_name], min_score=0)
    }

    assert scores[name_only.id] == 60
    assert scores[name_and_city.id] == 75
    assert 60 < scores[near_name.id] < 75


def test_the_default_threshold_leaves_a_name_alone_out() -> None:
    record = customer("Chen Jing", city="Suzhou")

    assert possible_duplicates(record, [customer("Chen Jing", city="Ningbo")]) == []


def test_another_kind_a_merged_record_and_the_record_itself_are_never_candidates() -> None:
    record = customer("Acme", city="Shanghai")
    company = customer("Acme", city="Shanghai", kind=PartyKind.ORGANIZATION)
    merged = customer("Acme", city="Shanghai")
    merged.merged_into_id = record.id

    assert possible_duplicates(record, [record, company, merged], min_score=0) == []
