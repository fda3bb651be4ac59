"""`crm`: the operators' command.

    crm preflight                         are RabbitMQ and the services' databases answering?
    crm dlq list <service>                the dead letters of <service>.events.dlq
    crm dlq replay <service> --all        move them back to <service>.events
    crm dlq replay <service> --event-id ID [--event-id ID ...]

Failures print one line saying what is wrong and what to do, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence

from pika.exceptions import (
    AMQPError,
    ConnectionClosedByBroker,
    ProbableAccessDeniedError,
    ProbableAuthenticationError,
)
from sqlalchemy.engine import make_url

from crm_platform import amqp, dead_letters
from crm_platform.db import build_engine, ping
from crm_platform.settings import DEFAULT_AMQP_URL

DATABASE_URL_VARIABLE = re.compile(r"^CRM_([A-Z0-9]+)_DATABASE_URL$")


def reason_of(error: BaseException) -> str:
    """A short, one-line reason: the driver's own words, without SQLAlchemy's or pika's wrapping."""
    inner: BaseException = getattr(error, "orig", None) or error
    # pika wraps the socket error it met, twice: in args, then in `exception`
    while True:
        if inner.args and isinstance(inner.args[0], BaseException):
            inner = inner.args[0]
        elif isinstance(getattr(inner, "exception", None), BaseException):
            inner = inner.exception  # type: ignore[attr-defined]
        else:
            break
    text = " ".join(str(inner).split()) or type(inner).__name__
    return text[:200]


def _login_refused(error: BaseException) -> bool:
    return isinstance(
        error,
        ProbableAuthenticationError | ProbableAccessDeniedError,
    ) or (isinstance(error, ConnectionClosedByBroker) and error.reply_code == 403)


def _redact_database(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


def preflight(environ: Mapping[str, str]) -> list[str]:
    """One line per dependency that does not answer; empty when all do."""
    problems: list[str] = []
    amqp_url = environ.get("CRM_AMQP_URL") or DEFAULT_AMQP_URL
    try:
        amqp.ping(amqp_url)
    except Exception as exc:
        if _login_refused(exc):
            problems.append(
                f"RabbitMQ at {amqp.redact(amqp_url)} refused the login ({reason_of(exc)}): "
                "fix the user, password or virtual host in CRM_AMQP_URL"
            )
            return problems + _database_problems(environ)
        problems.append(
            f"RabbitMQ is unreachable at {amqp.redact(amqp_url)} ({reason_of(exc)}): "
            "start it with `rabbitmq-server -detached` or set CRM_AMQP_URL to a running broker"
        )
    return problems + _database_problems(environ)


def _database_problems(environ: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for variable, url in sorted(environ.items()):
        match = DATABASE_URL_VARIABLE.match(variable)
        if match is None or not url:
            continue
        service = match.group(1).lower()
        if url.startswith("sqlite"):
            continue  # embedded: created by the service's migrations
        if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            problems.append(f"{variable} must be a postgresql:// or sqlite:/// URL")
            continue
        try:
            engine = build_engine(url, pool_size=1)
            try:
                ping(engine)
            finally:
                engine.dispose()
        except Exception as exc:
            problems.append(
                f"the {service} database at {_redact_database(url)} does not answer "
                f"({reason_of(exc)}): start PostgreSQL (Debian: `pg_ctlcluster "
                f"--skip-systemctl-redirect <version> main start`) or fix {variable}"
            )
    return problems


def _preflight(args: argparse.Namespace) -> int:
    problems = preflight(os.environ)
    for problem in problems:
        print(f"crm preflight: {problem}", file=sys.stderr)
    if not problems:
        print("crm preflight: RabbitMQ and the configured databases answer")
    return 1 if problems else 0


def _format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, *rows]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _dlq_list(args: argparse.Namespace) -> int:
    letters = dead_letters.list_dead_letters(args.amqp_url, args.service)
    queue = amqp.dead_letter_queue_name(args.service)
    if not letters:
        print(f"{queue}: no dead letters")
        return 0
    rows = [
        [
            letter.event_id,
            letter.event_type,
            letter.subject,
            letter.reason,
            str(letter.deaths),
            letter.died_at.isoformat(timespec="seconds") if letter.died_at else "?",
        ]
        for letter in letters
    ]
    print(_format_table(["EVENT ID", "TYPE", "SUBJECT", "REASON", "DEATHS", "DIED AT"], rows))
    print(f"{queue}: {len(letters)} dead letter(s)")
    return 0


def _dlq_replay(args: argparse.Namespace) -> int:
    wanted = None if args.all else set(args.event_ids)
    moved = dead_letters.replay(args.amqp_url, args.service, wanted)
    target = amqp.queue_name(args.service)
    for letter in moved:
        print(f"replayed {letter.event_id} ({letter.event_type}) to {target}")
    missing = sorted((wanted or set()) - {letter.event_id for letter in moved})
    for event_id in missing:
        print(f"crm dlq replay: no dead letter with event id {event_id}", file=sys.stderr)
    print(f"{len(moved)} event(s) moved back to {target}")
    return 1 if missing else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description="Guanxi CRM operations")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "preflight", help="check that RabbitMQ and each configured PostgreSQL answer"
    )
    check.set_defaults(run=_preflight)

    dlq = commands.add_parser("dlq", help="dead letters of a consuming service")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True)
    amqp_url = argparse.ArgumentParser(add_help=False)
    amqp_url.add_argument(
        "--amqp-url",
        default=os.environ.get("CRM_AMQP_URL") or DEFAULT_AMQP_URL,
        help="the broker (default: CRM_AMQP_URL, else %(default)s)",
    )
    amqp_url.add_argument("service", help="the consuming service, e.g. analytics")
    listing = dlq_commands.add_parser(
        "list", parents=[amqp_url], help="list <service>.events.dlq without removing anything"
    )
    listing.set_defaults(run=_dlq_list)
    replaying = dlq_commands.add_parser(
        "replay", parents=[amqp_url], help="move dead letters back to <service>.events"
    )
    which = replaying.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every dead letter")
    which.add_argument(
        "--event-id",
        dest="event_ids",
        action="append",
        metavar="ID",
        help="the dead letter with this event id (repeatable)",
    )
    replaying.set_defaults(run=_dlq_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # pika logs failed connection attempts with tracebacks; the messages below say what matters.
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except dead_letters.DeadLetterQueueMissing as exc:
        print(
            f"crm {args.command}: there is no queue {exc.args[0]} "
            f"(has {args.service} ever consumed events on this broker?)",
            file=sys.stderr,
        )
        return 1
    except (AMQPError, OSError) as exc:
        url = amqp.redact(getattr(args, "amqp_url", DEFAULT_AMQP_URL))
        print(
            f"crm {args.command}: RabbitMQ at {url} failed ({reason_of(exc)}): "
            "check that it runs (rabbitmq-server -detached) and CRM_AMQP_URL or --amqp-url",
            file=sys.stderr,
        )
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
