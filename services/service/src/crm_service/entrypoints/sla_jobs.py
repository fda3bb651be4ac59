"""The jobs role (`crm-service sla`): looks at the SLA clocks and closes the resolved cases
due to close every interval, as the service itself (the actor of the events it causes)."""

from __future__ import annotations

import logging
import threading

from crm_platform import context
from crm_platform.context import Principal
from crm_proto.crm.common.v1 import common_pb2

from crm_service.service_layer.closing import AutoClose
from crm_service.service_layer.sla import SlaMonitor

log = logging.getLogger(__name__)

SLA_JOBS = Principal(subject="service-sla", kind=common_pb2.ACTOR_KIND_SERVICE)


def run_monitor(
    monitor: SlaMonitor, interval: float, stop: threading.Event, closer: AutoClose | None = None
) -> None:
    """Until `stop`: one look at the clocks (and at the resolved cases due to close), then
    wait. A look that fails (the database away) is logged and tried again at the next
    interval; what it did not commit is done then."""
    with context.acting_as(SLA_JOBS):
        while not stop.is_set():
            try:
                changed = monitor.evaluate()
                closed = 0 if closer is None else closer.close_due()
            except Exception:
                log.exception("the SLA clocks could not be evaluated; trying again")
            else:
                if changed:
                    log.info("SLA clocks recorded on %d cases", changed)
                if closed:
                    log.info("%d resolved cases closed by themselves", closed)
            stop.wait(interval)
