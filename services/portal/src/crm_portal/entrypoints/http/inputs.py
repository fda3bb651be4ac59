"""Reading a request: JSON body, query string and headers, each validated before any backend
is called. Not JSON -> 415; broken JSON -> 400; invalid fields -> 422; too large -> 413."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from crm_portal.entrypoints.http.problems import FieldError, Problem, from_validation_error, invalid

M = TypeVar("M", bound=BaseModel)

_ETAG = re.compile(r'^"?(\d{1,18})"?$')
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _json_bytes(*, optional: bool) -> bytes | None:
    """The body's bytes; None for an absent `optional` body."""
    data = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH; kept for idempotency
    if optional and not data:
        return None
    if not _is_json(request.mimetype):
        raise UnsupportedMediaType("send the body as application/json")
    return data


def text_document(media_type: str) -> str:
    """A body of `media_type` (its charset UTF-8) as text: another type -> 415, bytes that are
    not UTF-8 -> 400."""
    data = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH
    if request.mimetype != media_type:
        raise UnsupportedMediaType(f"send the body as {media_type}")
    try:
        return data.decode("utf-8-sig")  # a spreadsheet's byte-order mark is no column
    except UnicodeDecodeError as exc:
        raise Problem(400, f"the body is not UTF-8 text: {exc}") from None


def json_document(*, optional: bool = False) -> Any:
    """The JSON body, parsed. With `optional`, an absent body means {}."""
    data = _json_bytes(optional=optional)
    if data is None:
        return {}
    try:
        return json.loads(data)
    except ValueError as exc:  # broken JSON, or bytes that are not UTF-8
        raise Problem(400, f"the body is not valid JSON: {exc}") from None


def body(model: type[M], *, optional: bool = False) -> M:
    """The JSON body as `model`. With `optional`, an absent body means {}."""
    data = _json_bytes(optional=optional)
    if data is None:
        return model.model_validate({})
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        broken = next((e for e in exc.errors() if e["type"] == "json_invalid"), None)
        if broken is not None:
            raise Problem(400, f"the body is not valid JSON: {broken['msg']}") from None
        raise from_validation_error(exc) from None


def query_arguments() -> dict[str, str]:
    """The query string's parameters, each given once; an empty parameter counts as absent."""
    repeated = [name for name in request.args if len(request.args.getlist(name)) > 1]
    if repeated:
        raise invalid([FieldError(name, "give this parameter once") for name in repeated])
    return {k: v for k, v in request.args.items() if v != ""}


def query(model: type[M]) -> M:
    """The query string as `model`."""
    try:
        return model.model_validate(query_arguments())
    except ValidationError as exc:
        raise from_validation_error(exc) from None


MAX_VERSION = 2**63 - 1  # versions travel as int64 (If-Match's 18 digits stay below it)


def expected_version(body_version: int | None) -> int | None:
    """The version a change is conditional on: If-Match ("3") or the body's `version`."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return body_version
    match = _ETAG.match(header.strip())
    if match is None:
        raise invalid([FieldError("If-Match", 'must be the ETag of the record, e.g. "3"')])
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise invalid([FieldError("version", "differs from the If-Match header")])
    return version


def idempotency_key() -> str | None:
    """`Idempotency-Key`: a retried create with the same key returns the first result."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise invalid(
            [FieldError("Idempotency-Key", "must be 1 to 200 printable ASCII characters")]
        )
    return key
