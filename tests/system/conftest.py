from __future__ import annotations

from collections.abc import Iterator

import pytest
from crm_platform.testing.servers import PostgresServer, RabbitServer

from tests.system.stack import Stack, build_stack, destroy_stack


@pytest.fixture(scope="module")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """The whole system, started once per test module."""
    if isinstance(postgres_instance, str):
        pytest.skip(postgres_instance)
    if isinstance(rabbit_instance, str):
        pytest.skip(rabbit_instance)
    stack = build_stack(postgres_instance, rabbit_instance, tmp_path_factory.mktemp("stack"))
    try:
        stack.migrate()
        stack.start_all()
        yield stack
    except Exception:
        print(stack.logs())
        raise
    finally:
        destroy_stack(stack, postgres_instance, rabbit_instance)
