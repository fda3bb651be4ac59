"""docs/sales-grpc.md names every method of the sales service, with its request and answer."""

from __future__ import annotations

from pathlib import Path

from crm_sales.entrypoints.authorization import POLICY
from google.protobuf import descriptor_pool

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "sales-grpc.md"


def test_the_reference_lists_every_method_with_its_messages() -> None:
    text = REFERENCE.read_text()
    pool = descriptor_pool.Default()
    services = [
        pool.FindServiceByName(f"crm.sales.v1.{name}")
        for name in ("SalesService", "TeamService", "LeadService", "OpportunityService",
                     "ActivityService", "QuoteService", "ExpenseService", "PerformanceService")
    ] + [pool.FindServiceByName("crm.privacy.v1.PersonalData")]  # fmt: skip
    rows = {
        f"| `{m.name}` | `{m.input_type.name}` | `{m.output_type.name}` |"
        for service in services
        for m in service.methods
    }

    assert {row for row in rows if row not in text} == set()
    assert len(rows) == len(POLICY.rules)  # every method of the server, each once
