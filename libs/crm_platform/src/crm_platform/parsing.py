"""Request fields into domain values (a malformed one is a ValidationFailed naming the field's
path in the request, as the proto spells it), and times into Timestamps."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime
from uuid import UUID

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from crm_platform.errors import FieldViolation, ValidationFailed


def uuid(value: str, field: str) -> UUID:
    if not value:
        raise ValidationFailed(FieldViolation(field, "is required"))
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed(FieldViolation(field, "must be a UUID")) from None


def optional_uuid(value: str, field: str) -> UUID | None:
    return uuid(value, field) if value else None


def optional_date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(FieldViolation(field, "must be a date like 1990-12-31")) from None


def optional_time(message: Message, field: str) -> datetime | None:
    """A Timestamp field of `message` as a UTC time; None when it is not set."""
    if not message.HasField(field):
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=UTC)


def timestamp(moment: datetime) -> Timestamp:
    message = Timestamp()
    message.FromDatetime(moment)
    return message


def field_mask(
    paths: Collection[str], allowed: Collection[str], field: str = "update_mask"
) -> frozenset[str]:
    """The fields an update names: at least one, each one of `allowed`."""
    if not paths:
        raise ValidationFailed(FieldViolation(field, "name at least one field"))
    unknown = sorted(set(paths) - set(allowed))
    if unknown:
        raise ValidationFailed(
            FieldViolation(
                field, f"cannot update {', '.join(unknown)}; updatable: {', '.join(allowed)}"
            )
        )
    return frozenset(paths)
