"""Identity's unit of work: one transaction over its tables."""

from __future__ import annotations

from typing import Self

from crm_platform.events import source_of
from crm_platform.uow import UnitOfWork
from sqlalchemy.orm import Session, sessionmaker

from crm_identity.adapters.repository import (
    SqlClientRepository,
    SqlRefreshTokenRepository,
    SqlSigningKeyRepository,
    SqlUserRepository,
)
from crm_identity.config import SERVICE_NAME


class SqlUnitOfWork(UnitOfWork):
    users: SqlUserRepository
    clients: SqlClientRepository
    refresh_tokens: SqlRefreshTokenRepository
    signing_keys: SqlSigningKeyRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        super().__init__(session_factory, source_of(SERVICE_NAME))

    def __enter__(self) -> Self:
        super().__enter__()
        self.users = SqlUserRepository(self.session)
        self.clients = SqlClientRepository(self.session)
        self.refresh_tokens = SqlRefreshTokenRepository(self.session)
        self.signing_keys = SqlSigningKeyRepository(self.session)
        return self
