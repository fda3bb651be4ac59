"""Domain enums <-> proto enums by the contracts' naming convention."""

from __future__ import annotations

from enum import StrEnum

import pytest
from crm_platform import enums
from crm_platform.enums import EnumCodec
from crm_platform.errors import ValidationFailed
from crm_proto.crm.customer.v1 import customer_pb2


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Mood(StrEnum):
    CHEERFUL = "cheerful"


GENDERS = EnumCodec(Gender, customer_pb2.Gender)


def test_members_map_to_the_prefixed_values_and_back() -> None:
    for member in Gender:
        number = GENDERS.to_proto(member)
        assert customer_pb2.Gender.Name(number) == f"GENDER_{member.name}"
        assert GENDERS.required(number, "gender") is member


def test_unspecified_is_none_both_ways() -> None:
    assert GENDERS.to_proto(None) == customer_pb2.GENDER_UNSPECIFIED
    assert GENDERS.optional(customer_pb2.GENDER_UNSPECIFIED, "gender") is None


def test_a_number_the_contract_does_not_define_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as unknown:
        GENDERS.optional(99, "customer.gender")
    with pytest.raises(ValidationFailed) as missing:
        GENDERS.required(0, "customer.gender")

    assert [(v.field, v.description) for v in unknown.value.violations] == [
        ("customer.gender", "unknown value 99")
    ]
    assert [(v.field, v.description) for v in missing.value.violations] == [
        ("customer.gender", "is required")
    ]


def test_a_domain_member_without_a_proto_value_fails_at_once() -> None:
    with pytest.raises(ValueError, match="GENDER_CHEERFUL"):
        EnumCodec(Mood, customer_pb2.Gender)


def test_enum_keys_are_the_lowercase_names_without_the_prefix() -> None:
    sources = customer_pb2.AcquisitionSource.DESCRIPTOR

    assert enums.key(sources, customer_pb2.ACQUISITION_SOURCE_SALES_REP) == "sales_rep"
    assert enums.number(sources, "sales_rep") == customer_pb2.ACQUISITION_SOURCE_SALES_REP
    assert enums.key(sources, 0) is None
    assert enums.key(sources, 99) is None  # a value added after this reader was built
    for refused in ("unspecified", "SALES_REP", "shop"):
        assert enums.number(sources, refused) is None
    assert enums.keys(customer_pb2.ConsentChannel.DESCRIPTOR) == ["email", "sms", "phone", "post"]
