"""The live customers as rows of the import's columns, so that an export imports again as it
was: read in keyset pages, one short transaction each, whatever the number of customers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from crm_customer.domain.model import Customer
from crm_customer.service_layer.ports import CustomerFilters, UnitOfWork

EXPORT_PAGE = 2000


def live_customers(
    uow_factory: Callable[[], UnitOfWork], filters: CustomerFilters, *, page: int = EXPORT_PAGE
) -> Iterator[Customer]:
    """Every live customer matching `filters`, oldest first."""
    after = None
    while True:
        with uow_factory() as uow:
            rows = uow.customers.list_live(filters, after, page)
        yield from rows
        if len(rows) < page:
            return
        after = (rows[-1].created_at, rows[-1].id)


def export_row(customer: Customer) -> dict[str, Any]:
    """The customer by the import's columns (None where unset; tags a list, preferences an
    object: the file format writes them its way)."""
    profile = customer.profile
    return {
        "kind": profile.kind.value,
        "name": profile.name,
        "email": profile.email,
        "phone": profile.phone,
        "region": profile.region,
        "city": profile.city,
        "birth_date": profile.birth_date.isoformat() if profile.birth_date else None,
        "gender": profile.gender.value if profile.gender else None,
        "tags": list(profile.tags),
        "preferences": dict(profile.preferences),
        "source": profile.acquisition_source.value if profile.acquisition_source else None,
        "owner_id": str(profile.owner_id) if profile.owner_id else None,
    }
