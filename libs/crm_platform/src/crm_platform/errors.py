"""Errors a domain raises; the gRPC layer maps each to a status code, the gateway to HTTP.

Pure Python on purpose: domains import these without importing any framework.
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """An expected failure of a command or query; never reported as UNKNOWN or INTERNAL."""


class NotFound(DomainError):
    pass


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class ValidationFailed(DomainError):
    def __init__(self, violations: list[FieldViolation] | FieldViolation) -> None:
        self.violations = violations if isinstance(violations, list) else [violations]
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in self.violations))


class AlreadyExists(DomainError):
    def __init__(self, message: str, existing_id: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class FailedPrecondition(DomainError):
    """An illegal state transition."""


class Conflict(DomainError):
    """A concurrent change won (optimistic version check failed)."""


class PermissionDenied(DomainError):
    pass


class Unauthenticated(DomainError):
    pass


class Unavailable(DomainError):
    """A service this one needs did not answer (in time): nothing was changed, retry later."""
