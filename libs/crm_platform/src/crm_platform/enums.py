"""Domain enums <-> protobuf enums, by the naming convention of the contracts: the proto enum
`PartyKind` has the values `PARTY_KIND_<MEMBER>` and `PARTY_KIND_UNSPECIFIED` (0), the domain's
`PartyKind` the members `<MEMBER>`. No table per enum to keep in step with the proto."""

from __future__ import annotations

import re
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from crm_platform.errors import FieldViolation, ValidationFailed

Member = TypeVar("Member", bound=Enum)
Number = TypeVar("Number", bound=int)  # the generated enum's ValueType
UNSPECIFIED = 0


if TYPE_CHECKING:
    # a generated protobuf enum, e.g. customer_pb2.PartyKind (generic in the stubs only)
    from google.protobuf.internal.enum_type_wrapper import _EnumTypeWrapper as ProtoEnum


def value_prefix(proto: ProtoEnum[Any]) -> str:
    """PartyKind -> PARTY_KIND_"""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", str(proto.DESCRIPTOR.name)).upper() + "_"


def enum_key(proto: ProtoEnum[Any], number: int) -> str:
    """A proto enum value as a lowercase key without its prefix: GENDER_FEMALE -> female."""
    return proto.Name(number).removeprefix(value_prefix(proto)).lower()


class EnumCodec(Generic[Member, Number]):
    def __init__(self, domain: type[Member], proto: ProtoEnum[Number]) -> None:
        prefix = value_prefix(proto)
        self.domain = domain
        self._unspecified = proto.Value(prefix + "UNSPECIFIED")
        self._to_proto: dict[Member, Number] = {}
        for member in domain:
            try:
                self._to_proto[member] = proto.Value(prefix + member.name)
            except ValueError:
                name = proto.DESCRIPTOR.full_name
                raise ValueError(f"{name} has no {prefix}{member.name}") from None
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
