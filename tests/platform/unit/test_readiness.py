"""Readiness: a dependency required after the first announcement is announced again, so a
server that subscribed in between learns that the process is ready."""

from __future__ import annotations

from crm_platform.readiness import Readiness


def test_a_listener_added_with_a_late_dependency_hears_ready_once_it_answers() -> None:
    readiness = Readiness({"database": lambda: None})
    assert readiness.check_now()  # announced ready, before any server listens

    readiness.require("signing keys", lambda: None)  # the api role starts: keys now count
    heard: list[bool] = []
    readiness.on_change(heard.append)  # its server starts as not serving
    assert not readiness.is_ready()

    readiness.check_now()  # the keys were fetched meanwhile

    assert heard == [True]
