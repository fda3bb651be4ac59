"""Keyset pagination: opaque page tokens, the page-size cap every list shares, and pages whose
token is the (time, id) position of their last row."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from crm_platform.errors import FieldViolation, ValidationFailed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A token carries a checksum so that an edited or truncated one is rejected as invalid instead
# of reaching a query. Tokens hold nothing secret and grant nothing (every query still applies
# the caller's own filters), so a fixed key is enough.
_CHECKSUM_KEY = b"guanxi page token v1"
_CHECKSUM_BYTES = 12


def page_size(requested: int, *, field: str = "page.page_size") -> int:
    """0 means the default; above the cap is capped; negative is an error."""
    if requested < 0:
        raise ValidationFailed(FieldViolation(field, "must not be negative"))
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, key=_CHECKSUM_KEY, digest_size=_CHECKSUM_BYTES).digest()


def encode_token(key: list[Any]) -> str:
    """The sort key of the last row of a page, as an opaque token."""
    payload = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(_checksum(payload) + payload).decode().rstrip("=")


def decode_token(token: str, *, field: str = "page.page_token") -> list[Any] | None:
    """The sort key a token holds; None for no token; ValidationFailed for anything else."""
    if not token:
        return None
    invalid = ValidationFailed(FieldViolation(field, "is not a token this service issued"))
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
    except (ValueError, UnicodeEncodeError):
        raise invalid from None
    checksum, payload = raw[:_CHECKSUM_BYTES], raw[_CHECKSUM_BYTES:]
    if not hmac.compare_digest(checksum, _checksum(payload)):
        raise invalid
    try:
        key = json.loads(payload)
    except ValueError:
        raise invalid from None
    if not isinstance(key, list):
        raise invalid
    return key


Item = TypeVar("Item")
# Keyset position: the sort key of a row (a time such as created_at, then the id).
Cursor = tuple[datetime, UUID]


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next_page_token: str  # empty on the last page


def decode_cursor(token: str, *, field: str = "page.page_token") -> Cursor | None:
    """The position a token of `page_of` holds; None for no token."""
    key = decode_token(token, field=field)
    if key is None:
        return None
    try:
        position, row_id = key
        moment = datetime.fromisoformat(position)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        return moment, UUID(row_id)
    except (TypeError, ValueError):
        raise ValidationFailed(
            FieldViolation(field, "is not a token this service issued")
        ) from None


def page_of(rows: list[Item], limit: int, key: Callable[[Item], Cursor]) -> Page[Item]:
    """A page from up to `limit + 1` rows in keyset order: the extra row says there is more."""
    if len(rows) <= limit:
        return Page(rows, "")
    items = rows[:limit]
    position, row_id = key(items[-1])
    return Page(items, encode_token([position.isoformat(), str(row_id)]))
