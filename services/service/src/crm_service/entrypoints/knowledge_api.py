"""The KnowledgeService servicer: request -> handler -> response (knowledge.proto)."""

from __future__ import annotations

import grpc
from crm_platform import parsing
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.service.v1 import knowledge_pb2, knowledge_pb2_grpc

from crm_service.adapters.knowledge_messages import (
    article_to_proto,
    deflection_to_proto,
    suggestion_to_proto,
)
from crm_service.domain.knowledge import ArticleText
from crm_service.entrypoints.actors import caller
from crm_service.service_layer.knowledge import KnowledgeHandlers

SERVICE = knowledge_pb2.DESCRIPTOR.services_by_name["KnowledgeService"]
DEFAULT_SEARCH_LIMIT = 10


class KnowledgeServicer(knowledge_pb2_grpc.KnowledgeServiceServicer):
    def __init__(self, knowledge: KnowledgeHandlers) -> None:
        self.knowledge = knowledge

    def CreateArticle(
        self, request: knowledge_pb2.CreateArticleRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.Article:
        actor = caller()
        view = self.knowledge.write(
            actor,
            text=ArticleText(request.title, request.body),
            category=request.category,
            tags=list(request.tags),
        )
        return article_to_proto(view, actor)

    def UpdateArticle(
        self, request: knowledge_pb2.UpdateArticleRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.Article:
        actor = caller()
        view = self.knowledge.edit(
            actor,
            parsing.uuid(request.id, "id"),
            request.expected_version,
            text=ArticleText(request.title, request.body),
            category=request.category,
            tags=list(request.tags),
        )
        return article_to_proto(view, actor)

    def PublishArticle(
        self, request: knowledge_pb2.PublishArticleRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.Article:
        actor = caller()
        article_id = parsing.uuid(request.id, "id")
        view = self.knowledge.publish(actor, article_id, request.expected_version)
        return article_to_proto(view, actor)

    def GetArticle(
        self, request: knowledge_pb2.GetArticleRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.Article:
        actor = caller()
        return article_to_proto(self.knowledge.get(actor, parsing.uuid(request.id, "id")), actor)

    def ListArticles(
        self, request: knowledge_pb2.ListArticlesRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.ListArticlesResponse:
        actor = caller()
        page = self.knowledge.list(
            actor,
            category=request.category,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = knowledge_pb2.ListArticlesResponse(
            articles=[article_to_proto(view, actor) for view in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response

    def ListMatchingArticles(
        self, request: knowledge_pb2.ListMatchingArticlesRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.ListMatchingArticlesResponse:
        actor = caller()
        found = self.knowledge.search(
            actor,
            request.query,
            category=request.category,
            limit=request.limit or DEFAULT_SEARCH_LIMIT,
        )
        return knowledge_pb2.ListMatchingArticlesResponse(
            articles=[article_to_proto(view, actor) for view in found]
        )

    def SuggestAnswers(
        self, request: knowledge_pb2.SuggestAnswersRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.SuggestedAnswers:
        actor = caller()
        suggestion, found = self.knowledge.suggest(actor, request.question)
        return suggestion_to_proto(suggestion, found, actor)

    def MarkSolved(
        self, request: knowledge_pb2.MarkSolvedRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.SuggestedAnswers:
        actor = caller()
        suggestion = self.knowledge.solve(
            actor,
            parsing.uuid(request.suggestion_id, "suggestion_id"),
            parsing.uuid(request.article_id, "article_id"),
        )
        return suggestion_to_proto(suggestion, [], actor)

    def RateArticle(
        self, request: knowledge_pb2.RateArticleRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.Article:
        actor = caller()
        view = self.knowledge.rate(actor, parsing.uuid(request.id, "id"), request.helpful)
        return article_to_proto(view, actor)

    def GetDeflectionRate(
        self, request: knowledge_pb2.GetDeflectionRateRequest, context: grpc.ServicerContext
    ) -> knowledge_pb2.DeflectionRate:
        actor = caller()
        since = parsing.optional_time(request, "since")
        return deflection_to_proto(self.knowledge.deflection(actor, since))


def binding(knowledge: KnowledgeHandlers) -> ServiceBinding:
    return ServiceBinding(
        SERVICE.full_name,
        KnowledgeServicer(knowledge),
        knowledge_pb2_grpc.add_KnowledgeServiceServicer_to_server,
    )
