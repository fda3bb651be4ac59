"""docs/events.md names every event a service publishes: each message of every
proto/crm/<service>/v1/events.proto appears in the catalog by its full name."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "docs" / "events.md"


def published_events() -> set[str]:
    names = set()
    for events in sorted((ROOT / "proto" / "crm").glob("*/v1/events.proto")):
        text = events.read_text()
        package = re.search(r"^package ([\w.]+);", text, re.MULTILINE)
        assert package is not None, events
        names |= {f"{package[1]}.{m}" for m in re.findall(r"^message (\w+)", text, re.MULTILINE)}
    return names


def test_every_published_event_is_in_the_catalog() -> None:
    catalog = CATALOG.read_text()
    events = published_events()

    assert len(events) > 40
    assert sorted(name for name in events if f"`{name}`" not in catalog) == []
