"""The catalog of roles and scopes, `Allow` and `Policy`, and policies read from the
`(crm.common.v1.access)` options of the proto, without a server."""

from __future__ import annotations

import importlib
import pkgutil

import crm_proto
import pytest
from crm_platform import errors
from crm_platform.access import (
    PUBLIC,
    ROLES,
    SCOPES,
    STAFF_ROLES,
    Allow,
    Policy,
    allow_of,
    policy_of,
)
from crm_platform.context import Principal
from crm_platform.testing.tokens import (
    customer_token,
    issue_token,
    partner_token,
    service_token,
    staff_token,
    token_verifier,
)
from crm_proto.crm.analytics.v1 import analytics_pb2
from google.protobuf.descriptor import ServiceDescriptor

from tests.platform.unit.protos import compile_proto

POLICY = Policy(
    {
        "Read": Allow(roles={"analyst", "admin"}, scopes={"customers:read"}, customers=True),
        "Write": Allow(roles={"admin"}, scopes={"customers:write"}),
        "Assigned": Allow(partners=True),
        "Open": PUBLIC,
    }
)

ACCESS_PROTO = """
syntax = "proto3";
package crm.accesstest.v1;
import "crm/common/v1/options.proto";

message Empty {}

service Probe {
  rpc Open(Empty) returns (Empty) { option (crm.common.v1.access) = {public: true}; }
  rpc Read(Empty) returns (Empty) {
    option (crm.common.v1.access) = {
      roles: ["admin", "analyst"]
      scopes: ["customers:read"]
      customers: true
    };
  }
  rpc Undeclared(Empty) returns (Empty);
}

service Sibling {
  rpc Write(Empty) returns (Empty) { option (crm.common.v1.access) = {roles: ["admin"]}; }
}

service Twin {
  rpc Read(Empty) returns (Empty) { option (crm.common.v1.access) = {roles: ["admin"]}; }
}

service Mistaken {
  rpc UnknownRole(Empty) returns (Empty) {
    option (crm.common.v1.access) = {roles: ["admn"]};
  }
  rpc CustomerRole(Empty) returns (Empty) {
    option (crm.common.v1.access) = {roles: ["customer"]};
  }
  rpc UnknownScope(Empty) returns (Empty) {
    option (crm.common.v1.access) = {scopes: ["customer:read"]};
  }
  rpc PublicWithRoles(Empty) returns (Empty) {
    option (crm.common.v1.access) = {public: true, roles: ["admin"]};
  }
}
"""


def principal(token: str) -> Principal:
    return token_verifier().verify(token)


def probe_service(name: str) -> ServiceDescriptor:
    return compile_proto("crm_accesstest.proto", ACCESS_PROTO).services_by_name[name]


def product_services() -> list[ServiceDescriptor]:
    """Every service described by a module of crm_proto."""
    services: list[ServiceDescriptor] = []
    for module in pkgutil.walk_packages(crm_proto.__path__, "crm_proto."):
        if module.name.endswith("_pb2"):
            file = importlib.import_module(module.name).DESCRIPTOR
            services.extend(file.services_by_name.values())
    return services


def test_the_catalog_has_the_nine_roles_seven_of_them_staff() -> None:
    staff = {"admin", "manager", "sales_rep", "marketer", "service_agent", "finance", "analyst"}

    assert staff == STAFF_ROLES
    assert staff | {"customer", "partner_user"} == ROLES
    assert {"customers:read", "customers:write", "analytics:read"} <= SCOPES


@pytest.mark.parametrize(
    ("method", "token", "allowed"),
    [
        ("Read", staff_token("analyst"), True),
        ("Write", staff_token("analyst"), False),
        ("Write", staff_token("admin"), True),
        ("Read", staff_token("partner_user"), False),  # not a staff role
        ("Read", staff_token("customer"), False),  # a role does not make staff a customer
        ("Read", customer_token("c-1"), True),
        ("Write", customer_token("c-1"), False),
        ("Read", service_token("customers:read"), True),
        ("Write", service_token("customers:read"), False),
        ("Read", issue_token(roles=[], scopes=["customers:read"]), False),  # staff go by role
        ("Read", issue_token("c", kind="service", roles=["admin"]), False),  # clients by scope
        ("Assigned", partner_token("p-1"), True),
        ("Assigned", staff_token("admin"), False),
        ("Open", customer_token("c-1"), True),
        ("Unlisted", staff_token("admin"), False),  # deny by default
    ],
)
def test_the_policy_allows_by_role_kind_and_scope(method: str, token: str, allowed: bool) -> None:
    caller = principal(token)

    if allowed:
        POLICY.check(method, caller)
    else:
        with pytest.raises(errors.PermissionDenied):
            POLICY.check(method, caller)


