"""`crm-marketing mail-sink`: the local SMTP sink of `make run` (default 127.0.0.1:2525, the
messages under .crm/mail/), until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from urllib.parse import urlsplit

from crm_marketing.adapters.mail_sink import mail_sink
from crm_marketing.config import SERVICE_NAME, MarketingSettings


def mail_sink_command(settings: MarketingSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=f"crm-{SERVICE_NAME} mail-sink",
        description="An SMTP server keeping every message it receives as a .eml file.",
    )
    parser.add_argument("--dir", type=Path, default=Path(".crm/mail"), help="where to keep them")
    args = parser.parse_args(argv)
    # aiosmtpd logs every SMTP command at INFO: only its troubles matter here
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    address = urlsplit(settings.smtp_url)
    sink = mail_sink(args.dir, address.hostname or "127.0.0.1", address.port or 2525)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    sink.start()
    print(f"mail sink on {sink.hostname}:{sink.port}, keeping messages in {args.dir}/")
    try:
        stop.wait()
    finally:
        sink.stop()
    return 0
