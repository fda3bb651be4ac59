"""`crm-identity clients create|list|revoke` and `crm-identity keys rotate|list`: identity's
upkeep, on its database (the declaration in bootstrap.py gives each the service)."""

from __future__ import annotations

import argparse
import sys
from uuid import UUID

from crm_platform.errors import DomainError
from sqlalchemy.exc import SQLAlchemyError

from crm_identity.config import SERVICE_NAME
from crm_identity.domain.model import Scope
from crm_identity.service_layer.handlers import IdentityService


def clients_command(service: IdentityService, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=f"crm-{SERVICE_NAME} clients", description="machine clients (client_credentials)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create one; prints its secret once")
    create.add_argument("--name", required=True, help="what system it is")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=sorted(scope.value for scope in Scope),
        help="a scope it may ask for (repeatable)",
    )
    commands.add_parser("list", help="list every machine client")
    revoke = commands.add_parser("revoke", help="stop issuing tokens to one")
    revoke.add_argument("client_id", type=UUID, help="the client's id")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            created = service.create_client(args.name, frozenset(Scope(s) for s in args.scopes))
            print(f"client_id:     {created.client.client_id}")
            print(f"client_secret: {created.secret}")
            print("keep the secret now: it is not stored and cannot be shown again")
        elif args.command == "list":
            for client in service.list_clients():
                state = "active" if client.active else f"revoked {client.revoked_at}"
                scopes = " ".join(sorted(client.scopes))
                print(f"{client.client_id}  {client.name}  [{scopes}]  {state}")
        else:
            client = service.revoke_client(args.client_id)
            print(f"revoked {client.client_id} ({client.name})")
        return 0
    except (DomainError, SQLAlchemyError) as exc:
        return _failed("clients", exc)


def keys_command(service: IdentityService, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=f"crm-{SERVICE_NAME} keys", description="the keys that sign access tokens"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("rotate", help="sign with a new key; old ones stay published")
    commands.add_parser("list", help="list the signing keys")
    args = parser.parse_args(argv)
    try:
        if args.command == "rotate":
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
    except (DomainError, SQLAlchemyError) as exc:
        return _failed("keys", exc)


def _failed(command: str, error: BaseException) -> int:
    if isinstance(error, SQLAlchemyError):
        reason = " ".join(str(getattr(error, "orig", None) or error).split())[:200]
        print(
            f"crm-{SERVICE_NAME}: the identity database failed ({reason}): is it migrated "
            f"(crm-{SERVICE_NAME} migrate) and is CRM_IDENTITY_DATABASE_URL right?",
            file=sys.stderr,
        )
    else:
        print(f"crm-{SERVICE_NAME} {command}: {error}", file=sys.stderr)
    return 1
