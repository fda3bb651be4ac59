"""Knowledge base use cases: agents and managers write and publish articles; everyone reads
the published ones and searches them; a portal customer's question gets suggested answers
before they open a case, and the one that solved it is recorded (the deflection rate);
readers say whether an article helped. A customer never sees a draft: an article never
published is NOT_FOUND to them."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from crm_platform import paging
from crm_platform.errors import Conflict, NotFound, PermissionDenied
from crm_platform.paging import Page

from crm_service.domain.knowledge import (
    Article,
    ArticleText,
    Deflection,
    Feedback,
    Suggestion,
    checked_question,
    search_terms,
)
from crm_service.domain.values import Actor
from crm_service.service_layer.ports import UnitOfWork

SUGGESTIONS = 5  # articles suggested for a question
SEARCH_LIMIT_MAX = 50


@dataclass(frozen=True)
class ArticleView:
    """An article as a reader gets it: with its feedback, and (staff) its draft."""

    article: Article
    feedback: Feedback
    rank: float = 0.0


class KnowledgeHandlers:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    # -- writing --------------------------------------------------------------------------------

    def write(
        self, actor: Actor, *, text: ArticleText, category: str, tags: list[str]
    ) -> ArticleView:
        article = Article.write(
            actor, id=uuid.uuid4(), text=text, category=category, tags=tags, now=self.clock()
        )
        with self.uow_factory() as uow:
            uow.knowledge.add(article)
            uow.commit()
        return ArticleView(article, Feedback(0, 0))

    def edit(
        self,
        actor: Actor,
        article_id: UUID,
        expected_version: int,
        *,
        text: ArticleText,
        category: str,
        tags: list[str],
    ) -> ArticleView:
        def edit(article: Article, now: datetime) -> None:
            article.edit(actor, now, text=text, category=category, tags=tags)

        return self._change(actor, article_id, expected_version, edit)

    def publish(self, actor: Actor, article_id: UUID, expected_version: int) -> ArticleView:
        return self._change(
            actor, article_id, expected_version, lambda article, now: article.publish(actor, now)
        )

    def _change(
        self,
        actor: Actor,
        article_id: UUID,
        expected_version: int,
        change: Callable[[Article, datetime], object],
    ) -> ArticleView:
        with self.uow_factory() as uow:
            article = _readable(uow, actor, article_id)
            if expected_version and expected_version != article.version:
                raise Conflict(
                    f"article {article_id} is at version {article.version}, not {expected_version}"
                )
            change(article, self.clock())
            if uow.knowledge.save(article):
                uow.search.index(article)
            feedback = uow.knowledge.feedback_of([article.id])[article.id]
            uow.commit()
        return ArticleView(article, feedback)

    # -- reading --------------------------------------------------------------------------------

    def get(self, actor: Actor, article_id: UUID) -> ArticleView:
        with self.uow_factory() as uow:
            article = _readable(uow, actor, article_id)
            return ArticleView(article, uow.knowledge.feedback_of([article.id])[article.id])

    def list(
        self, actor: Actor, *, category: str, page_size: int, page_token: str
    ) -> Page[ArticleView]:
        limit = paging.page_size(page_size)
        after = paging.decode_cursor(page_token)
        with self.uow_factory() as uow:
            rows = uow.knowledge.list(
                not actor.is_agent, category.strip().lower(), after, limit + 1
            )
            feedback = uow.knowledge.feedback_of([article.id for article in rows])
        page = paging.page_of(rows, limit, lambda article: (article.created_at, article.id))
        return Page(
            [ArticleView(article, feedback[article.id]) for article in page.items],
            page.next_page_token,
        )

    def search(
        self, actor: Actor, query: str, *, category: str = "", limit: int = 10
    ) -> builtins.list[ArticleView]:
        """The published articles matching any word of `query`, best first."""
        limit = min(max(limit, 1), SEARCH_LIMIT_MAX)
        with self.uow_factory() as uow:
            return _found(uow, search_terms(query), category.strip().lower(), limit)

    # -- self-service ---------------------------------------------------------------------------

    def suggest(self, actor: Actor, question: str) -> tuple[Suggestion, builtins.list[ArticleView]]:
        """The best matching articles for a question, recorded so the customer can say which
        one solved it."""
        text = checked_question(question)
        with self.uow_factory() as uow:
            found = _found(uow, search_terms(text), "", SUGGESTIONS)
            suggestion = Suggestion(
                id=uuid.uuid4(),
                asked_by=actor.subject,
                customer_id=actor.customer_id,
                question=text,
                article_ids=tuple(view.article.id for view in found),
                solved_by=None,
                solved_at=None,
                created_at=self.clock(),
            )
            uow.knowledge.add_suggestion(suggestion)
            uow.commit()
        return suggestion, found

    def solve(self, actor: Actor, suggestion_id: UUID, article_id: UUID) -> Suggestion:
        with self.uow_factory() as uow:
            suggestion = uow.knowledge.suggestion(suggestion_id)
            if suggestion is None or suggestion.asked_by != actor.subject:
                raise NotFound(f"no suggestion {suggestion_id}")
            suggestion.solve(actor, article_id, self.clock())
            uow.knowledge.save_suggestion(suggestion)
            uow.commit()
        return suggestion

    def rate(self, actor: Actor, article_id: UUID, helpful: bool) -> ArticleView:
        with self.uow_factory() as uow:
            article = _readable(uow, actor, article_id)
            if not article.is_published:
                raise NotFound(f"no article {article_id}")
            uow.knowledge.put_feedback(article.id, actor.subject, helpful, self.clock())
            feedback = uow.knowledge.feedback_of([article.id])[article.id]
            uow.commit()
        return ArticleView(article, feedback)

    def deflection(self, actor: Actor, since: datetime | None) -> Deflection:
        if actor.is_customer:
            raise PermissionDenied("the deflection rate is for staff")
        with self.uow_factory() as uow:
            return uow.knowledge.deflection(since)


def _readable(uow: UnitOfWork, actor: Actor, article_id: UUID) -> Article:
    """Staff read every article; anyone else only a published one."""
    article = uow.knowledge.get(article_id)
    if article is None or not (actor.is_agent or article.is_published):
        raise NotFound(f"no article {article_id}")
    return article


def _found(
    uow: UnitOfWork, terms: builtins.list[str], category: str, limit: int
) -> builtins.list[ArticleView]:
    hits = uow.search.search(terms, category, limit)
    ranks = dict(hits)
    found = [article for article in uow.knowledge.many([h[0] for h in hits]) if article.published]
    feedback = uow.knowledge.feedback_of([article.id for article in found])
    return [ArticleView(article, feedback[article.id], ranks[article.id]) for article in found]
