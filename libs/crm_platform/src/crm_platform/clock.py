"""A service's clock: UTC now, moved forward by the number of seconds in a file when the
settings name one (a test environment makes SLA clocks breach or answer deadlines pass
without waiting hours); the file is read on every look, so a change applies at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


class OffsetClock:
    def __init__(self, offset_file: Path | None) -> None:
        self.offset_file = offset_file

    def __call__(self) -> datetime:
        now = datetime.now(UTC)
        if self.offset_file is None:
            return now
        try:
            text = self.offset_file.read_text().strip()
        except FileNotFoundError:
            return now
        return now + timedelta(seconds=float(text or 0))
