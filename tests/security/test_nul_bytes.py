"""Issue 22 (12): a NUL in any text input was a 500 (PostgreSQL refuses it). Now a path with one is a
404 and a query string or a text body with one a 400, with the error JSON under /api/ and /i/;
Schemathesis does not generate NULs, so these are the hostile inputs it misses."""

import pytest

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

PATHS = ["/api/templates/a%00/b", "/api/templates/{u}/og%00card", "/api/templates/{u}/og%00card/versions",
         "/api/users/a%00", "/api/render/job_%00", "/i/{u}%00/og-card.png?v=1&sig=x"]  # fmt: skip
QUERIES = ["/api/templates?q=a%00b", "/api/templates?sort=popular%00", "/api/templates/{u}/og-card/download?version=1%00",
           "/i/{u}/og-card.png?title=a%00b&sig=x", "/api/me/templates?x=%00"]  # fmt: skip
BODIES = [
    ("post", "/api/render", {"template": "{u}/og-card", "props": {"title": "a\u0000b"}}),
    ("post", "/api/render", {"template": "{u}/og\u0000card"}),
    ("post", "/api/render/async", {"template": "{u}/og-card", "format": "png", "props": {"title": "\u0000"}}),
    ("post", "/api/render/sign", {"template": "{u}/og-card", "props": {"title": "x\u0000"}}),
    ("post", "/api/auth/login", {"email": "a\u0000@example.com", "password": "x"}),
    ("post", "/api/keys", {"name": "a\u0000"}),
    ("patch", "/api/me", {"bio": "a\u0000"}),
    ("patch", "/api/templates/{u}/og-card", {"description": "\u0000"}),
]


def fill(value, user):
    if isinstance(value, str):
        return value.replace("{u}", user.username)
    if isinstance(value, dict):
        return {k: fill(v, user) for k, v in value.items()}
    return value


@pytest.mark.parametrize("path", PATHS)
def test_a_nul_in_a_path_is_404(user_api, user, published, path):
    assert_error(user_api.get(fill(path, user)), 404)


@pytest.mark.parametrize("path", QUERIES)
def test_a_nul_in_a_query_is_400(user_api, user, published, path):
    assert_error(user_api.get(fill(path, user)), 400, "invalid_input")


def test_only_a_decoded_nul_in_a_query_is_refused(user_api, user, published):
    """An escape that does not decode to a NUL (%2500 is "%00" as text, %C0%80 is not UTF-8) is an
    ordinary value: the request goes on (here a 403 for the bad signature), never a 400 for a NUL."""
    for query in ("title=a%2500b", "title=%C0%80", "title=%0", "title=100%25"):
        response = user_api.get(f"/i/{user.username}/og-card.png?{query}&sig=x")
        assert response.json()["error"]["code"] != "invalid_input", query
    assert_error(user_api.get(f"/i/{user.username}/og-card.png?title=a\x00b&sig=x"), 400, "invalid_input")


@pytest.mark.parametrize(("method", "path", "body"), BODIES)
def test_a_nul_in_a_json_body_is_400(user_api, user, published, method, path, body):
    response = getattr(user_api, method)(fill(path, user), fill(body, user), format="json")
    assert_error(response, 400)


def test_website_pages(client, user, published):
    for path in ("/a%00", f"/{user.username}/og%00card", f"/{user.username}/og-card%00/try"):
        assert client.get(path).status_code == 404, path
    for path in ("/templates?q=a%00", "/login?next=%00", "/templates?tag=%00"):
        assert client.get(path).status_code == 400, path
    form = "username=a%00%40example.com&password=x"
    assert client.post("/login", form, content_type="application/x-www-form-urlencoded").status_code == 400
    # a multipart form's text fields are checked by Django's form fields: the form says so, no 500
    page = client.post("/login", {"username": "a\u0000@example.com", "password": "x"})
    assert page.status_code == 200 and "Null characters are not allowed" in page.content.decode()
