"""Right after the stack says it is ready, a burst of clients logs in and writes at once, and
every request succeeds: readiness means the gateway and every service already hold identity's
signing keys (no 500, no 503 for the first callers)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from crm_platform.testing.servers import PostgresServer, RabbitServer

from tests.system.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, running_stack

# a system of its own, started for one burst: `make test-slow`
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """A system of this module's own: its burst comes right after the system says it is
    ready."""
    yield from running_stack(postgres_instance, rabbit_instance, tmp_path_factory)


CLIENTS = 16


def log_in_and_create(stack: Stack, n: int) -> tuple[int, int]:
    with httpx.Client(base_url=stack.api, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
        if token.status_code != 200:
            return token.status_code, 0
        created = client.post(
            "/api/v1/customers",
            json={"name": f"Cold Start {n}", "email": f"cold.start.{n}@example.com"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        return token.status_code, created.status_code


def test_a_burst_right_after_readiness_is_served_in_full(stack: Stack) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda n: log_in_and_create(stack, n), range(CLIENTS)))

    assert answers == [(200, 201)] * CLIENTS
    listed = httpx.get(
        f"{stack.api}/api/v1/customers?page_size=100", headers=stack.headers(), timeout=10
    )
    names = {item["name"] for item in listed.json()["items"]}
    assert {f"Cold Start {n}" for n in range(CLIENTS)} <= names
