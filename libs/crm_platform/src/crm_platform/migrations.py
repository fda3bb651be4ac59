"""Alembic, per service: each service has migrations/ whose env.py calls `run_env`.

Schemas are built only by migrations (never create_all): by `<service> migrate`, by `make run`
and by the test fixtures.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from crm_platform.db import build_engine, is_sqlite, normalize_url
from crm_platform.settings import ServiceSettings
from crm_platform.tables import platform_metadata


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_env(service: str, service_metadata: sa.MetaData) -> None:
    """The body of every service's migrations/env.py."""
    from alembic import context  # only importable while Alembic runs an env.py

    url = context.config.get_main_option("sqlalchemy.url") or (
        ServiceSettings.from_env(service).database_url
    )
    target_metadata = [service_metadata, platform_metadata]
    if context.is_offline_mode():
        context.configure(
            url=normalize_url(url), target_metadata=target_metadata, literal_binds=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = build_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=is_sqlite(engine),  # SQLite alters tables by copying them
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def schema_differences(database_url: str, service_metadata: sa.MetaData) -> list[object]:
    """What the migrated database has that the service's tables and the chassis' (outbox,
    inbox) do not describe, or lacks: empty when migrations and ORM agree. Each service's
    migration test asserts it after `upgrade`."""
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            # a list of MetaData is accepted, as by env.py's target_metadata (the stubs say one)
            tables = [service_metadata, platform_metadata]
            found = compare_metadata(MigrationContext.configure(connection), tables)  # type: ignore[arg-type]
            return list(found)
    finally:
        engine.dispose()
