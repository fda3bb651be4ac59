"""Domain errors <-> gRPC status, with rich details (google.rpc.Status).

Server side: `status_for` turns a DomainError into a status with field violations
(BadRequest) or the existing resource (ResourceInfo). Client side: `details_of` reads them back,
and `domain_error_of` makes a service's refusal the caller's own error again, so it passes on
with its code, message and field details.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-untyped]
from grpc_status import rpc_status

from crm_platform import errors

_CODES: list[tuple[type[errors.DomainError], grpc.StatusCode]] = [
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.ValidationFailed, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Conflict, grpc.StatusCode.ABORTED),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
]


def code_for(error: errors.DomainError) -> grpc.StatusCode:
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION


def status_for(error: errors.DomainError) -> grpc.Status:
    code = code_for(error)
    details: list[any_pb2.Any] = []
    if isinstance(error, errors.ValidationFailed):
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in error.violations
                ]
            )
        )
        details.append(detail)
    elif isinstance(error, errors.AlreadyExists):
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.ResourceInfo(resource_name=error.existing_id))
        details.append(detail)
    return rpc_status.to_status(
        status_pb2.Status(code=code.value[0], message=str(error), details=details)
    )


def status(code: grpc.StatusCode, message: str) -> grpc.Status:
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=message))


@dataclass(frozen=True)
class ErrorDetails:
    code: grpc.StatusCode
    message: str
    violations: list[errors.FieldViolation] = field(default_factory=list)
    existing_id: str | None = None


def details_of(error: grpc.RpcError) -> ErrorDetails:
    call: grpc.Call = error  # type: ignore[assignment]
    code = call.code()
    message = call.details() or ""
    violations: list[errors.FieldViolation] = []
    existing_id = None
    rich = rpc_status.from_call(call)
    for detail in rich.details if rich is not None else []:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.extend(
                errors.FieldViolation(v.field, v.description) for v in bad_request.field_violations
            )
        elif detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            info = error_details_pb2.ResourceInfo()
            detail.Unpack(info)
            existing_id = info.resource_name
    return ErrorDetails(code, message, violations, existing_id)


def domain_error_of(error: grpc.RpcError) -> errors.DomainError | None:
    """The DomainError a called service refused with (None for a fault: UNKNOWN, INTERNAL,
    DEADLINE_EXCEEDED and the like are not the caller's to pass on as a refusal)."""
    details = details_of(error)
    if details.code is grpc.StatusCode.INVALID_ARGUMENT and details.violations:
        return errors.ValidationFailed(details.violations)
    if details.code is grpc.StatusCode.ALREADY_EXISTS and details.existing_id:
        return errors.AlreadyExists(details.message, details.existing_id)
    for kind, code in _CODES:
        if code is details.code and kind not in (errors.ValidationFailed, errors.AlreadyExists):
            return kind(details.message)
    return None
