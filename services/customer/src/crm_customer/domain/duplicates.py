"""Possible duplicates: records that are likely one party although their email and phone differ
(the exact ones are refused at the door by the unique email and phone of live customers).

A candidate is scored 0 to 100 against the record under review:
- the name, 60 %: token sort ratio of the casefolded names, so "Li Wei" and "Wei Li" match;
- the contact, 25 %: the email's local part alike (dots and +tags ignored), or the phone's last
  8 digits the same (one number written with and without its country code);
- the city, 15 %: the same city.
Parties of another kind (a person against an organization) are never candidates. The reasons
say which parts counted, for the reviewer; merging is the merge the record already has.

Across the company (`duplicate_pairs`), only records that share a block are scored: the same
name words (in any order), the same email local part, or the same phone ending. A pair that
reaches the default score shares one of them unless its names and emails are both only
alike; those the review of one record still finds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from rapidfuzz import fuzz

from crm_customer.domain.model import Customer
from crm_customer.domain.values import Profile

NAME_WEIGHT, CONTACT_WEIGHT, CITY_WEIGHT = 0.60, 0.25, 0.15
DEFAULT_MIN_SCORE = 75
PHONE_TAIL = 8  # digits: a number with or without its country code
_NOT_WORD = re.compile(r"[^\w]+")
# Records of one block scored against each other, the oldest first: a name shared by
# thousands is no evidence, and would make the review quadratic.
MAX_BLOCK = 300
MIN_LOCAL_PART = 3  # "li@" is too short to tell anyone apart


@dataclass(frozen=True)
class PossibleDuplicate:
    customer: Customer
    score: int  # 0 to 100
    reasons: tuple[str, ...]


def possible_duplicates(
    record: Customer, candidates: list[Customer], *, min_score: int = DEFAULT_MIN_SCORE
) -> list[PossibleDuplicate]:
    """The candidates scoring `min_score` or more against `record`, the likeliest first."""
    found = [
        match
        for candidate in candidates
        if candidate.id != record.id
        and candidate.merged_into_id is None
        and candidate.profile.kind is record.profile.kind
        and (match := _score(record, candidate)).score >= min_score
    ]
    return sorted(found, key=lambda match: (-match.score, str(match.customer.id)))


@dataclass(frozen=True)
class Party:
    """A live record as the company-wide review reads it."""

    id: UUID
    created_at: datetime
    profile: Profile


@dataclass(frozen=True)
class PossiblePair:
    first: UUID  # the older record: the one a merge keeps
    second: UUID
    score: int
    reasons: tuple[str, ...]

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (-self.score, str(self.first), str(self.second))


def duplicate_pairs(
    parties: Iterable[Party], *, min_score: int = DEFAULT_MIN_SCORE
) -> list[PossiblePair]:
    """Every pair of `parties` scoring `min_score` or more that shares a block, strongest first."""
    blocks: dict[tuple[str, str, str], list[Party]] = defaultdict(list)
    for party in sorted(parties, key=lambda p: (p.created_at, str(p.id))):
        for key in _blocks(party.profile):
            block = blocks[key]
            if len(block) < MAX_BLOCK:
                block.append(party)
    seen: set[tuple[UUID, UUID]] = set()
    found: list[PossiblePair] = []
    for block in blocks.values():
        for index, older in enumerate(block):
            for newer in block[index + 1 :]:
                if (older.id, newer.id) in seen:
                    continue
                seen.add((older.id, newer.id))
                match = _scored(older.profile, newer.profile)
                if match.score >= min_score:
                    found.append(PossiblePair(older.id, newer.id, match.score, match.reasons))
    return sorted(found, key=lambda pair: pair.sort_key)


def _blocks(profile: Profile) -> list[tuple[str, str, str]]:
    kind = profile.kind.value
    keys = [(kind, "name", " ".join(sorted(_words(profile.name).split())))]
    local = _local_part(profile.email) if profile.email else ""
    if len(local) >= MIN_LOCAL_PART:
        keys.append((kind, "email", local))
    if tail := _tail(profile.phone):
        keys.append((kind, "phone", tail))
    return keys


@dataclass(frozen=True)
class _Match:
    score: int
    reasons: tuple[str, ...]


def _score(record: Customer, candidate: Customer) -> PossibleDuplicate:
    match = _scored(record.profile, candidate.profile)
    return PossibleDuplicate(candidate, match.score, match.reasons)


def _scored(mine: Profile, theirs: Profile) -> _Match:
    name = fuzz.token_sort_ratio(_words(mine.name), _words(theirs.name))
    email = _local_part_alike(mine.email, theirs.email)
    phone = 100.0 if _tail(mine.phone) and _tail(mine.phone) == _tail(theirs.phone) else 0.0
    same_city = bool(mine.city) and _words(mine.city or "") == _words(theirs.city or "")
    score = NAME_WEIGHT * name + CONTACT_WEIGHT * max(email, phone) + CITY_WEIGHT * 100 * same_city
    reasons = [f"name {round(name)} %"]
    if email >= 80:
        reasons.append(f"email {round(email)} %")
    if phone:
        reasons.append("phone ends alike")
    if same_city:
        reasons.append("same city")
    return _Match(round(score), tuple(reasons))


def _words(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def _local_part_alike(mine: str | None, theirs: str | None) -> float:
    if not mine or not theirs:
        return 0.0
    return float(fuzz.ratio(_local_part(mine), _local_part(theirs)))


def _local_part(email: str) -> str:
    local = email.split("@", 1)[0].split("+", 1)[0]
    return local.replace(".", "").replace("_", "").replace("-", "")


def _tail(phone: str | None) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[-PHONE_TAIL:] if len(digits) >= PHONE_TAIL else ""
