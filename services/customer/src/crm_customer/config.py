"""The customer service's configuration: the chassis reads the environment (CRM_CUSTOMER_*)."""

from __future__ import annotations

from pathlib import Path

SERVICE_NAME = "customer"
# services/customer/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
