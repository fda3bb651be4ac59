"""Deterministic customer data for the scenarios: unique emails and phones, a few regions."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REGIONS = (
    "Beijing", "Shanghai", "Guangdong", "Zhejiang", "Jiangsu", "Sichuan", "Hubei", "Fujian",
    "Shandong", "Henan", "Hunan", "Anhui", "Hebei", "Shaanxi", "Liaoning", "Yunnan",
    "Chongqing", "Tianjin", "Jiangxi", "Guangxi",
)  # fmt: skip
CITIES = ("Central", "North", "South", "East", "West", "Harbour", "Old Town", "New District")
TAGS = ("vip", "newsletter", "wholesale", "retail", "b2b", "loyalty")
SOURCES = ("web", "phone", "sales_rep", "distributor", "partner", "campaign", "portal")
GENDERS = ("female", "male", "other")
FIRST = ("Wei", "Fang", "Min", "Jing", "Li", "Lei", "Yan", "Tao", "Hui", "Ying", "Ada", "Sam")
LAST = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou")
AREA_CODES = (201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218)
# Customer numbers: phones are distinct below 16 * 800 * 10000; a load gives each client its
# own range, and each scenario its own block, so no two writes of a run share a phone.
NUMBERS_PER_CLIENT = 1_000_000
WRITE_BLOCK = 20_000_000
LATENCY_BLOCK = 40_000_000
ORDER_BLOCK = 60_000_000
CASE_BLOCK = 80_000_000
CSV_COLUMNS = (
    "name", "email", "phone", "region", "city", "birth_date", "gender", "tags", "source",
)  # fmt: skip


def phone(n: int) -> str:
    """A valid, distinct North American number for each n < 16 * 800 * 10000."""
    area = AREA_CODES[n % len(AREA_CODES)]
    rest = n // len(AREA_CODES)
    exchange = 200 + rest // 10000 % 800
    return f"+1 ({area}) {exchange}-{rest % 10000:04d}"


def customer(n: int, prefix: str, rng: random.Random) -> dict[str, Any]:
    """Customer n of a data set: a unique email, a phone on every other row."""
    return {
        "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}",
        "email": f"{prefix}.{n}@example.com",
        "phone": phone(n) if n % 2 == 0 else "",
        "region": REGIONS[n % len(REGIONS)],
        "city": rng.choice(CITIES),
        "birth_date": f"{1950 + n % 55}-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "gender": GENDERS[n % 3],
        "tags": ";".join(sorted({TAGS[n % len(TAGS)], TAGS[(n // 7) % len(TAGS)]})),
        "source": SOURCES[n % len(SOURCES)],
    }


def customers(
    count: int, prefix: str, *, start: int = 0, seed: int = 7
) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for n in range(start, start + count):
        yield customer(n, prefix, rng)


def api_body(row: dict[str, Any]) -> dict[str, Any]:
    """The same customer as a POST /api/v1/customers body."""
    body = {k: v for k, v in row.items() if v != ""}
    body["tags"] = row["tags"].split(";")
    return body


def write_csv(path: Path, count: int, prefix: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(customers(count, prefix))
    return path
