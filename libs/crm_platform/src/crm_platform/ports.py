"""What a service layer codes against, in pure Python: the chassis' unit of work
(`crm_platform.uow`) provides it, unit tests fake it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Protocol, Self


class Transaction(Protocol):
    """Any unit of work; a service's ports extend it with their repositories:
    `class UnitOfWork(Transaction, Protocol): ...`."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def savepoint(self) -> AbstractContextManager[object]:
        """A part of the transaction that may fail alone: when it raises, its changes are
        undone and the transaction goes on."""
        ...

    def commit(self) -> None:
        """Commit the changes with the events of every aggregate the repositories saw."""
        ...
