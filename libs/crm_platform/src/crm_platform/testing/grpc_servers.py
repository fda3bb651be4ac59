"""A service's gRPC server in a thread of the test's own process, as its api role runs it:
authentication, the policy, validation and readiness (a database check when given)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from crm_platform.auth import Policy, TokenVerifier, grpc_authenticator
from crm_platform.grpc_server import GrpcServer, ServiceBinding
from crm_platform.readiness import Readiness
from crm_platform.testing.processes import role_in_thread
from crm_platform.testing.tokens import token_verifier


@contextmanager
def serving(
    bindings: Sequence[ServiceBinding],
    policy: Policy,
    *,
    verifier: TokenVerifier | None = None,
    database: Callable[[], None] | None = None,
    port: int = 0,
) -> Iterator[str]:
    """The server's address (127.0.0.1:port) while it runs; tokens are checked by `verifier`
    (default: the test key's) and readiness by `database` (default: always ready)."""
    readiness = Readiness({} if database is None else {"database": database})
    readiness.check_now()
    server = GrpcServer(
        list(bindings),
        port=port,
        readiness=readiness,
        authenticate=grpc_authenticator(verifier or token_verifier()),
        policy=policy,
        host="127.0.0.1",
    )
    with role_in_thread(functools.partial(server.run, grace=1.0)):
        yield f"127.0.0.1:{server.port}"
