"""Identity's configuration: the chassis settings (CRM_IDENTITY_*, CRM_JWT_*) plus the few
that only identity reads. Bad values fail at start-up."""

from __future__ import annotations

from pathlib import Path

from crm_platform.settings import ServiceSettings
from pydantic import Field, ValidationInfo, field_validator

from crm_identity.domain.model import PASSWORD_MIN_LENGTH

SERVICE_NAME = "identity"
# services/identity/migrations, beside src/ (the image keeps the same layout)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class IdentitySettings(ServiceSettings):
    # CRM_IDENTITY_KEY_ENCRYPTION_KEY: a passphrase that encrypts the signing keys in the
    # database (unset: stored in clear, with a warning at start)
    key_encryption_key: str | None = Field(default=None, repr=False)
    # the first admin, made while there is none (both or neither)
    bootstrap_admin_email: str | None = Field(
        default=None, validation_alias="CRM_BOOTSTRAP_ADMIN_EMAIL"
    )
    bootstrap_admin_password: str | None = Field(
        default=None,
        repr=False,
        min_length=PASSWORD_MIN_LENGTH,
        validate_default=True,
        validation_alias="CRM_BOOTSTRAP_ADMIN_PASSWORD",
    )
    # CRM_IDENTITY_HASHING_CONCURRENCY: password hashes computed at once, 64 MiB each
    hashing_concurrency: int = Field(default=2, ge=1)
    # seconds
    access_token_ttl: int = Field(default=15 * 60, ge=1, validation_alias="CRM_ACCESS_TOKEN_TTL")
    refresh_token_ttl: int = Field(
        default=30 * 24 * 3600, ge=1, validation_alias="CRM_REFRESH_TOKEN_TTL"
    )

    @field_validator("bootstrap_admin_password")
    @classmethod
    def _admin_both_or_neither(cls, password: str | None, info: ValidationInfo) -> str | None:
        if (info.data.get("bootstrap_admin_email") is None) != (password is None):
            raise ValueError("set CRM_BOOTSTRAP_ADMIN_EMAIL and this both or neither")
        return password
