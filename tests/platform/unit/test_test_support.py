"""The test suite's own rules: a missing server skips or fails, a polled condition ends as soon
as what it waits on has died, and every test carries its layer's marker."""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from crm_platform.testing.processes import (
    EPHEMERAL_PORTS,
    ProcessDied,
    RoleThread,
    ServiceProcess,
    free_port,
    wait_until,
)
from crm_platform.testing.required import REQUIRE_SERVERS, tool, unavailable

from tests.conftest import TESTS, layer_of


def test_a_missing_server_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_SERVERS, raising=False)

    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL here"):
        unavailable("no PostgreSQL here")


def test_a_missing_server_fails_when_servers_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REQUIRE_SERVERS, "1")

    with pytest.raises(pytest.fail.Exception, match="no PostgreSQL here"):
        unavailable("no PostgreSQL here")
    with pytest.raises(pytest.fail.Exception, match="apt-get install nothing-here"):
        tool("crm-no-such-command", package="nothing-here")


def test_a_tool_that_is_there_is_its_path() -> None:
    assert tool("sh", package="dash") == shutil.which("sh")


def python(tmp_path: Path, code: str) -> ServiceProcess:
    return ServiceProcess("probe", [sys.executable, "-c", code], {}, tmp_path).start()


def test_a_wait_ends_at_once_with_the_exit_code_and_log_of_a_process_that_died(
    tmp_path: Path,
) -> None:
    process = python(tmp_path, "print('cannot bind the port', flush=True); raise SystemExit(3)")
    started = time.monotonic()

    with pytest.raises(ProcessDied) as died:
        wait_until(lambda: False, timeout=60, what="something", watching=[process])

    assert time.monotonic() - started < 10
    assert "probe exited with 3" in str(died.value)
    assert "cannot bind the port" in str(died.value)


def test_waiting_for_readiness_ends_when_the_process_dies(tmp_path: Path) -> None:
    process = python(tmp_path, "import sys; sys.exit('no database')")
    started = time.monotonic()

    with pytest.raises(ProcessDied, match="no database"):
        process.wait_ready(f"http://127.0.0.1:{free_port()}/readyz", timeout=60)

    assert time.monotonic() - started < 10


def test_a_process_killed_on_purpose_does_not_end_a_wait(tmp_path: Path) -> None:
    process = python(tmp_path, "import time; time.sleep(60)")
    process.kill()

    with pytest.raises(TimeoutError, match=r"timed out after 0\.3s waiting for more"):
        wait_until(lambda: False, timeout=0.3, what="more", watching=[process])
    process.start()
    assert process.failure() is None
    process.stop()


# The role's exception also reaches threading.excepthook, as in a service's log.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_wait_ends_with_the_traceback_of_a_role_that_raised() -> None:
    def relay(stop: threading.Event) -> None:
        raise ConnectionError("the broker refused the login")

    thread = RoleThread(relay, threading.Event())
    thread.start()
    thread.join(5)

    with pytest.raises(ProcessDied, match="the broker refused the login"):
        wait_until(lambda: False, timeout=60, what="events", watching=[thread])


def test_a_role_asked_to_stop_does_not_end_a_wait() -> None:
    stop = threading.Event()
    thread = RoleThread(lambda stop: stop.wait(), stop)
    thread.start()
    stop.set()
    thread.join(5)

    assert thread.failure() is None


def item(path: str, *fixtures: str, database: str | None = None) -> pytest.Item:
    callspec = SimpleNamespace(params={"database_url": database}) if database else None
    fake = SimpleNamespace(path=TESTS / path, fixturenames=list(fixtures), callspec=callspec)
    return fake  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("path", "fixtures", "database", "layer"),
    [
        ("customer/unit/test_domain.py", (), None, "unit"),
        ("customer/integration/test_grpc.py", (), None, "integration"),
        ("system/test_faults.py", ("postgres_instance",), None, "system"),
        ("deploy/test_compose.py", (), None, "deploy"),
        ("portal/unit/test_edge.py", ("redis_url",), None, "integration"),
        ("platform/unit/test_x.py", ("database_url",), "postgresql", "integration"),
        ("platform/unit/test_x.py", ("database_url",), "sqlite", "unit"),
    ],
)
def test_each_test_gets_the_layer_of_its_folder_or_its_servers(
    path: str, fixtures: tuple[str, ...], database: str | None, layer: str
) -> None:
    assert layer_of(item(path, *fixtures, database=database)) == layer


def test_this_test_carries_the_unit_marker(request: pytest.FixtureRequest) -> None:
    markers = {marker.name for marker in request.node.iter_markers()}
    assert "unit" in markers
    assert not markers & {"integration", "system", "deploy"}


def test_free_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    low = int(EPHEMERAL_PORTS.read_text().split()[0]) if EPHEMERAL_PORTS.exists() else 32768
    ports = [free_port() for _ in range(50)]

    assert len(set(ports)) == 50
    assert all(1024 <= port < low for port in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))  # nothing holds it
