"""Settings from the environment (twelve-factor), validated once at start-up: fail fast.

`ServiceSettings` is the chassis' part; a service that needs more extends it with fields of its
own, and `from_env` reads them too:

    class CustomerSettings(ServiceSettings):
        default_phone_region: str = "US"  # CRM_CUSTOMER_DEFAULT_PHONE_REGION

A field is read from `CRM_<SERVICE>_<FIELD>`, unless it names its variable itself
(`Field(validation_alias="CRM_AMQP_URL")`): that is how the settings every service shares
(broker, log level, token keys) are spelled once. Ports default from the registry. A bad value
is a `ConfigurationError` naming the variable to fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from crm_platform import registry

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_DATA_DIR = Path(".crm/data")
# Access tokens (docs/decisions/0005-access-tokens.md)
DEFAULT_JWT_ISSUER = "guanxi"
DEFAULT_JWT_AUDIENCE = "guanxi-api"
DATABASE_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://", "sqlite://")


class ConfigurationError(RuntimeError):
    pass


def grpc_targets(environ: Mapping[str, str]) -> dict[str, str]:
    """Where each gRPC service of the registry answers: `CRM_<NAME>_GRPC_TARGET`, by default
    its port on this machine."""
    return {
        spec.name: environ.get(f"CRM_{spec.name.upper()}_GRPC_TARGET") or f"127.0.0.1:{spec.port}"
        for spec in registry.SERVICES
        if spec.kind == "grpc"
    }


class _Environment(EnvSettingsSource):
    """The environment variables of one service: `CRM_<SERVICE>_*` and the shared `CRM_*`,
    read from a given mapping (the process environment, or a test's)."""

    def __init__(
        self, settings_cls: type[BaseSettings], environ: Mapping[str, str], prefix: str
    ) -> None:
        self._environ = environ
        super().__init__(settings_cls, env_prefix=prefix, case_sensitive=False)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Matched case-insensitively (the source lowercases the names it looks for); empty
        # counts as unset, as in a compose file's `VARIABLE=`.
        return {name.lower(): value for name, value in self._environ.items() if value != ""}


class ServiceSettings(BaseSettings):
    # built directly (tests), fields are given by name; from the environment, by variable
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    service: str
    database_url: str  # default: SQLite under CRM_DATA_DIR
    amqp_url: str = Field(default=DEFAULT_AMQP_URL, validation_alias="CRM_AMQP_URL")
    redis_url: str | None = Field(default=None, validation_alias="CRM_REDIS_URL")
    port: int = Field(ge=1, le=65535)  # gRPC (HTTP for the gateway); default: the registry's
    metrics_port: int = Field(ge=0, le=65535)  # 0: pick any free port
    log_level: str = Field(default="INFO", validation_alias="CRM_LOG_LEVEL")
    # CRM_<SERVICE>_API_PROCESSES: gRPC servers of this service on the host, sharing the port
    # (crm_platform.multiprocess); one per CPU uses them all
    api_processes: int = Field(default=1, ge=1, le=64)
    # the gRPC services of the registry -> host:port (CRM_<NAME>_GRPC_TARGET)
    grpc_targets: dict[str, str] = Field(default_factory=lambda: grpc_targets({}))
    # the public keys that sign access tokens: from a JWKS file when set (tests), else from
    # the identity service over gRPC
    jwks_file: Path | None = Field(default=None, validation_alias="CRM_JWKS_FILE")
    jwt_issuer: str = Field(
        default=DEFAULT_JWT_ISSUER, min_length=1, validation_alias="CRM_JWT_ISSUER"
    )
    jwt_audience: str = Field(
        default=DEFAULT_JWT_AUDIENCE, min_length=1, validation_alias="CRM_JWT_AUDIENCE"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment is read by `from_env`, whose prefix is the service's name; built
        # directly (tests), settings are what they are given.
        return (init_settings,)

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> Self:
        """The settings of `service` from `environ` (default: the process environment).

        Without a database URL the service uses SQLite under `CRM_DATA_DIR` (default
        .crm/data). Other services are reached at `CRM_<NAME>_GRPC_TARGET` (default
        127.0.0.1:<its port>). Access tokens are checked with the keys of `CRM_JWKS_FILE` when
        set, else identity's (over gRPC), for `CRM_JWT_ISSUER` and `CRM_JWT_AUDIENCE`.
        """
        env = os.environ if environ is None else environ
        prefix = f"CRM_{service.upper()}_"
        values: dict[str, Any] = _Environment(cls, env, prefix)()
        values.update(service=service, grpc_targets=grpc_targets(env))
        if not values.get("database_url"):
            data_dir = Path(env.get("CRM_DATA_DIR") or DEFAULT_DATA_DIR)
            values["database_url"] = f"sqlite:///{data_dir.resolve() / f'{service}.db'}"
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{cls._variable(prefix, str(e['loc'][0]))}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigurationError(f"{service}: bad configuration: {problems}") from None

    @classmethod
    def _variable(cls, prefix: str, name: str) -> str:
        """The environment variable of a field (given by its name or its variable)."""
        field: FieldInfo | None = cls.model_fields.get(name)
        if field is None or isinstance(field.validation_alias, str):
            return name
        return prefix + name.upper()

    @model_validator(mode="before")
    @classmethod
    def _registry_ports(cls, data: Any) -> Any:
        """The ports default to the service's entry in the registry."""
        if not isinstance(data, dict) or "service" not in data:
            return data
        try:
            spec = registry.service(data["service"])
        except KeyError:
            return data  # not registered: the ports must be given
        return {"port": spec.port, "metrics_port": spec.metrics_port, **data}

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

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()
