"""The /api/v1 routes of the customer service's bulk work (rows that gateway.py serves, like
routes.py's): a CSV file imported as a job, its progress and rejected rows, and the
company-wide list of possible duplicates."""

from __future__ import annotations

from crm_proto.crm.customer.v1 import imports_pb2
from google.protobuf.descriptor import MethodDescriptor

from crm_portal.entrypoints.http.gateway import Route

IMPORTS = imports_pb2.DESCRIPTOR.services_by_name["CustomerImportService"]
REVIEW = imports_pb2.DESCRIPTOR.services_by_name["DuplicateReviewService"]
IMPORT = "/customers/imports/<uuid:import_id>"
IMPORT_ID = {"import_id": "the import's id"}
TAGS = ("customers",)
CSV = "text/csv"


def _imports(name: str) -> MethodDescriptor:
    return IMPORTS.methods_by_name[name]


IMPORT_ROUTES = (
    Route(
        "POST", "/customers/imports", _imports("StartImport"),
        summary="Import customers from a CSV file", answer="The import, pending", tags=TAGS,
        description="The body is the CSV file (`Content-Type: text/csv`, UTF-8), a header row "
        "naming the columns of `crm-customer import` (kind, name, email, phone, region, city, "
        "birth_date, gender, tags, preferences, source, owner_id); `file_name` in the query "
        "names it. A header naming another column is a 422 naming it. The importer then "
        "registers each row as a create would; follow it at the `Location`.",
        upload=("content", CSV), status=202, location="get_import",
    ),
    Route(
        "GET", IMPORT, _imports("GetImport"),
        summary="Follow an import", answer="Its progress: total, done, accepted, rejected",
        tags=TAGS, path={"import_id": "id"}, path_docs=IMPORT_ID,
        description="An import is its uploader's; an admin sees every one.",
    ),
    Route(
        "GET", f"{IMPORT}/rejected", _imports("GetImportRejections"),
        summary="Download an import's rejected rows",
        answer="CSV: line, reason, then the row as uploaded", tags=TAGS,
        path={"import_id": "id"}, path_docs=IMPORT_ID, text=("csv", CSV),
    ),
    Route(
        "GET", "/customers/duplicates", REVIEW.methods_by_name["ListDuplicatePairs"],
        summary="Possible duplicates across the company",
        answer="A page of pairs, the strongest first, each with why", tags=TAGS,
        description="Pairs of live customers scored as for `GET /customers/{id}/duplicates` "
        "(`min_score`, default 75), the older record first; merge one with "
        "`POST /customers/{first}/merge` and `merged_id` the second.",
    ),
)  # fmt: skip
