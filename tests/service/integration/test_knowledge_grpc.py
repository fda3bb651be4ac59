"""The knowledge base over real gRPC on PostgreSQL (tsvector, ts_rank) and SQLite (FTS5,
bm25): both rank the better match first; customers read and find only published versions,
never a draft; suggested answers, "this solved it" once, the deflection rate, and feedback."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from crm_platform.grpc_errors import details_of
from crm_platform.testing.tokens import customer_token, staff_token
from crm_proto.crm.service.v1 import knowledge_pb2, knowledge_pb2_grpc

from tests.service.integration.test_cases_grpc import AGENT, CUSTOMER, call, refused

pytestmark = pytest.mark.integration

K = knowledge_pb2
ANALYST = staff_token("analyst", subject="analyst-1")
OTHER_CUSTOMER = customer_token(str(uuid.uuid4()))


def published(
    knowledge: knowledge_pb2_grpc.KnowledgeServiceStub, title: str, body: str, **fields: Any
) -> K.Article:
    draft = call(
        knowledge.CreateArticle, K.CreateArticleRequest(title=title, body=body, **fields), AGENT
    )
    return call(knowledge.PublishArticle, K.PublishArticleRequest(id=draft.id), AGENT)


def test_both_adapters_rank_the_better_match_first(
    knowledge: knowledge_pb2_grpc.KnowledgeServiceStub,
) -> None:
    delivery = published(
        knowledge, "Delivery times", "Large items such as a sofa arrive within ten days."
    )
    repair = published(
        knowledge, "Repairing a broken sofa leg",
        "If a sofa leg breaks, we send a technician to repair the broken leg.",
        category="Furniture", tags=["repairs", "sofa"],
    )  # fmt: skip
    published(knowledge, "Paying by invoice", "Invoices are due within thirty days.")

    found = call(
        knowledge.ListMatchingArticles,
        K.ListMatchingArticlesRequest(query="broken sofa leg"),
        CUSTOMER,
    )

    assert [article.id for article in found.articles] == [repair.id, delivery.id]
    assert found.articles[0].rank > found.articles[1].rank
    in_category = call(
        knowledge.ListMatchingArticles,
        K.ListMatchingArticlesRequest(query="sofa", category="furniture"),
        CUSTOMER,
    )
    assert [article.id for article in in_category.articles] == [repair.id]
    # operators of the query languages are just words here
    odd = call(
        knowledge.ListMatchingArticles,
        K.ListMatchingArticlesRequest(query='sofa" OR -leg* (NEAR'),
        CUSTOMER,
    )
    assert repair.id in [article.id for article in odd.articles]


def test_customers_never_see_a_draft(knowledge: knowledge_pb2_grpc.KnowledgeServiceStub) -> None:
    draft = call(
        knowledge.CreateArticle,
        K.CreateArticleRequest(title="Warranty on sofas", body="Two years on every sofa."),
        AGENT,
    )
    assert (draft.has_draft, draft.published_version, draft.title) == (True, 0, "")
    missing = refused(knowledge.GetArticle, K.GetArticleRequest(id=draft.id), CUSTOMER)
    assert missing.code() is grpc.StatusCode.NOT_FOUND
    hits = call(
        knowledge.ListMatchingArticles, K.ListMatchingArticlesRequest(query="warranty"), CUSTOMER
    )
    assert list(hits.articles) == []

    first = call(knowledge.PublishArticle, K.PublishArticleRequest(id=draft.id), AGENT)
    edited = call(
        knowledge.UpdateArticle,
        K.UpdateArticleRequest(
            id=draft.id, title="Warranty on sofas and chairs", body="Three years now.",
            expected_version=first.version,
        ),
        AGENT,
    )  # fmt: skip
    assert (edited.title, edited.draft_title) == (
        "Warranty on sofas",
        "Warranty on sofas and chairs",
    )
    seen = call(knowledge.GetArticle, K.GetArticleRequest(id=draft.id), CUSTOMER)
    assert (seen.title, seen.body, seen.has_draft, seen.draft_body) == (
        "Warranty on sofas", "Two years on every sofa.", False, "",
    )  # fmt: skip
    assert [
        a.id for a in call(knowledge.ListArticles, K.ListArticlesRequest(), CUSTOMER).articles
    ] == [draft.id]
    stale = K.PublishArticleRequest(id=draft.id, expected_version=first.version)
    assert refused(knowledge.PublishArticle, stale, AGENT).code() is grpc.StatusCode.ABORTED

    second = call(knowledge.PublishArticle, K.PublishArticleRequest(id=draft.id), AGENT)
    assert (second.published_version, second.title, second.has_draft) == (
        2, "Warranty on sofas and chairs", False,
    )  # fmt: skip
    again = refused(knowledge.PublishArticle, K.PublishArticleRequest(id=draft.id), AGENT)
    assert again.code() is grpc.StatusCode.FAILED_PRECONDITION
    chairs = call(
        knowledge.ListMatchingArticles, K.ListMatchingArticlesRequest(query="chairs"), CUSTOMER
    )
    assert [article.id for article in chairs.articles] == [draft.id]


def test_only_service_staff_write_and_bad_input_names_its_fields(
    knowledge: knowledge_pb2_grpc.KnowledgeServiceStub,
) -> None:
    request = K.CreateArticleRequest(title="Opening hours", body="We open at nine.")
    for token in (CUSTOMER, ANALYST):
        assert (
            refused(knowledge.CreateArticle, request, token).code()
            is grpc.StatusCode.PERMISSION_DENIED
        )
    bad = refused(knowledge.CreateArticle, K.CreateArticleRequest(title=" ", body=""), AGENT)
    assert bad.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(v.field for v in details_of(bad).violations) == ["body", "title"]
    assert list(call(knowledge.ListArticles, K.ListArticlesRequest(), AGENT).articles) == []


def test_a_suggested_answer_solves_the_question_once_and_counts_as_deflected(
    knowledge: knowledge_pb2_grpc.KnowledgeServiceStub,
) -> None:
    article = published(knowledge, "Resetting your password", "Use the link on the login page.")
    suggested = call(
        knowledge.SuggestAnswers,
        K.SuggestAnswersRequest(question="How do I reset my password?"),
        CUSTOMER,
    )
    assert [answer.id for answer in suggested.articles] == [article.id]
    unanswered = call(
        knowledge.SuggestAnswers, K.SuggestAnswersRequest(question="Where is my parcel"), CUSTOMER
    )
    assert list(unanswered.articles) == []

    mark = K.MarkSolvedRequest(suggestion_id=suggested.id, article_id=article.id)
    assert refused(knowledge.MarkSolved, mark, OTHER_CUSTOMER).code() is grpc.StatusCode.NOT_FOUND
    solved = call(knowledge.MarkSolved, mark, CUSTOMER)
    assert solved.solved_by == article.id
    twice = refused(knowledge.MarkSolved, mark, CUSTOMER)
    assert twice.code() is grpc.StatusCode.FAILED_PRECONDITION

    rate = call(knowledge.GetDeflectionRate, K.GetDeflectionRateRequest(), ANALYST)
    assert (rate.suggestions, rate.solved, rate.rate) == (2, 1, 0.5)
    denied = refused(knowledge.GetDeflectionRate, K.GetDeflectionRateRequest(), CUSTOMER)
    assert denied.code() is grpc.StatusCode.PERMISSION_DENIED

    call(knowledge.RateArticle, K.RateArticleRequest(id=article.id, helpful=False), CUSTOMER)
    call(knowledge.RateArticle, K.RateArticleRequest(id=article.id, helpful=True), CUSTOMER)
    rated = call(
        knowledge.RateArticle, K.RateArticleRequest(id=article.id, helpful=False), OTHER_CUSTOMER
    )
    assert (rated.helpful_count, rated.unhelpful_count) == (1, 1)
