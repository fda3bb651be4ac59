"""`crm-portal [api]`: the REST API gateway under gunicorn, configured from the environment;
`crm-portal migrate`: the portal database's migrations (identity);
`crm-portal clients create|list|revoke` and `crm-portal keys rotate|list`: identity upkeep.

CRM_PORTAL_PORT (8080) and CRM_PORTAL_METRICS_PORT (9107); CRM_CUSTOMER_GRPC_TARGET and
CRM_ANALYTICS_GRPC_TARGET; CRM_PORTAL_WORKERS (2), CRM_PORTAL_THREADS (8),
CRM_PORTAL_GRACEFUL_TIMEOUT (30 s); PROMETHEUS_MULTIPROC_DIR (a new temporary directory when
unset); CRM_PORTAL_DATABASE_URL (SQLite under CRM_DATA_DIR by default) and identity's variables
(see config.IdentityConfig). SIGTERM stops accepting connections and lets in-flight requests
finish.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from crm_platform.errors import DomainError
from crm_platform.logs import configure_logging
from crm_platform.settings import ConfigurationError
from sqlalchemy.exc import SQLAlchemyError

from crm_portal.config import MIGRATIONS_DIR, SERVICE_NAME, PortalConfig
from crm_portal.domain.identity import Scope

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_dir(environ: Mapping[str, str]) -> tuple[Path, bool]:
    """The directory where workers write their metrics, emptied of a previous run's files;
    and whether it was created here (and so is removed on exit)."""
    configured = environ.get(MULTIPROC_ENV)
    if not configured:
        return Path(tempfile.mkdtemp(prefix="crm-portal-metrics-")), True
    directory = Path(configured)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return directory, False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"crm-{SERVICE_NAME}", description="Guanxi portal: the REST API gateway"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("api", help="serve the HTTP API (the default)")
    commands.add_parser("migrate", help="apply the portal database's migrations")
    clients = commands.add_parser("clients", help="machine clients (client_credentials)")
    client_commands = clients.add_subparsers(dest="clients_command", required=True)
    create = client_commands.add_parser("create", help="create one; prints its secret once")
    create.add_argument("--name", required=True, help="what system it is")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=sorted(scope.value for scope in Scope),
        help="a scope it may ask for (repeatable)",
    )
    client_commands.add_parser("list", help="list every machine client")
    revoke = client_commands.add_parser("revoke", help="stop issuing tokens to one")
    revoke.add_argument("client_id", type=UUID, help="the client's id")
    keys = commands.add_parser("keys", help="the keys that sign access tokens")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser("rotate", help="sign with a new key; old ones stay published")
    key_commands.add_parser("list", help="list the signing keys")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = PortalConfig.from_env()
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    command = args.command or "api"
    if command == "migrate":
        configure_logging(SERVICE_NAME, config.settings.log_level)
        from crm_platform import migrations

        migrations.upgrade(MIGRATIONS_DIR, config.database_url)
        log.info("%s: migrations applied", SERVICE_NAME)
        return 0
    if command in ("clients", "keys"):
        return _identity_command(args, config)
    return _serve(config)


def _identity_command(args: argparse.Namespace, config: PortalConfig) -> int:
    from crm_portal.bootstrap import open_identity

    identity = open_identity(config.identity, config.database_url, pool_size=1)
    try:
        service = identity.service
        if args.command == "keys":
            if args.keys_command == "rotate":
                service.ensure_signing_key()
                key = service.rotate_keys()
                print(
                    f"signing with the new key {key.kid}; older keys stay published until "
                    "the tokens they signed have expired"
                )
            else:
                for key in service.list_keys():
                    state = "active" if key.active else f"published until {key.published_until}"
                    print(f"{key.kid}  created {key.created_at.isoformat()}  {state}")
            return 0
        if args.clients_command == "create":
            created = service.create_client(args.name, frozenset(Scope(s) for s in args.scopes))
            print(f"client_id:     {created.client.client_id}")
            print(f"client_secret: {created.secret}")
            print("keep the secret now: it is not stored and cannot be shown again")
        elif args.clients_command == "list":
            for client in service.list_clients():
                state = "active" if client.active else f"revoked {client.revoked_at}"
                scopes = " ".join(sorted(client.scopes))
                print(f"{client.client_id}  {client.name}  [{scopes}]  {state}")
        else:
            client = service.revoke_client(args.client_id)
            print(f"revoked {client.client_id} ({client.name})")
        return 0
    except DomainError as exc:
        print(f"crm-{SERVICE_NAME} {args.command}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(_database_hint(exc), file=sys.stderr)
        return 1
    finally:
        identity.close()


def _database_hint(error: BaseException) -> str:
    reason = " ".join(str(getattr(error, "orig", None) or error).split())[:200]
    return (
        f"crm-{SERVICE_NAME}: the portal database failed ({reason}): is it migrated "
        f"(crm-{SERVICE_NAME} migrate) and is CRM_PORTAL_DATABASE_URL right?"
    )


def _prepare(config: PortalConfig) -> bool:
    """The signing key and the bootstrap admin, once, before any worker starts."""
    from crm_portal.adapters.keys import KeyDecryptionError
    from crm_portal.bootstrap import open_identity, prepare_identity

    identity = open_identity(config.identity, config.database_url, pool_size=1)
    try:
        prepare_identity(identity.service, config.identity)
    except KeyDecryptionError as exc:
        print(f"crm-{SERVICE_NAME}: {exc}", file=sys.stderr)
        return False
    except SQLAlchemyError as exc:
        print(_database_hint(exc), file=sys.stderr)
        return False
    finally:
        identity.close()
    return True


def _serve(config: PortalConfig) -> int:
    configure_logging(SERVICE_NAME, config.settings.log_level)
    metrics_dir, created = prepare_metrics_dir(os.environ)
    os.environ[MULTIPROC_ENV] = str(metrics_dir)
    if not _prepare(config):  # after the line above: it imports prometheus_client
        if created:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        return 2
    # only now: prometheus_client reads PROMETHEUS_MULTIPROC_DIR when first imported
    from crm_portal.entrypoints.gunicorn_server import (
        MetricsEndpoint,
        PortalServer,
        gunicorn_options,
    )

    metrics = MetricsEndpoint(
        config.settings.metrics_port,
        metrics_dir,
        api_port=config.settings.port,
        remove_on_exit=created,
    )

    def load_app() -> Flask:
        # in the worker, after the fork: the master holds no gRPC channel
        from crm_portal.bootstrap import build_app

        return build_app(config)

    log.info(
        "portal: serving on port %d with %d workers x %d threads; customer at %s, analytics at %s",
        config.settings.port, config.workers, config.threads,
        config.customer_target, config.analytics_target,
    )  # fmt: skip
    PortalServer(gunicorn_options(config, metrics), load_app).run()
    return 0
