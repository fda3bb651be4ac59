"""The OpenAPI document covers every route, is valid, matches what the routes answer; the docs
page is served from the package's own files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from crm_portal.entrypoints.http import openapi, operations
from crm_portal.entrypoints.http.observability import route_template
from flask import Flask
from flask.testing import FlaskClient

# The OpenAPI 3.1 meta-schema as the API fuzzer (a development dependency) ships it
from schemathesis.specs.openapi.definitions import OPENAPI_31

from tests.portal.unit.fakes import CUSTOMER_ID

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in refs(item)]
    return []


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    errors = list(jsonschema.Draft202012Validator(OPENAPI_31).iter_errors(document))
    assert [e.message for e in errors] == []


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def test_every_route_is_declared_and_documented(app: Flask, document: dict[str, Any]) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        declared = operations.of(app.view_functions[rule.endpoint])
        assert declared is not None, f"{rule.rule} is not declared with operation()"
        if not declared.documented:
            continue
        path = document["paths"][route_template(rule.rule)]
        for method in (rule.methods or set()) - IGNORED_METHODS:
            assert method.lower() in path, f"{method} {rule.rule}"


def answer_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    ref = content["application/json"]["schema"]["$ref"].removeprefix("#/components/schemas/")
    schema: dict[str, Any] = document["components"]["schemas"][ref]
    return schema


def test_messages_of_one_name_in_two_services_are_two_schemas(document: dict[str, Any]) -> None:
    sales = answer_schema(document, "/api/v1/sales/teams")  # a page of sales teams
    service = answer_schema(document, "/api/v1/service/teams")  # service's: one list

    assert set(sales["properties"]) == {"items", "next_page_token"}
    assert set(service["properties"]) == {"teams"}


def test_customer_and_analytics_routes_are_in_the_document(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert set(paths["/api/v1/customers"]) == {"get", "post"}
    assert set(paths["/api/v1/customers/{customer_id}"]) == {"get", "patch"}
    assert "put" in paths["/api/v1/customers/{customer_id}/consents/{channel}"]
    assert "get" in paths["/api/v1/analytics/segments/demographics"]
    assert {"/healthz", "/readyz", "/openapi.json"} <= set(paths)
    assert "/docs" not in paths


def test_requests_use_the_models_that_validate_them(document: dict[str, Any]) -> None:
    create = document["paths"]["/api/v1/customers"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CreateCustomerBody"}
    schema = document["components"]["schemas"]["CreateCustomerBody"]
    assert schema["additionalProperties"] is False
    # the limits are the proto's rules, the ones the service checks too
    assert schema["properties"]["tags"]["maxItems"] == 50
    assert schema["properties"]["tags"]["items"]["maxLength"] == 50
    assert schema["properties"]["owner_id"]["format"] == "uuid"
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]

    listing = document["paths"]["/api/v1/customers"]["get"]
    query = {p["name"]: p for p in listing["parameters"]}
    assert set(query) == {"page_size", "page_token", "region", "tag", "source", "q", "partner_id"}
    assert query["partner_id"]["schema"] == {"type": "string", "format": "uuid"}
    assert query["page_size"]["schema"]["type"] == "integer"  # larger than the cap is capped
    assert query["source"]["schema"]["enum"][0] == "web"

    consent = document["paths"]["/api/v1/customers/{customer_id}/consents/{channel}"]["put"]
    path = {p["name"]: p["schema"] for p in consent["parameters"] if p["in"] == "path"}
    assert path["customer_id"] == {"type": "string", "format": "uuid"}
    assert path["channel"]["enum"] == ["email", "sms", "phone", "post"]


def test_errors_are_documented_as_problems(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            assert "default" in responses
            for status, response in responses.items():
                if status == "default" or int(status) >= 400:
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (method, path, status)
            if path.startswith("/api/"):
                assert "429" in responses
            if op["security"]:
                assert {"401", "403"} <= set(responses)


def test_security_schemes_and_requirements(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    flows = schemes["oauth2"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert flows["clientCredentials"]["tokenUrl"] == "/api/v1/auth/token"
    assert "customers:write" in flows["clientCredentials"]["scopes"]
    create = document["paths"]["/api/v1/customers"]["post"]
    assert create["security"] == [{"bearerAuth": []}, {"oauth2": ["customers:write"]}]
    assert document["paths"]["/healthz"]["get"]["security"] == []
    assert document["paths"]["/openapi.json"]["get"]["security"] == []


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Validator:
    root = {**schema, "components": document["components"]}
    validator: jsonschema.Validator = jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return validator


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "template", "status"),
    [
        ("get", f"/api/v1/customers/{CUSTOMER_ID}", {}, "/api/v1/customers/{customer_id}", 200),
        ("get", "/api/v1/customers", {}, "/api/v1/customers", 200),
        ("post", "/api/v1/customers", {"json": {"name": "A"}}, "/api/v1/customers", 201),
        (
            "post",
            "/api/v1/customers/recognize",
            {"json": {"email": "a@example.com"}},
            "/api/v1/customers/recognize",
            200,
        ),
        (
            "get",
            f"/api/v1/customers/{CUSTOMER_ID}/timeline",
            {},
            "/api/v1/customers/{customer_id}/timeline",
            200,
        ),
        (
            "get",
            "/api/v1/analytics/segments/demographics",
            {},
            "/api/v1/analytics/segments/demographics",
            200,
        ),
        ("get", "/healthz", {}, "/healthz", 200),
        ("get", "/readyz", {}, "/readyz", 200),
        ("post", "/api/v1/customers", {"json": {"tags": ["x" * 51]}}, "/api/v1/customers", 422),
        ("get", f"/api/v1/customers/{CUSTOMER_ID}?x=1", {}, "/api/v1/customers/{customer_id}", 422),
    ],
)
def test_answers_conform_to_the_document(
    client: FlaskClient,
    document: dict[str, Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    template: str,
    status: int,
) -> None:
    response = getattr(client, method)(path, **kwargs)

    assert response.status_code == status
    documented = document["paths"][template][method]["responses"][str(status)]
    media = documented["content"][response.mimetype]
    _validator(document, media["schema"]).validate(response.get_json(force=True))
    for name, header in documented.get("headers", {}).items():
        if header.get("required"):
            assert name in response.headers


DOCS_ASSETS = {
    "/docs/swagger-ui.css": "text/css",
    "/docs/swagger-ui-bundle.js": "text/javascript",
    "/docs/swagger-ui-standalone-preset.js": "text/javascript",
    "/docs/favicon-32x32.png": "image/png",
    "/docs/favicon-16x16.png": "image/png",
}


def test_the_docs_page_is_served_from_local_files(client: FlaskClient) -> None:
    page = client.get("/docs", headers={"Authorization": ""})

    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http://" not in html  # no CDN
    assert "https://" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in (
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui-standalone-preset.js",
        "/docs/favicon-32x32.png",
        "/docs/init.js",
    ):
        assert f'"{asset}"' in html
    assert client.get("/docs/../config.py").status_code == 404
    assert client.get("/docs/index.j2").status_code == 404
    assert client.get("/docs/swagger-initializer.js").status_code == 404  # not one of ours


@pytest.mark.parametrize(("asset", "media_type"), sorted(DOCS_ASSETS.items()))
def test_the_docs_files_come_from_swagger_ui_py(
    client: FlaskClient, asset: str, media_type: str
) -> None:
    served = client.get(asset, headers={"Authorization": ""})

    assert served.status_code == 200, asset
    assert served.mimetype == media_type
    assert "script-src 'self'" in served.headers["Content-Security-Policy"]
    local = openapi.swagger_ui_files() / asset.removeprefix("/docs/")
    assert served.get_data() == local.read_bytes()
    assert local.parent.parent.name == "swagger_ui"  # swagger-ui-py's package


def test_the_docs_page_is_swagger_ui_5_reading_openapi_json(client: FlaskClient) -> None:
    bundle = client.get("/docs/swagger-ui-bundle.js").get_data(as_text=True)
    script = client.get("/docs/init.js", headers={"Authorization": ""})

    assert re.search(r'PACKAGE_VERSION:"5\.', bundle), "not Swagger UI 5"
    assert script.status_code == 200
    assert script.mimetype == "text/javascript"
    assert "script-src 'self'" in script.headers["Content-Security-Policy"]
    assert 'url: "/openapi.json"' in script.get_data(as_text=True)
    assert client.get("/docs/openapi-3.0.json").status_code == 404  # no 3.0 copy


def test_the_docs_files_are_looked_up_on_first_use_not_at_import() -> None:
    check = (
        "import sys\n"
        "from crm_portal.entrypoints.http import openapi\n"
        "assert openapi.swagger_ui_files.cache_info().currsize == 0\n"
        "assert 'swagger_ui' not in sys.modules\n"
        "openapi.swagger_ui_files()\n"
        "assert 'swagger_ui' not in sys.modules  # located, not imported\n"
    )
    subprocess.run([sys.executable, "-c", check], check=True, cwd=Path(__file__).parent)


def test_the_document_and_docs_are_not_rate_limited(app: Flask) -> None:
    app.config["CRM_PORTAL_RATE_LIMIT"] = "1/minute"
    client = app.test_client()

    for _ in range(3):
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 200
        assert client.get("/healthz").status_code == 200
