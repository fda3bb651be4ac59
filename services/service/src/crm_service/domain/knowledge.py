"""The knowledge base: articles the service staff write for customers to help themselves.

An article has a category and tags, a draft and its published versions. Publishing makes the
draft the next version, the one customers read; editing a published article makes a new draft
beside it, which customers never see until it is published in turn. Before a portal customer
opens a case, their question gets the best matching articles as suggested answers; the
customer saying one solved it is a deflected case (the deflection rate: solved suggestions
over all). Pure Python; times are UTC and passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_platform.errors import (
    FailedPrecondition,
    FieldViolation,
    PermissionDenied,
    ValidationFailed,
)

from crm_service.domain.values import Actor

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 50000
CATEGORY_MAX_LENGTH = 100
TAG_MAX_LENGTH = 50
MAX_TAGS = 20
QUESTION_MAX_LENGTH = 2000


@dataclass(frozen=True)
class ArticleText:
    title: str
    body: str

    def checked(self) -> ArticleText:
        title, body = " ".join(self.title.split()), self.body.strip()
        violations = []
        if not title or len(title) > TITLE_MAX_LENGTH:
            violations.append(
                FieldViolation("title", f"must be 1 to {TITLE_MAX_LENGTH} characters")
            )
        if not body or len(body) > BODY_MAX_LENGTH:
            violations.append(FieldViolation("body", f"must be 1 to {BODY_MAX_LENGTH} characters"))
        if violations:
            raise ValidationFailed(violations)
        return ArticleText(title, body)


@dataclass(frozen=True)
class PublishedVersion:
    number: int  # 1, 2, ...
    text: ArticleText
    published_by: str
    published_at: datetime


@dataclass
class Article:
    id: UUID
    category: str
    tags: tuple[str, ...]  # sorted lowercase
    draft: ArticleText | None  # None: nothing unpublished
    published: PublishedVersion | None  # the current version customers read
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def write(
        cls,
        actor: Actor,
        *,
        id: UUID,
        text: ArticleText,
        category: str,
        tags: list[str],
        now: datetime,
    ) -> Article:
        _writer(actor)
        category, tags_checked = _filed(category, tags)
        return cls(id, category, tags_checked, text.checked(), None, 1, actor.subject, now, now)

    @property
    def is_published(self) -> bool:
        return self.published is not None

    def edit(
        self, actor: Actor, now: datetime, *, text: ArticleText, category: str, tags: list[str]
    ) -> None:
        """A new draft (the published version stays what customers read)."""
        _writer(actor)
        self.category, self.tags = _filed(category, tags)
        self.draft = text.checked()
        self._changed(now)

    def publish(self, actor: Actor, now: datetime) -> PublishedVersion:
        _writer(actor)
        if self.draft is None:
            raise FailedPrecondition("the article has no draft to publish")
        number = 1 if self.published is None else self.published.number + 1
        self.published = PublishedVersion(number, self.draft, actor.subject, now)
        self.draft = None
        self._changed(now)
        return self.published

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def _writer(actor: Actor) -> None:
    if not actor.is_agent:
        raise PermissionDenied("only service agents and managers write articles")


def _filed(category: str, tags: list[str]) -> tuple[str, tuple[str, ...]]:
    category = " ".join(category.split()).lower()
    cleaned = sorted({" ".join(tag.split()).lower() for tag in tags} - {""})
    violations = []
    if len(category) > CATEGORY_MAX_LENGTH:
        violations.append(
            FieldViolation("category", f"must be at most {CATEGORY_MAX_LENGTH} characters")
        )
    if len(cleaned) > MAX_TAGS or any(len(tag) > TAG_MAX_LENGTH for tag in cleaned):
        violations.append(
            FieldViolation("tags", f"at most {MAX_TAGS} tags of {TAG_MAX_LENGTH} characters")
        )
    if violations:
        raise ValidationFailed(violations)
    return category, tuple(cleaned)


def checked_question(question: str) -> str:
    text = " ".join(question.split())
    if not text or len(text) > QUESTION_MAX_LENGTH:
        raise ValidationFailed(
            FieldViolation("question", f"must be 1 to {QUESTION_MAX_LENGTH} characters")
        )
    return text


def search_terms(text: str) -> list[str]:
    """The words of a question or query, for either search adapter: letters and digits only
    (their query languages' operators never come from the customer's text)."""
    words = "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()
    return list(dict.fromkeys(words))[:32]


@dataclass
class Suggestion:
    """The articles a customer's question was answered with, and the one that solved it."""

    id: UUID
    asked_by: str
    customer_id: UUID | None
    question: str
    article_ids: tuple[UUID, ...]
    solved_by: UUID | None
    solved_at: datetime | None
    created_at: datetime

    def solve(self, actor: Actor, article_id: UUID, now: datetime) -> None:
        if actor.subject != self.asked_by:
            raise PermissionDenied("only who asked marks their question solved")
        if article_id not in self.article_ids:
            raise ValidationFailed(
                FieldViolation("article_id", "is not one of the suggested articles")
            )
        if self.solved_by is not None:
            raise FailedPrecondition("the question is marked solved already")
        self.solved_by, self.solved_at = article_id, now


@dataclass(frozen=True)
class Deflection:
    suggestions: int
    solved: int

    @property
    def rate(self) -> float:
        return 0.0 if not self.suggestions else self.solved / self.suggestions


@dataclass(frozen=True)
class Feedback:
    helpful: int
    unhelpful: int
