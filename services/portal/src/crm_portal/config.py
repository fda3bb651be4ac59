"""The portal's configuration: the chassis settings (CRM_PORTAL_*, CRM_*_GRPC_TARGET) plus
the HTTP server's own knobs. Read once at start-up; bad values fail fast."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from crm_platform.settings import ConfigurationError, ServiceSettings

SERVICE_NAME = "portal"
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PortalConfig:
    settings: ServiceSettings
    workers: int = 2
    threads: int = 8
    graceful_timeout: int = 30  # seconds a worker may take to finish its requests on SIGTERM

    @property
    def customer_target(self) -> str:
        return self.settings.grpc_targets["customer"]

    @property
    def analytics_target(self) -> str:
        return self.settings.grpc_targets["analytics"]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PortalConfig:
        env = os.environ if environ is None else environ
        settings = ServiceSettings.from_env(SERVICE_NAME, env)
        return cls(
            settings=settings,
            workers=_positive_int(env, "CRM_PORTAL_WORKERS", 2),
            threads=_positive_int(env, "CRM_PORTAL_THREADS", 8),
            graceful_timeout=_positive_int(env, "CRM_PORTAL_GRACEFUL_TIMEOUT", 30),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(
            f"{SERVICE_NAME}: bad configuration: {name}: must be an integer >= 1"
        )
    return value
