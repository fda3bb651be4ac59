"""Contact details in the one form used for storage, dedupe and recognition.

Each function returns the normalized value or raises ValidationFailed naming `field`, the
path of the value in the request (e.g. "customer.email").
"""

from __future__ import annotations

import re

import phonenumbers
from crm_platform.errors import FieldViolation, ValidationFailed

EMAIL_MAX_LENGTH = 254
# Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is checked by
# sending, not by a pattern.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def normalize_email(raw: str, *, field: str) -> str:
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationFailed(
            FieldViolation(field, f"must be at most {EMAIL_MAX_LENGTH} characters")
        )
    if not _EMAIL.match(email):
        raise ValidationFailed(FieldViolation(field, "is not an email address"))
    return email


def normalize_phone(raw: str, *, default_region: str, field: str) -> str:
    """E.164 (e.g. +14155552671); numbers without a country code are read in `default_region`."""
    try:
        number = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException:
        raise ValidationFailed(FieldViolation(field, "is not a phone number")) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(FieldViolation(field, "is not a valid phone number"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_supported_phone_region(region: str) -> bool:
    return region in phonenumbers.SUPPORTED_REGIONS
