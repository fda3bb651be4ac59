"""The demo company's people and things: the same on every run (Faker with a fixed seed), so a
second run names exactly what the first one made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faker import Faker

STAFF_PASSWORD = "demo staff password 1"  # noqa: S105 - the demo's own accounts
CUSTOMER_PASSWORD = "demo customer password 1"  # noqa: S105
REGIONS = {
    "east": ("Hangzhou", "Shanghai", "Suzhou"),
    "north": ("Beijing", "Tianjin"),
    "south": ("Guangzhou", "Shenzhen"),
    "west": ("Chengdu", "Chongqing"),
}
SEED = 2026


@dataclass(frozen=True)
class StaffMember:
    email: str
    name: str
    role: str


STAFF = (
    StaffMember("chen.rep@lanting.example.com", "Chen Jie", "sales_rep"),
    StaffMember("emma.rep@lanting.example.com", "Emma Clark", "sales_rep"),
    StaffMember("wang.manager@lanting.example.com", "Wang Lei", "manager"),
    StaffMember("liu.marketing@lanting.example.com", "Liu Yang", "marketer"),
    StaffMember("zhao.finance@lanting.example.com", "Zhao Min", "finance"),
    StaffMember("li.service@lanting.example.com", "Li Na", "service_agent"),
)

# orders of the portal customers, each walked as far as its target: the steps are the
# workflow's, in order (see ORDER_WORKFLOW)
ORDER_TARGETS = ("placed", "proposal_sent", "priced", "in_production", "paid")
ORDER_TITLES = (
    "Spring product catalogue", "Trade fair booth graphics", "Brand identity refresh",
    "Autumn outdoor campaign", "Annual report design",
)  # fmt: skip
PRODUCTS = (
    ("BROCHURE-A4", "A4 brochure, 16 pages", "piece", "4.20"),
    ("POSTER-A2", "A2 poster", "piece", "40.00"),
    ("DESIGN-HOUR", "Design hour", "hour", "480.00"),
)
# the agency's outside workshops: (name, city, capabilities, capacity, tier)
PARTNERS = (
    ("Hangzhou Print Works", "Hangzhou", ("printing", "binding"), 4, "gold"),
    ("Suzhou Signs & Displays", "Suzhou", ("printing", "installation"), 2, "silver"),
    ("Shanghai Motion Studio", "Shanghai", ("video", "design"), 3, "gold"),
)
CAMPAIGN_NAME = "Spring brochure offer"
CAMPAIGN_TEMPLATE = {
    "subject": "A spring offer for {{ name }}",
    "html_body": "<p>Dear {{ name }}, our spring brochures are 10% off this month.</p>"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    "text_body": "Dear {{ name }}, our spring brochures are 10% off this month.\n"
    "Unsubscribe: {{ unsubscribe_url }}",
}
CASES = (
    ("inquiry", "When will the brochures arrive?", "We ordered last week."),
    ("complaint", "Poster colours look washed out", "The red is closer to pink."),
    ("after_sales", "Need 200 more catalogues", "Same print as the spring run."),
)


def _faker() -> Faker:
    faker = Faker(["zh_CN", "en_US"])
    faker.seed_instance(SEED)
    return faker


def customers(count: int = 40) -> list[dict[str, Any]]:
    """Customers of every region: people and organizations, half with Chinese names."""
    faker, made = _faker(), []
    regions = list(REGIONS)
    for n in range(count):
        local = faker["zh_CN"] if n % 2 == 0 else faker["en_US"]
        region = regions[n % len(regions)]
        organization = n % 3 == 0
        made.append({
            "kind": "organization" if organization else "person",
            "name": local.company() if organization else local.name(),
            "email": f"demo.customer.{n}@{'example.cn' if n % 2 == 0 else 'example.com'}",
            "region": region,
            "city": REGIONS[region][n % len(REGIONS[region])],
            "source": ("web", "sales_rep", "campaign", "partner")[n % 4],
            "tags": ["vip"] if n % 5 == 0 else [],
        })  # fmt: skip
    return made


def portal_customers() -> list[dict[str, str]]:
    """Customers who registered in the portal: one for each order target."""
    faker = _faker()
    return [
        {
            "email": f"demo.portal.{n}@example.cn",
            "password": CUSTOMER_PASSWORD,
            "name": faker["zh_CN"].name(),
            "phone": f"+86139{n:08d}",
            "city": "Hangzhou",
        }
        for n in range(len(ORDER_TARGETS))
    ]


def leads(count: int = 8) -> list[dict[str, Any]]:
    faker = _faker()
    return [
        {
            "source": ("web", "phone", "campaign", "partner")[n % 4],
            "contact": {
                "name": faker["en_US"].name() if n % 2 else faker["zh_CN"].name(),
                "company": faker["en_US"].company() if n % 2 else faker["zh_CN"].company(),
                "email": f"demo.lead.{n}@example.com",
                "region": list(REGIONS)[n % len(REGIONS)],
            },
        }
        for n in range(count)
    ]