def test_only_a_public_rule_makes_a_method_public() -> None:
    assert [name for name in ("Open", "Read", "Unlisted") if POLICY.is_public(name)] == ["Open"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"roles": {"admn"}}, "not staff roles: admn"),
        ({"roles": {"partner_user"}}, "not staff roles: partner_user"),
        ({"scopes": {"customer:read"}}, "unknown scopes: customer:read"),
    ],
)
def test_a_rule_with_a_name_outside_the_catalog_is_refused_when_declared(
    rule: dict[str, set[str]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Allow(**rule)  # type: ignore[arg-type]


def test_the_policy_names_its_unknown_methods() -> None:
    assert POLICY.unknown_methods(["Read", "Write", "Open"]) == ["Assigned"]


def test_the_rules_come_from_the_access_options_of_the_proto() -> None:
    methods = probe_service("Probe").methods_by_name

    assert allow_of(methods["Open"]) is PUBLIC
    assert allow_of(methods["Read"]) == Allow(
        roles={"admin", "analyst"}, scopes={"customers:read"}, customers=True
    )
    # no option: no one may call it
    assert allow_of(methods["Undeclared"]) == Allow()
    assert not allow_of(methods["Undeclared"]).permits(principal(staff_token("admin")))  # type: ignore[union-attr]


def test_a_policy_from_the_proto_leaves_out_the_methods_without_access() -> None:
    policy = policy_of(probe_service("Probe"))

    assert sorted(policy.rules) == ["Open", "Read"]
    assert policy.is_public("Open")
    with pytest.raises(errors.PermissionDenied):
        policy.check("Undeclared", principal(staff_token("admin")))


def test_one_policy_covers_the_services_of_one_server() -> None:
    policy = policy_of(probe_service("Probe"), probe_service("Sibling"))

    assert sorted(policy.rules) == ["Open", "Read", "Write"]
    policy.check("Write", principal(staff_token("admin")))


def test_two_services_of_one_server_may_not_share_a_method_name() -> None:
    with pytest.raises(ValueError, match=r"Twin\.Read: another service has a Read"):
        policy_of(probe_service("Probe"), probe_service("Twin"))


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("UnknownRole", "Mistaken.UnknownRole: not staff roles: admn"),
        ("CustomerRole", "Mistaken.CustomerRole: not staff roles: customer"),
        ("UnknownScope", "Mistaken.UnknownScope: unknown scopes: customer:read"),
        ("PublicWithRoles", "Mistaken.PublicWithRoles: a public method names no callers"),
    ],
)
def test_a_mistaken_access_option_is_an_error_naming_the_method(method: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        allow_of(probe_service("Mistaken").methods_by_name[method])


def test_every_service_of_the_product_declares_who_may_call_each_method() -> None:
    """Every name in every access option of crm_proto is in the catalog (policy_of would raise),
    and no method is left without one (it would be denied to everyone)."""
    services = product_services()
    undeclared = [
        method.full_name
        for service in services
        for method in service.methods
        if method.name not in policy_of(service).rules
    ]

    assert {s.full_name for s in services} >= {
        "crm.customer.v1.CustomerService",
        "crm.analytics.v1.AnalyticsService",
    }
    assert undeclared == []


def test_the_analytics_access_options_are_the_table_of_decision_0005() -> None:
    service = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"]

    assert policy_of(service).rules == {
        "GetDemographicSegments": Allow(
            roles={"admin", "manager", "marketer", "analyst", "finance", "sales_rep"},
            scopes={"analytics:read"},
        ),
        "GetCustomerValue": Allow(
            roles={"admin", "manager", "marketer", "analyst", "finance"},
            scopes={"analytics:read"},
        ),
        "GetValueSummary": Allow(
            roles={"admin", "manager", "marketer", "analyst", "finance"},
            scopes={"analytics:read"},
        ),
        "RecomputeCustomerValue": Allow(roles={"admin", "analyst"}),
    }
