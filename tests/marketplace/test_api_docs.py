"""/api/docs (issue 21, item 9): every operation has a summary and a description, and the page links
back to the site and follows its theme, with nothing from a CDN."""

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db
METHODS = {"get", "post", "put", "patch", "delete"}


def test_every_operation_has_a_summary_and_a_description():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
        and not (operation.get("summary", "").strip() and operation.get("description", "").strip())
    ]
    assert schema["paths"] and not missing, missing


def test_docs_page_links_back_and_follows_the_theme():
    response = Client().get("/api/docs")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="/">← Back to loopwind.dev</a>' in body and 'href="/docs">Guides</a>' in body
    assert '<meta name="color-scheme" content="light dark">' in body and "css/api-docs.css" in body
    assert "cdn." not in body and "unpkg" not in body and "jsdelivr" not in body
    assert "<script>" not in body  # the split view: its script is a file, under the site's CSP
    script = Client().get("/api/docs?script=")
    assert script.status_code == 200 and '"docExpansion": "list"' in script.content.decode()
