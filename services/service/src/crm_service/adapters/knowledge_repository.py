"""The knowledge base's storage: articles with their published versions (each written once),
feedback, and suggested answers. A stale version is a Conflict (ABORTED)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from crm_platform.errors import Conflict
from crm_platform.paging import Cursor
from sqlalchemy.orm import Session

from crm_service.adapters.orm import article_feedback, article_versions, articles, suggestions
from crm_service.domain.knowledge import (
    Article,
    ArticleText,
    Deflection,
    Feedback,
    PublishedVersion,
    Suggestion,
)


class SqlKnowledge:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._loaded: dict[UUID, tuple[int, int | None]] = {}  # id -> (version, published)

    # -- articles -------------------------------------------------------------------------------

    def get(self, article_id: UUID) -> Article | None:
        found = self.many([article_id])
        return found[0] if found else None

    def many(self, article_ids: builtins.list[UUID]) -> builtins.list[Article]:
        """In the order asked; ids of no article are left out."""
        if not article_ids:
            return []
        rows = self._select(articles.c.id.in_(article_ids))
        by_id = {article.id: article for article in rows}
        return [by_id[article_id] for article_id in article_ids if article_id in by_id]

    def list(
        self, published_only: bool, category: str, after: Cursor | None, limit: int
    ) -> builtins.list[Article]:
        conditions: builtins.list[sa.ColumnElement[bool]] = []
        if published_only:
            conditions.append(articles.c.published_number.is_not(None))
        if category:
            conditions.append(articles.c.category == category)
        if after is not None:
            created_at, article_id = after
            conditions.append(
                sa.tuple_(articles.c.created_at, articles.c.id)
                > sa.tuple_(
                    sa.literal(created_at, articles.c.created_at.type),
                    sa.literal(article_id, articles.c.id.type),
                )
            )
        return self._select(sa.and_(sa.true(), *conditions), limit)

    def add(self, article: Article) -> None:
        self.session.execute(sa.insert(articles).values(_values(article)))
        self._loaded[article.id] = (article.version, None)

    def save(self, article: Article) -> bool:
        """True when a new version was published by the change."""
        version, published = self._loaded[article.id]
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(articles)
            .where(articles.c.id == article.id, articles.c.version == version)
            .values(_values(article))
        )
        if result.rowcount != 1:
            raise Conflict(f"article {article.id} was changed concurrently; read it again")
        current = article.published
        new_version = current is not None and current.number != published
        if current is not None and new_version:
            self.session.execute(
                sa.insert(article_versions).values(
                    article_id=article.id,
                    number=current.number,
                    title=current.text.title,
                    body=current.text.body,
                    published_by=current.published_by,
                    published_at=current.published_at,
                )
            )
        self._loaded[article.id] = (article.version, None if current is None else current.number)
        return new_version

    def _select(self, condition: Any, limit: int | None = None) -> builtins.list[Article]:
        statement = (
            sa.select(
                articles,
                article_versions.c.title,
                article_versions.c.body,
                article_versions.c.published_by,
                article_versions.c.published_at,
            )
            .select_from(
                articles.outerjoin(
                    article_versions,
                    sa.and_(
                        article_versions.c.article_id == articles.c.id,
                        article_versions.c.number == articles.c.published_number,
                    ),
                )
            )
            .where(condition)
            .order_by(articles.c.created_at, articles.c.id)
        )
        if limit is not None:
            statement = statement.limit(limit)
        loaded = []
        for row in self.session.execute(statement):
            article = _article(row)
            self._loaded[article.id] = (article.version, row.published_number)
            loaded.append(article)
        return loaded

    # -- feedback -------------------------------------------------------------------------------

    def put_feedback(self, article_id: UUID, reader: str, helpful: bool, now: datetime) -> None:
        self.session.execute(
            sa.delete(article_feedback).where(
                article_feedback.c.article_id == article_id, article_feedback.c.reader == reader
            )
        )
        self.session.execute(
            sa.insert(article_feedback).values(
                article_id=article_id, reader=reader, helpful=helpful, created_at=now
            )
        )

    def feedback_of(self, article_ids: builtins.list[UUID]) -> dict[UUID, Feedback]:
        counts: dict[UUID, Feedback] = {}
        if article_ids:
            rows = self.session.execute(
                sa.select(
                    article_feedback.c.article_id,
                    sa.func.count().filter(article_feedback.c.helpful.is_(True)).label("yes"),
                    sa.func.count().filter(article_feedback.c.helpful.is_(False)).label("no"),
                )
                .where(article_feedback.c.article_id.in_(article_ids))
                .group_by(article_feedback.c.article_id)
            )
            counts = {row.article_id: Feedback(row.yes, row.no) for row in rows}
        return {article_id: counts.get(article_id, Feedback(0, 0)) for article_id in article_ids}

    # -- suggested answers ----------------------------------------------------------------------

    def add_suggestion(self, suggestion: Suggestion) -> None:
        self.session.execute(
            sa.insert(suggestions).values(
                id=suggestion.id,
                asked_by=suggestion.asked_by,
                customer_id=suggestion.customer_id,
                question=suggestion.question,
                article_ids=[str(article_id) for article_id in suggestion.article_ids],
                solved_by=suggestion.solved_by,
                solved_at=suggestion.solved_at,
                created_at=suggestion.created_at,
            )
        )

    def suggestion(self, suggestion_id: UUID) -> Suggestion | None:
        row = self.session.execute(
            sa.select(suggestions).where(suggestions.c.id == suggestion_id)
        ).first()
        if row is None:
            return None
        return Suggestion(
            id=row.id,
            asked_by=row.asked_by,
            customer_id=row.customer_id,
            question=row.question,
            article_ids=tuple(UUID(article_id) for article_id in row.article_ids),
            solved_by=row.solved_by,
            solved_at=row.solved_at,
            created_at=row.created_at,
        )

    def save_suggestion(self, suggestion: Suggestion) -> None:
        """Solved once: a second marking, even concurrent, is a Conflict."""
        result: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            sa.update(suggestions)
            .where(suggestions.c.id == suggestion.id, suggestions.c.solved_by.is_(None))
            .values(solved_by=suggestion.solved_by, solved_at=suggestion.solved_at)
        )
        if result.rowcount != 1:
            raise Conflict(f"suggestion {suggestion.id} was marked solved already")

    def deflection(self, since: datetime | None) -> Deflection:
        statement = sa.select(
            sa.func.count().label("asked"),
            sa.func.count(suggestions.c.solved_by).label("solved"),
        )
        if since is not None:
            statement = statement.where(suggestions.c.created_at >= since)
        row = self.session.execute(statement).one()
        return Deflection(suggestions=row.asked, solved=row.solved)


def _values(article: Article) -> dict[str, Any]:
    draft = article.draft
    return {
        "id": article.id,
        "category": article.category,
        "tags": list(article.tags),
        "draft_title": None if draft is None else draft.title,
        "draft_body": None if draft is None else draft.body,
        "published_number": None if article.published is None else article.published.number,
        "version": article.version,
        "created_by": article.created_by,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
    }


def _article(row: Any) -> Article:
    draft = None if row.draft_title is None else ArticleText(row.draft_title, row.draft_body)
    published = None
    if row.published_number is not None:
        published = PublishedVersion(
            number=row.published_number,
            text=ArticleText(row.title, row.body),
            published_by=row.published_by,
            published_at=row.published_at,
        )
    return Article(
        id=row.id,
        category=row.category,
        tags=tuple(row.tags),
        draft=draft,
        published=published,
        version=row.version,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
