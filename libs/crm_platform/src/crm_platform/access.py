"""Who may call what: the one catalog of roles and scopes, and each service's authorization
`Policy`, read from the `(crm.common.v1.access)` option of its RPCs
(docs/decisions/0005-access-tokens.md, docs/decisions/0008-rules-and-access-in-the-proto.md).

- Staff are allowed by role, machine clients (kind `service`) by OAuth scope, customers and
  partner users by their kind of principal (the service then checks which records they may
  see). A method without `access` is denied to everyone; a `public` one needs no token.
- Every name in an `access` option must be in the catalog: a typo would silently deny a method,
  so it is an error when the policy is built, at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from crm_proto.crm.common.v1 import common_pb2, options_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from crm_platform import errors
from crm_platform.context import Principal

# -- the catalog --------------------------------------------------------------------------------

STAFF_ROLES = frozenset(
    {"admin", "manager", "sales_rep", "marketer", "service_agent", "finance", "analyst"}
)
CUSTOMER_ROLE = "customer"
PARTNER_ROLE = "partner_user"
ROLES = STAFF_ROLES | {CUSTOMER_ROLE, PARTNER_ROLE}

SCOPES = frozenset(
    {
        "customers:read",
        "customers:write",
        "analytics:read",
        "identity:admin",  # accounts, machine clients and signing keys
        "service:calls",  # a telephony system reporting its calls to the service service
    }
)


# -- rules --------------------------------------------------------------------------------------


class Public(Enum):
    """The rule of a method anyone may call without a token (a login, the public keys)."""

    PUBLIC = "public"


PUBLIC = Public.PUBLIC


@dataclass(frozen=True, init=False)
class Allow:
    """Who may call one method.

    roles: staff roles allowed; scopes: OAuth scopes that allow a machine client (any one is
    enough); customers / partners: principals of that kind may call it, and the service then
    limits them to their own records (object-level checks). `Allow()` allows no one.
    """

    roles: frozenset[str]
    scopes: frozenset[str]
    customers: bool
    partners: bool

    def __init__(
        self,
        *,
        roles: Iterable[str] = (),
        scopes: Iterable[str] = (),
        customers: bool = False,
        partners: bool = False,
    ) -> None:
        roles, scopes = frozenset(roles), frozenset(scopes)
        problems = []
        if roles - STAFF_ROLES:
            problems.append(f"not staff roles: {', '.join(sorted(roles - STAFF_ROLES))}")
        if scopes - SCOPES:
            problems.append(f"unknown scopes: {', '.join(sorted(scopes - SCOPES))}")
        if problems:
            raise ValueError("; ".join(problems))
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "scopes", scopes)
        object.__setattr__(self, "customers", customers)
        object.__setattr__(self, "partners", partners)

    def permits(self, principal: Principal) -> bool:
        match principal.kind:
            case common_pb2.ACTOR_KIND_STAFF:
                return bool(principal.roles & self.roles)
            case common_pb2.ACTOR_KIND_CUSTOMER:
                return self.customers and principal.customer_id is not None
            case common_pb2.ACTOR_KIND_PARTNER:
                return (
                    self.partners
                    and principal.partner_id is not None
                    and PARTNER_ROLE in principal.roles
                )
            case common_pb2.ACTOR_KIND_SERVICE:
                return bool(principal.scopes & self.scopes)
            case _:
                return False


Rule = Allow | Public


class Policy:
    """A service's authorization table: method name -> rule. Missing methods are denied."""

    def __init__(self, rules: Mapping[str, Rule]) -> None:
        self.rules = dict(rules)

    def is_public(self, method: str) -> bool:
        return self.rules.get(method) is PUBLIC

    def check(self, method: str, principal: Principal) -> None:
        rule = self.rules.get(method)
        if rule is None:
            raise errors.PermissionDenied(f"{method} is not open to any caller")
        if rule is not PUBLIC and not rule.permits(principal):
            raise errors.PermissionDenied(f"{principal.subject} may not call {method}")

    def unknown_methods(self, methods: Iterable[str]) -> list[str]:
        """Rules that name no method of the service (a typo would leave a method denied)."""
        return sorted(set(self.rules) - set(methods))


# -- read from the proto ------------------------------------------------------------------------


def _declared(method: MethodDescriptor) -> options_pb2.Access | None:
    """The method's `(crm.common.v1.access)` option, or None when it declares none."""
    method_options = method.GetOptions()
    if not method_options.HasExtension(options_pb2.access):
        return None
    declared: options_pb2.Access = method_options.Extensions[options_pb2.access]
    return declared


def allow_of(method: MethodDescriptor) -> Rule:
    """The rule the method declares; `Allow()` (no one) when it declares none.

    ValueError, naming the method, for a name outside the catalog or a `public` method that
    also names callers.
    """
    declared = _declared(method)
    if declared is None:
        return Allow()
    if declared.public:
        if declared.roles or declared.scopes or declared.customers or declared.partners:
            raise ValueError(f"{method.full_name}: a public method names no callers")
        return PUBLIC
    try:
        return Allow(
            roles=declared.roles,
            scopes=declared.scopes,
            customers=declared.customers,
            partners=declared.partners,
        )
    except ValueError as exc:
        raise ValueError(f"{method.full_name}: {exc}") from None


def policy_of(*services: ServiceDescriptor) -> Policy:
    """The policy of a service's gRPC services from the `access` options of their methods. A
    method without one is left out of the table, so it is denied (the server says so in its log
    at start). Rules are by method name, so two services of one server must not share one."""
    rules: dict[str, Rule] = {}
    for service in services:
        for method in service.methods:
            if method.name in rules:
                raise ValueError(f"{method.full_name}: another service has a {method.name}")
            if _declared(method) is not None:
                rules[method.name] = allow_of(method)
    return Policy(rules)
