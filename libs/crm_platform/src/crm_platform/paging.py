"""Keyset pagination: opaque page tokens and the page-size cap every list shares."""

from __future__ import annotations

import base64
import json
from typing import Any

from crm_platform.errors import FieldViolation, ValidationFailed

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def page_size(requested: int, *, field: str = "page.page_size") -> int:
    """0 means the default; above the cap is capped; negative is an error."""
    if requested < 0:
        raise ValidationFailed(FieldViolation(field, "must not be negative"))
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode_token(key: list[Any]) -> str:
    """The sort key of the last row of a page, as an opaque token."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_token(token: str, *, field: str = "page.page_token") -> list[Any] | None:
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(FieldViolation(field, "is not a token this service issued")) from None
    if not isinstance(key, list):
        raise ValidationFailed(FieldViolation(field, "is not a token this service issued"))
    return key
