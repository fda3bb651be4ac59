"""Identity's unit of work: one transaction over its tables, and the accounts' changes into
its outbox."""

from __future__ import annotations

from typing import Any, Self

from crm_platform.privacy import SqlErasureLog, SqlPersonalRecords
from crm_platform.uow import UnitOfWork
from crm_proto.crm.common.v1 import common_pb2
from google.protobuf.message import Message

from crm_identity.adapters.event_mapping import to_message
from crm_identity.adapters.orm import personal_data_erasures
from crm_identity.adapters.privacy_repository import personal_records
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
    erasures: SqlErasureLog
    personal_data: SqlPersonalRecords

    def __enter__(self) -> Self:
        super().__enter__()
        self.users = SqlUserRepository(self.session, self.track)
        self.clients = SqlClientRepository(self.session)
        self.refresh_tokens = SqlRefreshTokenRepository(self.session)
        self.signing_keys = SqlSigningKeyRepository(self.session)
        self.erasures = SqlErasureLog(self.session, personal_data_erasures)
        self.personal_data = personal_records(self.session)
        return self

    def outbox_message(self, event: Any, actor: common_pb2.Actor) -> tuple[Message, str]:
        return to_message(event, actor), str(event.user_id)
