"""The marketing service's settings: the chassis' (CRM_MARKETING_*, CRM_*)."""

from __future__ import annotations

from pathlib import Path

SERVICE_NAME = "marketing"
# services/marketing/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
