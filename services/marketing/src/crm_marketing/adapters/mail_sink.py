"""A local SMTP server that keeps every message it receives as a .eml file in a folder: where
`make run` sends campaign e-mail, to be read by hand. It accepts whatever it is given."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class FolderHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        content: Any = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else str(content).encode()
        (self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(data)
        return "250 OK"


def mail_sink(folder: Path, host: str, port: int) -> Controller:
    """Started, not yet serving: `.start()` it, `.stop()` it."""
    return Controller(FolderHandler(folder), hostname=host, port=port)
