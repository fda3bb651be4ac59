"""Several API processes of one service on one host (`CRM_<SERVICE>_API_PROCESSES`).

A Python process serves on one CPU at a time (the GIL). With more than one API process, the
service's main process runs its roles as always and starts the other API processes (the same
program with the role `api`); every gRPC server binds the port with SO_REUSEPORT, so the kernel
spreads the connections among them. Their Prometheus metrics are shared through files
(prometheus_client's multiprocess mode) and served by the main process's metrics port alone.

prometheus_client decides where metric values live when it is first imported, so this module
imports none of it: the main process sets the directory and starts itself anew
(`enter_multiprocess_metrics`) before it builds anything.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, MutableMapping
from pathlib import Path

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Set for the API processes a main process starts: they serve gRPC only (no metrics port, no
# processes of their own).
WORKER_ENV = "CRM_API_WORKER"
# Set when the directory was made for this run, so the main process removes it on exit.
OWNED_DIR_ENV = "CRM_METRICS_DIR_OWNED"


def prepare_metrics_dir(environ: Mapping[str, str]) -> tuple[Path, bool]:
    """The directory where processes write their metrics, emptied of a previous run's files;
    and whether it was created here (and so is removed on exit)."""
    configured = environ.get(MULTIPROC_ENV)
    if not configured:
        return Path(tempfile.mkdtemp(prefix="crm-metrics-")), True
    directory = Path(configured)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return directory, False


def is_worker(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(WORKER_ENV) == "1"


def enter_multiprocess_metrics(environ: MutableMapping[str, str] = os.environ) -> None:
    """In a main process about to start API processes: unless its metrics already live in
    files, prepare the directory and start this program anew with it (never returns then)."""
    if environ.get(MULTIPROC_ENV):
        # Started with the directory set, so prometheus_client was imported with it: give a
        # directory of this process's own (an emptyDir volume), it is not emptied here.
        return
    directory, created = prepare_metrics_dir(environ)
    environ[MULTIPROC_ENV] = str(directory)
    if created:
        environ[OWNED_DIR_ENV] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606 - this program


class ApiProcesses:
    """The main process's other API processes: started, watched, stopped."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        if not self.count:
            return
        env = {**os.environ, WORKER_ENV: "1"}
        command = [sys.executable, sys.argv[0], "api"]
        for _ in range(self.count):
            self.processes.append(subprocess.Popen(command, env=env))
        log.info("started %d more API processes: %s", self.count, [p.pid for p in self.processes])

    def exited(self) -> list[str]:
        return [f"api process {p.pid}" for p in self.processes if p.poll() is not None]

    def stop(self, *, grace: float = 30.0) -> list[int]:
        """SIGTERM each, wait for it to drain (killed after `grace`); returns their pids."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return [p.pid for p in self.processes]


def remove_owned_dir(environ: Mapping[str, str] = os.environ) -> None:
    if environ.get(OWNED_DIR_ENV) == "1" and environ.get(MULTIPROC_ENV):
        shutil.rmtree(environ[MULTIPROC_ENV], ignore_errors=True)
