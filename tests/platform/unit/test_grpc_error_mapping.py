"""Domain errors <-> gRPC status: each error has its code, and the rich details (field
violations, the existing resource) survive the trip back to the client."""

from __future__ import annotations

import grpc
import pytest
from crm_platform import errors
from crm_platform.grpc_errors import details_of, domain_error_of, status, status_for

CODES = [
    (errors.NotFound("no customer c-1"), grpc.StatusCode.NOT_FOUND),
    (
        errors.ValidationFailed(errors.FieldViolation("email", "is not an email address")),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    (errors.AlreadyExists("duplicate email", existing_id="c-9"), grpc.StatusCode.ALREADY_EXISTS),
    (errors.FailedPrecondition("order already signed"), grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Conflict("changed since version 3"), grpc.StatusCode.ABORTED),
    (errors.PermissionDenied("not your customer"), grpc.StatusCode.PERMISSION_DENIED),
    (errors.Unauthenticated("no token"), grpc.StatusCode.UNAUTHENTICATED),
    (errors.DomainError("some other rule"), grpc.StatusCode.FAILED_PRECONDITION),
]


class ReceivedError(grpc.RpcError, grpc.Call):
    """What a client holds after a failed call, made from the status the server sent."""

    def __init__(self, sent: grpc.Status) -> None:
        self.sent = sent

    def code(self):
        return self.sent.code

    def details(self):
        return self.sent.details

    def trailing_metadata(self):
        return self.sent.trailing_metadata

    def initial_metadata(self):
        return ()

    def is_active(self):
        return False

    def time_remaining(self):
        return None

    def cancel(self):
        return False

    def add_callback(self, callback):
        return False


@pytest.mark.parametrize(("error", "code"), CODES, ids=lambda v: type(v).__name__)
def test_each_domain_error_has_its_code(error, code):
    sent = status_for(error)
    assert sent.code == code
    assert sent.details == str(error)
    received = details_of(ReceivedError(sent))
    assert received.code == code
    assert received.message == str(error)


def test_field_violations_round_trip():
    error = errors.ValidationFailed(
        [
            errors.FieldViolation("email", "is not an email address"),
            errors.FieldViolation("birth_date", "is in the future"),
        ]
    )
    received = details_of(ReceivedError(status_for(error)))
    assert received.violations == error.violations
    assert received.existing_id is None


def test_existing_resource_round_trips():
    received = details_of(ReceivedError(status_for(errors.AlreadyExists("dup", "c-9"))))
    assert received.existing_id == "c-9"
    assert received.violations == []


def test_plain_status_has_no_details():
    received = details_of(ReceivedError(status(grpc.StatusCode.UNAVAILABLE, "later")))
    assert (received.code, received.message) == (grpc.StatusCode.UNAVAILABLE, "later")
    assert received.violations == []
    assert received.existing_id is None


@pytest.mark.parametrize(("error", "code"), CODES[:-1], ids=lambda v: type(v).__name__)
def test_a_called_service_refusal_is_the_same_error_again(error, code):
    again = domain_error_of(ReceivedError(status_for(error)))

    assert type(again) is type(error)
    assert str(again) == str(error)
    assert getattr(again, "violations", None) == getattr(error, "violations", None)
    assert getattr(again, "existing_id", None) == getattr(error, "existing_id", None)


@pytest.mark.parametrize(
    "code", [grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED]
)
def test_a_fault_of_a_called_service_is_no_refusal(code):
    assert domain_error_of(ReceivedError(status(code, "boom"))) is None
