"""The deadlines role (`crm-partner deadlines`): every interval, the offers past their answer
deadline time out and go to the next partner, as the service itself (the actor of the events
it causes). The deadlines are in the database, so a restarted role picks up where it was."""

from __future__ import annotations

import logging
import threading

from crm_platform import context
from crm_platform.context import Principal
from crm_proto.crm.common.v1 import common_pb2

from crm_partner.domain.values import Actor, ActorKind
from crm_partner.service_layer.outsourcing import OutsourcingHandlers

log = logging.getLogger(__name__)

DEADLINES = Principal(subject="partner-deadlines", kind=common_pb2.ACTOR_KIND_SERVICE)
ACTOR = Actor(DEADLINES.subject, ActorKind.SERVICE)


def run_deadlines(outsourcing: OutsourcingHandlers, interval: float, stop: threading.Event) -> None:
    """Until `stop`: one look, then wait. A look that fails (the database away) is logged and
    tried again at the next interval."""
    with context.acting_as(DEADLINES):
        while not stop.is_set():
            try:
                expired = outsourcing.expire_due(ACTOR)
            except Exception:
                log.exception("the answer deadlines could not be looked at; trying again")
            else:
                if expired:
                    log.info("%d offers timed out and went on", expired)
            stop.wait(interval)
