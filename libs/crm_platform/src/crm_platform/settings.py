"""Settings from the environment (twelve-factor), validated once at start-up: fail fast."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# gRPC and metrics ports of every service on one machine (ARCHITECTURE.md, section 6)
DEFAULT_PORTS: dict[str, tuple[int, int]] = {
    "customer": (50051, 9101),
    "marketing": (50052, 9102),
    "sales": (50053, 9103),
    "service": (50054, 9104),
    "partner": (50055, 9105),
    "analytics": (50056, 9106),
    "portal": (8080, 9107),  # the portal's first port is HTTP
}
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
# Access tokens (docs/decisions/0005-access-tokens.md)
DEFAULT_JWKS_URL = "http://127.0.0.1:8080/.well-known/jwks.json"
DEFAULT_JWT_ISSUER = "guanxi"
DEFAULT_JWT_AUDIENCE = "guanxi-api"
DATABASE_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://", "sqlite://")


class ConfigurationError(RuntimeError):
    pass


class ServiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    service: str
    database_url: str
    amqp_url: str = DEFAULT_AMQP_URL
    redis_url: str | None = None
    port: int = Field(ge=1, le=65535)  # gRPC (HTTP for the portal)
    metrics_port: int = Field(ge=0, le=65535)  # 0: pick any free port
    log_level: str = "INFO"
    grpc_targets: dict[str, str] = Field(default_factory=dict)
    # where the public keys that sign access tokens come from: a JWKS file when set (tests,
    # air-gapped setups), else the portal's JWKS URL
    jwks_url: str = DEFAULT_JWKS_URL
    jwks_file: Path | None = None
    jwt_issuer: str = Field(default=DEFAULT_JWT_ISSUER, min_length=1)
    jwt_audience: str = Field(default=DEFAULT_JWT_AUDIENCE, min_length=1)

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        if not value.startswith(DATABASE_SCHEMES):
            raise ValueError("must start with postgresql:// or sqlite:///")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("amqp_url")
    @classmethod
    def _amqp_scheme(cls, value: str) -> str:
        if not value.startswith(("amqp://", "amqps://")):
            raise ValueError("must start with amqp:// or amqps://")
        return value

    @field_validator("jwks_url")
    @classmethod
    def _jwks_scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        """Read `CRM_<SERVICE>_*` and the shared `CRM_*` variables.

        Without a database URL the service uses SQLite under `CRM_DATA_DIR` (default .crm/data).
        Other services are reached at `CRM_<NAME>_GRPC_TARGET` (default 127.0.0.1:<its port>).
        Access tokens are checked with the keys of `CRM_JWKS_FILE` when set, else of
        `CRM_JWKS_URL`, for `CRM_JWT_ISSUER` and `CRM_JWT_AUDIENCE`.
        """
        env = os.environ if environ is None else environ
        prefix = f"CRM_{service.upper()}_"
        port, metrics_port = DEFAULT_PORTS.get(service, (0, 0))
        data_dir = Path(env.get("CRM_DATA_DIR", ".crm/data"))
        targets = {
            name: env.get(f"CRM_{name.upper()}_GRPC_TARGET", f"127.0.0.1:{ports[0]}")
            for name, ports in DEFAULT_PORTS.items()
            if name != "portal"
        }
        raw = {
            "service": service,
            "database_url": env.get(f"{prefix}DATABASE_URL")
            or f"sqlite:///{data_dir.resolve() / f'{service}.db'}",
            "amqp_url": env.get("CRM_AMQP_URL", DEFAULT_AMQP_URL),
            "redis_url": env.get("CRM_REDIS_URL") or None,
            "port": env.get(f"{prefix}PORT", port),
            "metrics_port": env.get(f"{prefix}METRICS_PORT", metrics_port),
            "log_level": env.get("CRM_LOG_LEVEL", "INFO"),
            "grpc_targets": targets,
            "jwks_url": env.get("CRM_JWKS_URL") or DEFAULT_JWKS_URL,
            "jwks_file": env.get("CRM_JWKS_FILE") or None,
            "jwt_issuer": env.get("CRM_JWT_ISSUER") or DEFAULT_JWT_ISSUER,
            "jwt_audience": env.get("CRM_JWT_AUDIENCE") or DEFAULT_JWT_AUDIENCE,
        }
        names = {
            "database_url": f"{prefix}DATABASE_URL",
            "amqp_url": "CRM_AMQP_URL",
            "redis_url": "CRM_REDIS_URL",
            "port": f"{prefix}PORT",
            "metrics_port": f"{prefix}METRICS_PORT",
            "log_level": "CRM_LOG_LEVEL",
            "jwks_url": "CRM_JWKS_URL",
            "jwks_file": "CRM_JWKS_FILE",
            "jwt_issuer": "CRM_JWT_ISSUER",
            "jwt_audience": "CRM_JWT_AUDIENCE",
        }
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{names.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigurationError(f"{service}: bad configuration: {problems}") from None
