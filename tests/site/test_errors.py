"""The error JSON on every /api/ failure, Django's own included; HTML stays HTML off /api/."""

import pytest
from django.urls import path
from rest_framework.views import APIView

from loopwind_site import urls as site_urls
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


class Boom(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError("secret internal detail")


urlpatterns = [path("api/boom", Boom.as_view()), *site_urls.urlpatterns]


def test_unknown_api_path_is_json_404(api):
    assert_error(api.get("/api/no-such-thing"), 404, "not_found")


def test_wrong_method_is_json_405(api):
    assert_error(api.get("/api/auth/login"), 405, "method_not_allowed")
    assert_error(api.delete("/api/auth/register"), 405, "method_not_allowed")


@pytest.mark.urls("tests.site.test_errors")
def test_unexpected_exception_is_json_500_without_internals(api):
    api.raise_request_exception = False
    response = api.get("/api/boom")
    error = assert_error(response, 500, "server_error")
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert error["message"]


def test_pages_outside_the_api_keep_html_404(client):
    response = client.get("/no-such-page/at/all")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_json_content_type_on_success(api):
    response = api.post("/api/auth/device", {}, format="json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_a_lost_database_connection_is_503_with_retry_after_on_the_api_and_the_site(api, client, monkeypatch):
    """Stand-in for the real restart in tests/faults/test_postgres_restart.py: the registry query
    raises what psycopg raises when the server goes away (mocked here; the fault test stops a server)."""
    from django.db import OperationalError

    from templates_registry import selectors

    def gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(selectors, "template_list", gone)
    response = api.get("/api/templates")
    assert_error(response, 503, "database_unavailable")
    assert response["Retry-After"] == "5"
    page = client.get("/templates")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert b"database is unavailable" in page.content and b"Traceback" not in page.content


def test_every_503_tells_clients_when_to_retry():
    from core.errors import ServiceUnavailable
    from core.files import StorageUnavailable
    from rendering.errors import QueueUnavailable

    for error in (ServiceUnavailable(), QueueUnavailable(), StorageUnavailable()):
        assert error.status == 503 and error.headers["Retry-After"] == "5", error
