"""`Idempotency-Key` on POST: a retried request gets the first answer and changes nothing again.

For a route declared `idempotent=True`, a request with `Idempotency-Key: <1-200 printable
ASCII characters>` is remembered for 24 hours under (caller, method, path, key), where the
caller is the principal's subject, or the client address for public routes:

- the first request runs; a success or client error it *answers* (status < 500) is stored:
  status, the headers that matter (Location, ETag, Content-Type) and the body;
- a retry with the same key and the same request (body, query, content type) gets that
  stored answer, with `Idempotent-Replayed: true`, and the route does not run again;
- the same key with a different request: 422 problem (`/problems/idempotency-key-reused`);
- a retry while the first is still running: 409 problem (`/problems/idempotency-in-flight`)
  with `Retry-After`;
- when the route fails (an error raised, or a 5xx), the key is released: a retry runs again.

Keys live in Redis when `CRM_REDIS_URL` is set (`SET NX` with a TTL, shared by every worker
and replica: what production runs). Without it they live in the memory of one worker process,
so a retry that reaches another worker runs again: fine for development and tests only.

The customer service also deduplicates creations by the key (the create route forwards it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from flask import Flask, Response, current_app, request

from crm_portal.entrypoints.http import inputs
from crm_portal.entrypoints.http.limits import principal_key
from crm_portal.entrypoints.http.problems import Problem

STORE_KEY = "crm_portal.idempotency"
TTL_SECONDS = 24 * 60 * 60
IN_FLIGHT_SECONDS = 120  # longer than any request may run; a crashed worker's claim expires
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag", "Content-Type", "Content-Location", "Last-Modified")
KEY_PREFIX = "crm-portal:idempotency:"
RETRY_SOON = {"Retry-After": "1"}


@dataclass(frozen=True)
class Record:
    fingerprint: str
    status: int | None = None  # None while the first request is in flight
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @property
    def in_flight(self) -> bool:
        return self.status is None

    def dumps(self) -> str:
        return json.dumps(
            {
                "fingerprint": self.fingerprint,
                "status": self.status,
                "headers": [list(h) for h in self.headers],
                "body": base64.b64encode(self.body).decode(),
            }
        )

    @classmethod
    def loads(cls, text: str | bytes) -> Record:
        data = json.loads(text)
        return cls(
            fingerprint=data["fingerprint"],
            status=data["status"],
            headers=tuple((str(k), str(v)) for k, v in data["headers"]),
            body=base64.b64decode(data["body"]),
        )


class Store(Protocol):
    def claim(self, key: str, record: Record, ttl: int) -> Record | None:
        """Store `record` unless the key is taken; None when stored, else what is there."""

    def save(self, key: str, record: Record, ttl: int) -> None: ...

    def release(self, key: str) -> None: ...


class MemoryStore:
    """One process's keys (development and tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._records: dict[str, tuple[float, Record]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def claim(self, key: str, record: Record, ttl: int) -> Record | None:
        with self._lock:
            now = self._clock()
            self._records = {k: v for k, v in self._records.items() if v[0] > now}
            existing = self._records.get(key)
            if existing is not None:
                return existing[1]
            self._records[key] = (now + ttl, record)
            return None

    def save(self, key: str, record: Record, ttl: int) -> None:
        with self._lock:
            self._records[key] = (self._clock() + ttl, record)

    def release(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)


class RedisStore:
    """Keys shared by every worker and replica: SET NX with a TTL."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def claim(self, key: str, record: Record, ttl: int) -> Record | None:
        for _attempt in range(3):
            with _unavailable_as_503():
                if self._redis.set(key, record.dumps(), nx=True, ex=ttl):
                    return None
                existing: bytes | None = self._redis.get(key)  # type: ignore[assignment]
            if existing is not None:
                return Record.loads(existing)
            # expired between SET and GET: try again
        raise Problem(503, "the idempotency store is busy; retry later", headers=RETRY_SOON)

    def save(self, key: str, record: Record, ttl: int) -> None:
        with _unavailable_as_503():
            self._redis.set(key, record.dumps(), ex=ttl)

    def release(self, key: str) -> None:
        with _unavailable_as_503():
            self._redis.delete(key)


class _unavailable_as_503:
    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: Any
    ) -> None:
        if isinstance(error, redis.RedisError):
            raise Problem(
                503,
                "the idempotency store is unavailable; retry later",
                headers=RETRY_SOON,
            ) from error


def install(app: Flask, redis_url: str | None) -> None:
    app.extensions[STORE_KEY] = RedisStore(redis_url) if redis_url else MemoryStore()


def _store() -> Store:
    store: Store = current_app.extensions.setdefault(STORE_KEY, MemoryStore())
    return store


def _digest(*parts: str | bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
        sha.update(b"\x00")
    return sha.hexdigest()


def _replay(record: Record) -> Response:
    response = Response(record.body, status=record.status)
    for name, value in record.headers:
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _body() -> bytes:
    """The request body as sent; a form is read as a form, so the route can still parse it."""
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return json.dumps(sorted(request.form.items(multi=True))).encode()
    return request.get_data(cache=True)


def once(run: Callable[[], Any]) -> Response:
    """Run the route unless this Idempotency-Key was seen; see the module docstring."""
    key = inputs.idempotency_key()
    if key is None:
        return _as_response(run())
    store_key = KEY_PREFIX + _digest(principal_key(), request.method, request.path, key)
    fingerprint = _digest(request.query_string, request.mimetype, _body())
    store = _store()
    existing = store.claim(store_key, Record(fingerprint), IN_FLIGHT_SECONDS)
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise Problem(
                422,
                "this Idempotency-Key was used with a different request; use a new key",
                type="/problems/idempotency-key-reused",
                title="Idempotency-Key reused",
            )
        if existing.in_flight:
            raise Problem(
                409,
                "a request with this Idempotency-Key is still in progress; retry later",
                type="/problems/idempotency-in-flight",
                title="Request in progress",
                headers={"Retry-After": "1"},
            )
        return _replay(existing)
    try:
        response = _as_response(run())
    except BaseException:
        store.release(store_key)
        raise
    if response.status_code >= 500:
        store.release(store_key)
        return response
    kept = tuple((h, response.headers[h]) for h in KEPT_HEADERS if h in response.headers)
    store.save(
        store_key,
        Record(fingerprint, response.status_code, kept, response.get_data()),
        TTL_SECONDS,
    )
    return response


def _as_response(value: Any) -> Response:
    if isinstance(value, Response):
        return value
    made: Response = current_app.make_response(value)
    return made
