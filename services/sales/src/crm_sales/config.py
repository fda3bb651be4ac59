"""The sales service's settings: the chassis' (CRM_SALES_*, CRM_*) and its own. Bad values fail
at start-up, naming the variable."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from crm_platform.settings import ServiceSettings
from pydantic import Field

SERVICE_NAME = "sales"
# services/sales/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class SalesSettings(ServiceSettings):
    # CRM_SALES_DISCOUNT_APPROVAL_PERCENT: a quote line discounted above this percent needs a
    # manager's approval before the quote is sent (exactly this percent needs none)
    discount_approval_percent: Decimal = Field(default=Decimal(15), ge=0, le=100, decimal_places=2)
