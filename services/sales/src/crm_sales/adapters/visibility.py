"""A `Scope` (service_layer/visibility.py) as a WHERE clause over a table with the usual
columns: `owner_id`, and `customer_id` / `partner_id` where the table has them."""

from __future__ import annotations

import sqlalchemy as sa

from crm_sales.service_layer.visibility import Scope


def visible(scope: Scope, table: sa.Table) -> sa.ColumnElement[bool]:
    if scope.everything:
        return sa.true()
    admitted: list[sa.ColumnElement[bool]] = []
    if scope.owner_ids:
        admitted.append(table.c.owner_id.in_(sorted(scope.owner_ids)))
    if scope.unowned:
        admitted.append(table.c.owner_id.is_(None))
    if scope.customer_id is not None:
        admitted.append(table.c.customer_id == scope.customer_id)
    if scope.partner_id is not None:
        admitted.append(table.c.partner_id == scope.partner_id)
    return sa.or_(*admitted) if admitted else sa.false()
