"""What a test does when a server or a tool it needs is missing.

On a developer's machine it skips, with the reason. In CI (`CRM_TEST_REQUIRE_SERVERS=1`, which
`.ci/run` exports) it fails with the same reason, so a run cannot pass by skipping.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

REQUIRE_SERVERS = "CRM_TEST_REQUIRE_SERVERS"


def servers_required() -> bool:
    return os.environ.get(REQUIRE_SERVERS, "").strip() not in ("", "0")


def unavailable(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it when servers are required."""
    if servers_required():
        pytest.fail(f"{reason} ({REQUIRE_SERVERS}=1: required, not skipped)", pytrace=False)
    pytest.skip(reason)


def tool(name: str, *, package: str) -> str:
    """The path of the command `name`; `package` is the Debian package that installs it."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed (apt-get install {package}; .ci/run installs it)")
    return path
