"""The import and duplicate-review servicers: request -> handler -> response
(crm.customer.v1.CustomerImportService and DuplicateReviewService)."""

from __future__ import annotations

import grpc
from crm_platform import context, parsing
from crm_platform.context import current_correlation_id
from crm_platform.grpc_server import ServiceBinding
from crm_proto.crm.customer.v1 import imports_pb2, imports_pb2_grpc

from crm_customer.adapters.import_messages import import_to_proto, pair_to_proto
from crm_customer.domain.duplicates import DEFAULT_MIN_SCORE
from crm_customer.domain.values import ActorKind
from crm_customer.entrypoints.grpc_api import caller
from crm_customer.service_layer.duplicate_review import DuplicateReview, ListDuplicatePairs
from crm_customer.service_layer.import_jobs import (
    GetImport,
    ImportCaller,
    ImportHandlers,
    StartImport,
)

IMPORTS = imports_pb2.DESCRIPTOR.services_by_name["CustomerImportService"]
REVIEW = imports_pb2.DESCRIPTOR.services_by_name["DuplicateReviewService"]
SEES_EVERY_IMPORT = "admin"  # the role; machine clients too


class CustomerImportServicer(imports_pb2_grpc.CustomerImportServiceServicer):
    def __init__(self, handlers: ImportHandlers) -> None:
        self.handlers = handlers

    def StartImport(
        self, request: imports_pb2.StartImportRequest, context: grpc.ServicerContext
    ) -> imports_pb2.CustomerImport:
        job = self.handlers.start_import(
            StartImport(
                content=request.content,
                file_name=request.file_name,
                caller=import_caller(),
                correlation_id=current_correlation_id(),
            )
        )
        return import_to_proto(job)

    def GetImport(
        self, request: imports_pb2.GetImportRequest, context: grpc.ServicerContext
    ) -> imports_pb2.CustomerImport:
        job = self.handlers.get_import(GetImport(parsing.uuid(request.id, "id"), import_caller()))
        return import_to_proto(job)

    def GetImportRejections(
        self, request: imports_pb2.GetImportRejectionsRequest, context: grpc.ServicerContext
    ) -> imports_pb2.ImportRejections:
        text = self.handlers.rejected_rows(
            GetImport(parsing.uuid(request.id, "id"), import_caller())
        )
        return imports_pb2.ImportRejections(csv=text)


class DuplicateReviewServicer(imports_pb2_grpc.DuplicateReviewServiceServicer):
    def __init__(self, review: DuplicateReview) -> None:
        self.review = review

    def ListDuplicatePairs(
        self, request: imports_pb2.ListDuplicatePairsRequest, context: grpc.ServicerContext
    ) -> imports_pb2.ListDuplicatePairsResponse:
        page = self.review.list_pairs(
            ListDuplicatePairs(
                caller(),
                request.min_score or DEFAULT_MIN_SCORE,
                request.page.page_size,
                request.page.page_token,
            )
        )
        response = imports_pb2.ListDuplicatePairsResponse(
            pairs=[pair_to_proto(pair) for pair in page.items]
        )
        response.page.next_page_token = page.next_page_token
        return response


def import_caller() -> ImportCaller:
    principal = context.principal.get()
    actor = caller().actor
    sees_all = SEES_EVERY_IMPORT in principal.roles or actor.kind is not ActorKind.STAFF
    return ImportCaller(actor, sees_every_import=sees_all)


def bindings(handlers: ImportHandlers, review: DuplicateReview) -> list[ServiceBinding]:
    return [
        ServiceBinding(
            IMPORTS.full_name,
            CustomerImportServicer(handlers),
            imports_pb2_grpc.add_CustomerImportServiceServicer_to_server,
        ),
        ServiceBinding(
            REVIEW.full_name,
            DuplicateReviewServicer(review),
            imports_pb2_grpc.add_DuplicateReviewServiceServicer_to_server,
        ),
    ]
