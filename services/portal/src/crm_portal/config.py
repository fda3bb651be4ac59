"""The portal's settings: the chassis' (CRM_PORTAL_*, CRM_*, CRM_<NAME>_GRPC_TARGET) plus the
HTTP server's own knobs and the login limits. Bad values fail at start-up, naming the
variable. The portal has no database: accounts, tokens and keys are identity's."""

from __future__ import annotations

from crm_platform import registry
from crm_platform.settings import ServiceSettings
from limits import parse_many
from pydantic import Field, field_validator

SERVICE_NAME = "portal"
MAX_BODY_BYTES = 1024 * 1024


class PortalSettings(ServiceSettings):
    workers: int = Field(default=2, ge=1)  # CRM_PORTAL_WORKERS
    threads: int = Field(default=8, ge=1)  # CRM_PORTAL_THREADS
    # seconds a worker may take to finish its requests on SIGTERM
    graceful_timeout: int = Field(default=30, ge=1)
    # the API's rate limit per caller, a flask-limiter expression ("600/minute")
    rate_limit: str = "600/minute"
    # CRM_PORTAL_LOGIN_LIMIT_PER_ADDRESS, ..._PER_USERNAME, CRM_PORTAL_REGISTRATION_LIMIT: unset
    # keeps the identity routes' defaults; CRM_PORTAL_PUBLIC_FORM_LIMIT: the public lead
    # capture form's per address (marketing_routes.PUBLIC_FORM_LIMIT)
    login_limit_per_address: str | None = None
    login_limit_per_username: str | None = None
    registration_limit: str | None = None
    public_form_limit: str | None = None

    @field_validator(
        "rate_limit", "login_limit_per_address", "login_limit_per_username", "registration_limit",
        "public_form_limit",
    )  # fmt: skip
    @classmethod
    def _limit(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_many(value)
            except ValueError:
                raise ValueError(
                    'not a rate limit such as "600/minute" or "20/second;5000/hour"'
                ) from None
        return value

    @property
    def route_limits(self) -> dict[str, str]:
        """The routes' own limits set, by their variable's name (the app's configuration keys
        the identity routes and RouteLimit read)."""
        limits = {
            "login_limit_per_address": self.login_limit_per_address,
            "login_limit_per_username": self.login_limit_per_username,
            "registration_limit": self.registration_limit,
            "public_form_limit": self.public_form_limit,
        }
        return {f"CRM_PORTAL_{k.upper()}": v for k, v in limits.items() if v is not None}

    @property
    def backend_targets(self) -> dict[str, str]:
        """The services the gateway calls (the registry's `calls`) -> host:port."""
        return {name: self.grpc_targets[name] for name in registry.service(SERVICE_NAME).calls}
