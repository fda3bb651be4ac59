"""Passwords and client secrets hashed with argon2id (argon2-cffi's defaults, RFC 9106's
low-memory choice); a hash made with other parameters is redone at the next login.

Each hash or verification takes the hasher's memory (64 MiB by default), so at most
`concurrency` run at once: a burst of logins waits for its turn instead of growing the
process by 64 MiB per request."""

from __future__ import annotations

import threading

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Passwords:
    def __init__(
        self, hasher: argon2.PasswordHasher | None = None, *, concurrency: int = 2
    ) -> None:
        self._hasher = hasher or argon2.PasswordHasher()  # argon2id
        self._turns = threading.BoundedSemaphore(concurrency)

    def hash(self, secret: str) -> str:
        with self._turns:
            return self._hasher.hash(secret)

    def verify(self, secret_hash: str, secret: str) -> bool:
        try:
            with self._turns:
                return self._hasher.verify(secret_hash, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, secret_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(secret_hash)
        except InvalidHashError:
            return True
