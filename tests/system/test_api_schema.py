"""The whole REST API against its own OpenAPI document, through real processes: schemathesis
generates requests for every operation in /openapi.json and checks that no answer is a 5xx
and that every answer (status, content type, headers, body) is what the document says.

The example count is small so the run fits in `make test`; raise API_SCHEMA_EXAMPLES locally
for a deeper run.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.system.stack import Stack

pytestmark = pytest.mark.system

EXAMPLES = int(os.environ.get("API_SCHEMA_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def admin_token(stack: Stack) -> str:
    """The bootstrap admin's access token: every operation is open to them."""
    return stack.admin_token()


@pytest.fixture(scope="module")
def api_schema(stack: Stack) -> BaseSchema:
    schema: BaseSchema = schemathesis.openapi.from_url(f"{stack.api}/openapi.json")
    return schema


def test_every_operation_answers_as_documented(
    api_schema: BaseSchema, stack: Stack, admin_token: str
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures: dict[str, str] = {}
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15  # the customer, analytics, identity and meta routes

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def answers_as_documented(case: Case) -> None:
            response = case.call_and_validate(
                base_url=stack.api, headers=headers, checks=CHECKS, timeout=10
            )
            statuses[case.operation.label][response.status_code] += 1

        try:
            answers_as_documented()
        except Exception as failure:
            failures[operation.label] = str(failure)[:3000]

    print({label: dict(counts) for label, counts in statuses.items()})
    # the admin's token works: the run exercised the routes, not only their 401s
    assert statuses["GET /api/v1/customers"][200] > 0
    assert statuses["GET /api/v1/analytics/segments/demographics"][200] > 0
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
