"""A `Scope` (service_layer/visibility.py) as a WHERE clause over the cases table."""

from __future__ import annotations

import sqlalchemy as sa

from crm_service.service_layer.visibility import Scope


def visible(scope: Scope, table: sa.Table) -> sa.ColumnElement[bool]:
    if scope.everything:
        return sa.true()
    if scope.customer_id is not None:
        return table.c.customer_id == scope.customer_id
    admitted: list[sa.ColumnElement[bool]] = []
    if scope.owner_ids:
        admitted.append(table.c.owner_id.in_(sorted(scope.owner_ids)))
    if scope.unowned:
        admitted.append(table.c.owner_id.is_(None))
    return sa.or_(*admitted) if admitted else sa.false()
