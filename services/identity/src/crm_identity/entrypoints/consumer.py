"""Event -> handler: the identity consumer's one table, from which its queue's bindings come.

Identity follows one fact of the customer service: a customer's erasure ends their login and
erases what it holds of them (adapters/privacy_repository.py), confirmed with
PersonalDataErased. The chassis's inbox drops a redelivered event, and the erasure record a
second erasure of the same customer.
"""

from __future__ import annotations

from crm_platform.consumer import EventHandlers
from crm_platform.privacy import anonymize_records, on_customer_erased

from crm_identity.adapters.unit_of_work import SqlUnitOfWork
from crm_identity.config import SERVICE_NAME

HANDLERS = EventHandlers[SqlUnitOfWork](SERVICE_NAME)

on_customer_erased(HANDLERS, SERVICE_NAME, anonymize_records)
