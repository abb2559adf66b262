"""The OpenAPI 3.1 schema is served and valid; the docs page is served by the app with no
file from elsewhere."""

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3_1(schema):
    assert schema["openapi"] == "3.1.0"
    validate_schema(schema)  # against the OpenAPI 3.1 meta-schema; raises when invalid


def test_every_operation_lives_under_api_v1_and_needs_the_bearer_token(schema):
    assert schema["paths"] and all(path.startswith("/api/v1/") for path in schema["paths"])
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A company's API token (porto_…), made by an owner in Settings.",
    }


def test_every_operation_documents_the_error_shape(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "404", "429"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, method)


def test_creating_a_client_documents_the_idempotency_key_header(schema):
    parameters = schema["paths"]["/api/v1/clients/"]["post"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("Idempotency-Key", "header")]


def test_the_docs_page_loads_nothing_from_another_site(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""url:\s*["']([^"']+)["']""", html)
    assert urls, "the page names its scripts and styles"
    remote = [url for url in urls if re.match(r"^(https?:)?//", url)]
    assert remote == []
    # Swagger UI starts from a script file of the same view (no inline script: docs/security.md),
    # which names the schema.
    [start] = [url for url in urls if url.startswith("/api/docs/?")]
    assert "/api/schema/" in client.get(start.replace("&amp;", "&")).content.decode()


def test_the_docs_pages_scripts_are_static_files_of_the_app(client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"""src\s*=\s*["']/static/([^"']+)["']""", html)
    assert any("swagger-ui" in script for script in scripts)
    for script in scripts:
        assert finders.find(script), script
