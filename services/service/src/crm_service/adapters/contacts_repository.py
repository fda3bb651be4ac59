"""The copy of the customers' contact details (customer_contacts)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm_service.adapters.orm import customer_contacts as C
from crm_service.domain.contacts import CustomerContact


class SqlCustomerContacts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, customer_id: UUID) -> CustomerContact | None:
        row = self.session.execute(sa.select(C).where(C.c.customer_id == customer_id)).first()
        return None if row is None else _contact_of(row)

    def put(self, contact: CustomerContact) -> None:
        values = _values(contact)
        # a newer version applied already keeps its details: a late event changes nothing
        updated: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(C)
            .where(C.c.customer_id == contact.customer_id, C.c.version < contact.version)
            .values(values)
        )
        if updated.rowcount == 0 and self.get(contact.customer_id) is None:
            self.session.execute(sa.insert(C).values(values))

    def by_email(self, email: str) -> CustomerContact | None:
        return self._one(C.c.email == email) if email else None

    def by_phone(self, phone: str) -> CustomerContact | None:
        return self._one(C.c.phone == phone) if phone else None

    def celebrating(self, month: int, day: int) -> list[CustomerContact]:
        days = [day, 29] if (month, day) == (2, 28) else [day]  # 29 February's, in other years
        since = C.c.customer_since  # its UTC date
        statement = sa.select(C).where(
            C.c.merged_into_id.is_(None),
            sa.or_(
                sa.and_(
                    sa.extract("month", C.c.birth_date) == month,
                    sa.extract("day", C.c.birth_date).in_(days),
                ),
                sa.and_(sa.extract("month", since) == month, sa.extract("day", since).in_(days)),
            ),
        )
        return [_contact_of(row) for row in self.session.execute(statement)]

    def clear(self) -> None:
        self.session.execute(sa.delete(C))

    def _one(self, condition: Any) -> CustomerContact | None:
        row = self.session.execute(
            sa.select(C)
            .where(condition, C.c.merged_into_id.is_(None))
            .order_by(C.c.customer_since.desc(), C.c.customer_id)
            .limit(1)
        ).first()
        return None if row is None else _contact_of(row)


def _values(contact: CustomerContact) -> dict[str, Any]:
    return {
        "customer_id": contact.customer_id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "birth_date": contact.birth_date,
        "owner_id": contact.owner_id,
        "customer_since": contact.customer_since,
        "blacklisted": contact.blacklisted,
        "merged_into_id": contact.merged_into_id,
        "version": contact.version,
    }


def _contact_of(row: Any) -> CustomerContact:
    return CustomerContact(
        customer_id=row.customer_id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        birth_date=row.birth_date,
        owner_id=row.owner_id,
        customer_since=row.customer_since,
        blacklisted=row.blacklisted,
        merged_into_id=row.merged_into_id,
        version=row.version,
    )
