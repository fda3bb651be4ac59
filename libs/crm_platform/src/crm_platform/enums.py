"""Protobuf enums by the naming convention of the contracts: the proto enum `PartyKind` has the
values `PARTY_KIND_<MEMBER>` and `PARTY_KIND_UNSPECIFIED` (0). The domain's `PartyKind` has the
members `<MEMBER>` (EnumCodec), and JSON and event keys are the lowercase `<member>` (`key`,
`number`). No table per enum to keep in step with the proto."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Generic, TypeVar

from google.protobuf.descriptor import EnumDescriptor

from crm_platform.errors import FieldViolation, ValidationFailed

Member = TypeVar("Member", bound=Enum)
Number = TypeVar("Number", bound=int)  # the generated enum's ValueType
UNSPECIFIED = 0


if TYPE_CHECKING:
    # a generated protobuf enum, e.g. customer_pb2.PartyKind (generic in the stubs only)
    from google.protobuf.internal.enum_type_wrapper import _EnumTypeWrapper as ProtoEnum


def prefix(enum: EnumDescriptor) -> str:
    """PARTY_KIND_ for PartyKind: its zero value's name without UNSPECIFIED."""
    return enum.values_by_number[UNSPECIFIED].name.removesuffix("UNSPECIFIED")


def keys(enum: EnumDescriptor) -> list[str]:
    """The keys of an enum's values, in proto order, without the unspecified zero."""
    start = prefix(enum)
    return [v.name.removeprefix(start).lower() for v in enum.values if v.number != UNSPECIFIED]


def key(enum: EnumDescriptor, number: int) -> str | None:
    """GENDER_FEMALE -> female; None for the unspecified zero and for a number the contract
    does not define (a value newer than this reader)."""
    value = enum.values_by_number.get(number)
    if value is None or number == UNSPECIFIED:
        return None
    return value.name.removeprefix(prefix(enum)).lower()


def number(enum: EnumDescriptor, key: str) -> int | None:
    """female -> GENDER_FEMALE; None when the enum has no such (specified, lowercase) value."""
    value = enum.values_by_name.get(prefix(enum) + key.upper())
    if value is None or value.number == UNSPECIFIED or not key.islower():
        return None
    return int(value.number)


class EnumCodec(Generic[Member, Number]):
    def __init__(self, domain: type[Member], proto: ProtoEnum[Number]) -> None:
        start = prefix(proto.DESCRIPTOR)
        self.domain = domain
        self._unspecified = proto.Value(start + "UNSPECIFIED")
        self._to_proto: dict[Member, Number] = {}
        for member in domain:
            try:
                self._to_proto[member] = proto.Value(start + member.name)
            except ValueError:
                name = proto.DESCRIPTOR.full_name
                raise ValueError(f"{name} has no {start}{member.name}") from None
        self._from_proto: dict[int, Member] = {n: m for m, n in self._to_proto.items()}

    def to_proto(self, member: Member | None) -> Number:
        """None is the unspecified value."""
        return self._unspecified if member is None else self._to_proto[member]

    def optional(self, number: int, field: str) -> Member | None:
        """0 (unspecified) is None; a number the contract does not define is an error."""
        member = self._from_proto.get(number)
        if member is not None:
            return member
        if number == UNSPECIFIED:
            return None
        raise ValidationFailed(FieldViolation(field, f"unknown value {number}"))

    def required(self, number: int, field: str) -> Member:
        member = self.optional(number, field)
        if member is None:
            raise ValidationFailed(FieldViolation(field, "is required"))
        return member
