"""The importer role (`crm-customer importer`): uploaded customer files imported one at a time,
each as the staff member who uploaded it. Stopped, it ends its import after the batch in hand
and releases it; killed, its lease runs out and the next importer goes on from the last batch
written."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from uuid import UUID

from crm_platform.service import Wiring, Worker

from crm_customer.adapters.bulk import SqlBulkCustomerStore
from crm_customer.adapters.import_repository import SqlImportJournal
from crm_customer.adapters.unit_of_work import SqlUnitOfWork
from crm_customer.config import CustomerSettings
from crm_customer.domain.imports import CustomerImport
from crm_customer.service_layer.import_jobs import ImportRunner, utc_now

log = logging.getLogger(__name__)
IDLE = 1.0  # seconds between looks for an import when there was none
TROUBLE_PAUSE = 5.0  # seconds after a failed import (the database away, a lost lease)


def run_importer(runner: ImportRunner, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            worked = runner.run_next(stop.is_set)
        except Exception:
            # what the import wrote stays written; its lease runs out and it goes on from there
            log.exception("an import failed; trying again in %s s", TROUBLE_PAUSE)
            stop.wait(TROUBLE_PAUSE)
            continue
        if not worked:
            stop.wait(IDLE)


def worker(wiring: Wiring[CustomerSettings, SqlUnitOfWork]) -> Worker:
    settings = wiring.settings
    lease = timedelta(seconds=settings.import_lease_seconds)

    def store_for(job: CustomerImport, claim: UUID) -> SqlBulkCustomerStore:
        journal = SqlImportJournal(job.id, claim, lease=lease, clock=utc_now)
        return SqlBulkCustomerStore(
            wiring.engine, correlation_id=job.correlation_id, journal=journal
        )

    runner = ImportRunner(
        wiring.unit_of_work,
        store_for,
        phone_region=settings.default_phone_region,
        lease=lease,
        batch_size=settings.import_batch_size,
    )
    return Worker(lambda stop: run_importer(runner, stop))
