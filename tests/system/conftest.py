from __future__ import annotations

from collections.abc import Iterator

import pytest
from crm_platform.testing.servers import PostgresServer, RabbitServer

from tests.system.stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack(
    postgres_instance: PostgresServer | str,
    rabbit_instance: RabbitServer | str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """The whole system, started once for every module that needs no system of its own (a
    stack start is most of a system test's time): tests make their own records, named so
    that another module's never count in what they assert."""
    yield from running_stack(postgres_instance, rabbit_instance, tmp_path_factory)
