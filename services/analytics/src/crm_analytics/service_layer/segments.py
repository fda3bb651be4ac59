"""Commands and queries of rule segments: define, preview, change, delete, list members, and
recompute every segment on demand."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import FieldViolation, NotFound, ValidationFailed

from crm_analytics.domain.rule_segments import Segment, SegmentSnapshot
from crm_analytics.domain.rules import SegmentRule
from crm_analytics.service_layer import memberships
from crm_analytics.service_layer.ports import SegmentUnit


def utc_now() -> datetime:
    return datetime.now(UTC)


class SegmentHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], AbstractContextManager[SegmentUnit]],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def preview(self, rule: SegmentRule) -> int:
        with self.uow_factory() as uow:
            return uow.memberships.count_matching(rule, self._today())

    def create(
        self, created_by: str, *, name: str, description: str, rule: SegmentRule
    ) -> SegmentSnapshot:
        with self.uow_factory() as uow:
            segment = Segment.define(
                name=name, description=description, rule=rule, created_by=created_by,
                at=self.clock(),
            )  # fmt: skip
            uow.segments.add(segment)
            count = uow.memberships.populate(segment.id, rule, self._today())
            segment.created(count)
            uow.commit()
            return segment.snapshot(count)

    def get(self, segment_id: UUID) -> SegmentSnapshot:
        with self.uow_factory() as uow:
            segment = self._segment(uow, segment_id)
            return segment.snapshot(uow.memberships.count(segment.id))

    def list(self, page_size: int, page_token: str) -> paging.Page[SegmentSnapshot]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.segments.newest_first(after, limit + 1)
            page = paging.page_of(rows, limit, lambda s: (s.created_at, s.id))
            return paging.Page(
                [s.snapshot(uow.memberships.count(s.id)) for s in page.items],
                page.next_page_token,
            )

    def update(
        self,
        segment_id: UUID,
        fields: frozenset[str],
        *,
        expected_version: int,
        name: str,
        description: str,
        rule: SegmentRule | None,
    ) -> SegmentSnapshot:
        with self.uow_factory() as uow:
            segment = self._segment(uow, segment_id, for_update=True)
            changed = segment.change(
                fields, expected_version=expected_version, at=self.clock(), name=name,
                description=description, rule=rule,
            )  # fmt: skip
            if changed:
                uow.segments.save(segment)
            if "rule" in changed:
                memberships.refresh_segment(uow, segment, None, self._today())
            count = uow.memberships.count(segment.id)
            segment.updated(changed, count)
            uow.commit()
            return segment.snapshot(count)

    def delete(self, segment_id: UUID, expected_version: int) -> None:
        with self.uow_factory() as uow:
            segment = self._segment(uow, segment_id, for_update=True)
            segment.delete(expected_version)
            uow.memberships.drop(segment.id)
            uow.segments.remove(segment)
            uow.commit()

    def members(self, segment_id: UUID, page_size: int, page_token: str) -> paging.Page[str]:
        limit = paging.page_size(page_size)
        after = _member_cursor(page_token)
        with self.uow_factory() as uow:
            self._segment(uow, segment_id)
            ids = uow.memberships.page(segment_id, after, limit + 1)
        if len(ids) <= limit:
            return paging.Page(ids, "")
        return paging.Page(ids[:limit], paging.encode_token([ids[limit - 1]]))

    def recompute(self) -> int:
        """Every segment's rule applied to everyone again (ages and days move with the date
        alone); the number of joins and leaves, each published."""
        changes = 0
        with self.uow_factory() as uow:
            every = [s.id for s in uow.segments.every()]
        for segment_id in every:
            with self.uow_factory() as uow:
                segment = uow.segments.get(segment_id, for_update=True)
                if segment is not None:
                    changes += memberships.refresh_segment(uow, segment, None, self._today())
                    uow.commit()
        return changes

    def _today(self) -> date:
        return self.clock().astimezone(UTC).date()

    @staticmethod
    def _segment(uow: SegmentUnit, segment_id: UUID, *, for_update: bool = False) -> Segment:
        segment = uow.segments.get(segment_id, for_update=for_update)
        if segment is None:
            raise NotFound(f"no segment {segment_id}")
        return segment


def _member_cursor(token: str) -> str | None:
    key = paging.decode_token(token)
    if key is None:
        return None
    if len(key) != 1 or not isinstance(key[0], str):
        raise ValidationFailed(
            FieldViolation("page.page_token", "is not a token this service issued")
        )
    return key[0]
