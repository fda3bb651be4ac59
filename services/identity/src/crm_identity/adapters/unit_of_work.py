"""Identity's unit of work: one transaction over its tables."""

from __future__ import annotations

from typing import Self

from crm_platform.uow import UnitOfWork

from crm_identity.adapters.repository import (
    SqlClientRepository,
    SqlRefreshTokenRepository,
    SqlSigningKeyRepository,
    SqlUserRepository,
)


class SqlUnitOfWork(UnitOfWork):
    users: SqlUserRepository
    clients: SqlClientRepository
    refresh_tokens: SqlRefreshTokenRepository
    signing_keys: SqlSigningKeyRepository

    def __enter__(self) -> Self:
        super().__enter__()
        self.users = SqlUserRepository(self.session)
        self.clients = SqlClientRepository(self.session)
        self.refresh_tokens = SqlRefreshTokenRepository(self.session)
        self.signing_keys = SqlSigningKeyRepository(self.session)
        return self
