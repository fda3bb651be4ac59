"""The sales service's settings: the chassis' (CRM_SALES_*, CRM_*). Bad values fail at
start-up, naming the variable."""

from __future__ import annotations

from pathlib import Path

SERVICE_NAME = "sales"
# services/sales/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
