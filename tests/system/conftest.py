from __future__ import annotations

from collections.abc import Iterator

import pytest
from crm_platform.testing.servers import PostgresServer, RabbitServer

from tests.system.stack import Stack, build_stack, destroy_stack, servers_or_skip


@pytest.fixture(scope="module")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """The whole system, started once per test module."""
    postgres, rabbit = servers_or_skip(postgres_instance, rabbit_instance)
    stack = build_stack(postgres, rabbit, tmp_path_factory.mktemp("stack"))
    try:
        stack.migrate()
        stack.start_all()
        yield stack
    except Exception:
        print(stack.logs())
        raise
    finally:
        destroy_stack(stack, postgres, rabbit)
