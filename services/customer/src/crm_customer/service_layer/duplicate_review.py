"""The company-wide duplicate review: pairs of live records that might be one party, the
strongest first, a page at a time; each pair is merged with the merge every record has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crm_platform import paging
from crm_platform.errors import FieldViolation, ValidationFailed
from crm_platform.paging import Page

from crm_customer.domain.duplicates import duplicate_pairs
from crm_customer.domain.model import Customer
from crm_customer.service_layer.access import Caller
from crm_customer.service_layer.ports import UnitOfWork


@dataclass(frozen=True)
class ListDuplicatePairs:
    caller: Caller
    min_score: int
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class DuplicatePair:
    first: Customer
    second: Customer
    score: int
    reasons: tuple[str, ...]


class DuplicateReview:
    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.uow_factory = uow_factory

    def list_pairs(self, query: ListDuplicatePairs) -> Page[DuplicatePair]:
        query.caller.ensure_unrestricted("review duplicates")
        limit = paging.page_size(query.page_size)
        after = _position(query.page_token)
        with self.uow_factory() as uow:
            pairs = duplicate_pairs(uow.parties.live(), min_score=query.min_score)
            if after is not None:
                pairs = [pair for pair in pairs if pair.sort_key > after]
            shown = pairs[:limit]
            found = [
                DuplicatePair(first, second, pair.score, pair.reasons)
                for pair in shown
                if (first := uow.customers.get(pair.first)) is not None
                and (second := uow.customers.get(pair.second)) is not None
            ]
        token = paging.encode_token(list(shown[-1].sort_key)) if len(pairs) > limit else ""
        return Page(found, token)


def _position(token: str) -> tuple[int, str, str] | None:
    key = paging.decode_token(token)
    if key is None:
        return None
    if len(key) != 3 or not isinstance(key[0], int) or not all(isinstance(k, str) for k in key[1:]):
        raise ValidationFailed(
            FieldViolation("page.page_token", "is not a token this service issued")
        )
    return (key[0], key[1], key[2])
