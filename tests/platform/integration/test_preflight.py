"""`crm preflight` against real and missing servers: exit 0 when everything answers; else one
line per missing dependency saying what to do, exit 1, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from crm_platform.testing.processes import free_port

pytestmark = pytest.mark.integration


def _preflight(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    return subprocess.run(
        [sys.executable, "-m", "crm_platform.cli", "preflight"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_everything_answers(amqp_url, postgres_url):
    result = _preflight(
        CRM_AMQP_URL=amqp_url,
        CRM_CUSTOMER_DATABASE_URL=postgres_url,
        CRM_ANALYTICS_DATABASE_URL="sqlite:///unused.db",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_missing_broker_is_one_clear_line():
    result = _preflight(CRM_AMQP_URL=f"amqp://guest:secret@127.0.0.1:{free_port()}/")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "RabbitMQ is unreachable" in line
    assert "rabbitmq-server -detached" in line
    assert "CRM_AMQP_URL" in line
    assert "secret" not in line
    assert "Traceback" not in result.stderr


def test_missing_database_is_one_clear_line(amqp_url):
    result = _preflight(
        CRM_AMQP_URL=amqp_url,
        CRM_CUSTOMER_DATABASE_URL=f"postgresql://postgres:pw@127.0.0.1:{free_port()}/customer",
    )
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "the customer database" in line
    assert "CRM_CUSTOMER_DATABASE_URL" in line
    assert "pw@" not in line
    assert "Traceback" not in result.stderr
