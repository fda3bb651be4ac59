"""Scoring a lead (or an opportunity): rule points, and a win probability learnt from the
team's won and lost opportunities.

- Rule points: a table of points per field present or its quality ("email=valid", "company")
  and per activity logged ("activity=call"); `DEFAULT_POINTS`, which a team's own
  `score_points` override key by key.
- WinModel: naive Bayes over `Features`, with counts per team (or company-wide). Each
  likelihood is smoothed additively (alpha per value), and the class prior starts from
  `PRIOR_WON` of `PRIOR_WEIGHT` virtual outcomes, so a handful of outcomes moves it a little,
  not all the way.

Pure Python; probabilities are Decimal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "foxmail.com",
    }
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

DEFAULT_POINTS: Mapping[str, int] = {
    "email=valid": 15,
    "email=free_mail": 5,
    "phone=valid": 10,
    "name": 5,
    "company": 10,
    "city": 2,
    "size=solo": 0,
    "size=small": 5,
    "size=medium": 10,
    "size=large": 15,
    "size=enterprise": 20,
    "source=web": 10,
    "source=phone": 10,
    "source=sales_rep": 15,
    "source=distributor": 15,
    "source=partner": 15,
    "source=campaign": 5,
    "source=portal": 10,
    "activity=call": 5,
    "activity=meeting": 10,
    "activity=email": 2,
    "activity=task": 1,
}

ALPHA = Decimal(1)  # additive smoothing of every likelihood
PRIOR_WON = Decimal("0.2")  # the win rate believed before any outcome
PRIOR_WEIGHT = Decimal(10)  # ... worth this many outcomes
PROBABILITY_PLACES = Decimal("0.0001")
# a feature's likelihood ratio this far from 1 is worth a reason
REASON_THRESHOLD = 0.1


def email_quality(email: str) -> str:
    address = email.strip().lower()
    if not address:
        return "missing"
    if not _EMAIL.fullmatch(address):
        return "invalid"
    return "free_mail" if address.rsplit("@", 1)[1] in FREE_MAIL_DOMAINS else "valid"


def phone_quality(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if not phone.strip():
        return "missing"
    return "valid" if 7 <= len(digits) <= 15 else "invalid"


def normal_email(email: str) -> str:
    """The form duplicates are found by."""
    return email.strip().lower()


def normal_phone(phone: str) -> str:
    """Digits only, a leading + kept (so "+86 10 1234-5678" and "+861012345678" are one)."""
    text = phone.strip()
    digits = re.sub(r"\D", "", text)
    return ("+" if text.startswith("+") else "") + digits if digits else ""


@dataclass(frozen=True)
class Features:
    stage: str
    source: str
    region: str
    tags: frozenset[str]
    email_quality: str  # "valid" | "free_mail" | "invalid" | "missing"
    phone_quality: str  # "valid" | "invalid" | "missing"

    def values(self) -> Iterator[tuple[str, str]]:
        """(feature, value) pairs: one per tag."""
        yield "stage", self.stage
        yield "source", self.source
        yield "region", self.region.strip().lower()
        yield "email", self.email_quality
        yield "phone", self.phone_quality
        for tag in sorted(self.tags):
            yield "tag", tag.strip().lower()


@dataclass(frozen=True)
class RuleScore:
    points: int
    reasons: tuple[str, ...]


def rule_score(
    facts: list[str], overrides: Mapping[str, int], activities: Mapping[str, int]
) -> RuleScore:
    """`facts`: keys of the table that hold ("email=valid", "company"); `activities`: kind ->
    how many were logged."""
    table = {**DEFAULT_POINTS, **overrides}
    points, reasons = 0, []
    for key in facts:
        if table.get(key):
            points += table[key]
            reasons.append(f"{key}: {table[key]:+d}")
    for kind, count in sorted(activities.items()):
        key = f"activity={kind}"
        if count and table.get(key):
            points += table[key] * count
            reasons.append(f"{key} x{count}: {table[key] * count:+d}")
    return RuleScore(points, tuple(reasons))


@dataclass(frozen=True)
class Prediction:
    probability: Decimal  # in [0, 1]
    reasons: tuple[str, ...]


@dataclass
class WinModel:
    """Outcome counts: how many were won and lost, and per feature value how many of each."""

    won: int = 0
    lost: int = 0
    # feature -> value -> [won, lost]
    values: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def learn(self, features: Features, won: bool) -> None:
        if won:
            self.won += 1
        else:
            self.lost += 1
        for name, value in features.values():
            counts = self.values.setdefault(name, {}).setdefault(value, [0, 0])
            counts[0 if won else 1] += 1

    def predict(self, features: Features) -> Prediction:
        won = Decimal(self.won) + PRIOR_WON * PRIOR_WEIGHT
        lost = Decimal(self.lost) + (1 - PRIOR_WON) * PRIOR_WEIGHT
        log_odds = math.log(won / lost)
        reasons: list[str] = []
        for name, value in features.values():
            ratio = self._likelihood_ratio(name, value)
            log_odds += math.log(ratio)
            if abs(ratio - 1) >= REASON_THRESHOLD:
                reasons.append(f"{name}={value}: likelihood {ratio:.1f}x")
        probability = Decimal(1 / (1 + math.exp(-log_odds)))
        return Prediction(probability.quantize(PROBABILITY_PLACES), tuple(reasons))

    def _likelihood_ratio(self, name: str, value: str) -> float:
        """P(value | won) / P(value | lost), each smoothed over the values seen; a value no
        outcome had says nothing (1), rather than tilting towards the rarer class."""
        seen = self.values.get(name, {})
        if value not in seen:
            return 1.0
        kinds = Decimal(len(seen))
        won_count, lost_count = seen[value]
        if name == "tag":
            # several tags per outcome: each tag is present or not, out of that class's total
            won_total, lost_total, kinds = Decimal(self.won), Decimal(self.lost), Decimal(2)
        else:
            won_total = Decimal(sum(counts[0] for counts in seen.values()))
            lost_total = Decimal(sum(counts[1] for counts in seen.values()))
        given_won = (won_count + ALPHA) / (won_total + ALPHA * kinds)
        given_lost = (lost_count + ALPHA) / (lost_total + ALPHA * kinds)
        return float(given_won / given_lost)

    def to_document(self) -> dict[str, Any]:
        return {"won": self.won, "lost": self.lost, "values": self.values}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> WinModel:
        return cls(
            won=int(document["won"]),
            lost=int(document["lost"]),
            values={
                name: {value: [int(c) for c in counts] for value, counts in values.items()}
                for name, values in document["values"].items()
            },
        )
