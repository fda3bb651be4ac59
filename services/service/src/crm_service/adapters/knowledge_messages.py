"""Knowledge-base articles and suggested answers <-> their protobuf messages
(knowledge.proto)."""

from __future__ import annotations

from crm_platform.parsing import timestamp
from crm_proto.crm.service.v1 import knowledge_pb2

from crm_service.domain.knowledge import Deflection, Suggestion
from crm_service.domain.values import Actor
from crm_service.service_layer.knowledge import ArticleView


def article_to_proto(view: ArticleView, viewer: Actor) -> knowledge_pb2.Article:
    """The article as `viewer` reads it: staff with its draft, anyone else without."""
    article = view.article
    message = knowledge_pb2.Article(
        id=str(article.id),
        category=article.category,
        tags=list(article.tags),
        helpful_count=view.feedback.helpful,
        unhelpful_count=view.feedback.unhelpful,
        version=article.version,
        created_by=article.created_by if viewer.is_agent else "",  # staff ids stay inside
        created_at=timestamp(article.created_at),
        updated_at=timestamp(article.updated_at),
        rank=view.rank,
    )
    published = article.published
    if published is not None:
        message.title, message.body = published.text.title, published.text.body
        message.published_version = published.number
        message.published_at.CopyFrom(timestamp(published.published_at))
    if viewer.is_agent and article.draft is not None:
        message.has_draft = True
        message.draft_title, message.draft_body = article.draft.title, article.draft.body
    return message


def suggestion_to_proto(
    suggestion: Suggestion, articles: list[ArticleView], viewer: Actor
) -> knowledge_pb2.SuggestedAnswers:
    message = knowledge_pb2.SuggestedAnswers(
        id=str(suggestion.id),
        question=suggestion.question,
        articles=[article_to_proto(view, viewer) for view in articles],
        solved_by="" if suggestion.solved_by is None else str(suggestion.solved_by),
    )
    if suggestion.solved_at is not None:
        message.solved_at.CopyFrom(timestamp(suggestion.solved_at))
    return message


def deflection_to_proto(deflection: Deflection) -> knowledge_pb2.DeflectionRate:
    return knowledge_pb2.DeflectionRate(
        suggestions=deflection.suggestions, solved=deflection.solved, rate=deflection.rate
    )
