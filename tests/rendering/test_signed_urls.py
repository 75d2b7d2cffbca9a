"""Signed image URLs (/i/…): usable in <img> and og:image without a key; every part signed."""

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from rest_framework.test import APIClient

from rendering.maintenance import render_log_flush
from rendering.models import Render
from tests.conftest import assert_error, bearer

pytestmark = pytest.mark.django_db


def sign(client, template, **body):
    response = client.post("/api/render/sign", {"template": template, **body}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["url"]


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def with_params(url: str, **changes) -> str:
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    params.update(changes)
    return f"{parts.path}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def test_sign_then_fetch_without_authorization(user_api, client, user, published):
    url = sign(user_api, f"{user.username}/og-card", props={"title": "Hello OG"}, format="png")
    assert f"/i/{user.username}/og-card.png?" in url and "v=1.0.0" in url and "sig=" in url
    response = client.get(local(url))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Access-Control-Allow-Origin"] == "*"
    etag = response["ETag"]
    again = client.get(local(url), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    render_log_flush()
    assert Render.objects.get().source == "url"


@pytest.mark.parametrize(
    "change",
    [{"title": "Tampered"}, {"v": "1.0.1"}, {"sig": "0" * 40}, {"sig": None}, {"scale": "2"}, {"extra": "1"}],
)
def test_any_change_breaks_the_signature(user_api, client, user, published, change):
    url = sign(user_api, f"{user.username}/og-card", props={"title": "Hello"})
    assert_error(client.get(with_params(url, **change)), 403, "invalid_signature")


def test_format_is_signed(user_api, client, user, published):
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Hello"}))
    assert_error(client.get(url.replace("og-card.png", "og-card.jpg")), 403, "invalid_signature")


def test_rotating_the_secret_revokes_old_urls(user_api, client, user, published):
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Hello"}))
    assert client.get(url).status_code == 200
    assert user_api.post("/api/render/signing-secret").status_code == 200
    assert_error(client.get(url), 403, "invalid_signature")


def test_signing_someone_elses_public_template(client, other_user, user, published):
    from rest_framework.test import APIClient

    from accounts.services import tokens_for_user

    other_api = APIClient()
    other_api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(other_user)['token']}")
    url = sign(other_api, f"{user.username}/og-card", props={"title": "Theirs"})
    assert f"u={other_user.username}" in url
    assert client.get(local(url)).status_code == 200
    render_log_flush()
    assert Render.objects.get().user == other_user  # counts against the signer


def test_svg_urls_cannot_run_script(user_api, client, user, published):
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "<script>"}, format="svg"))
    response = client.get(url)
    assert response.status_code == 200
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert b"<script>" not in response.content


def test_bad_requests(user_api, client, user, published):
    assert_error(user_api.post("/api/render/sign", {"template": f"{user.username}/og-card", "props": {}},
                               format="json"), 400)  # fmt: skip
    assert_error(client.get(f"/i/{user.username}/og-card.bmp?sig=x"), 404)
    assert_error(client.get(f"/i/{user.username}/og-card.png"), 403)
    assert_error(client.get("/i/nobody/og-card.png?sig=x"), 403)
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Hi"}))
    assert_error(client.get(url + "&title=again"), 400, "duplicate_parameter")


def test_cache_hits_query_nothing(user_api, client, user, published, django_assert_num_queries,
                                  django_assert_max_num_queries):  # fmt: skip
    """The hot paths (issue 14): the signer with their secret, the API key with its account, and
    the template with its latest version come from the shared hot-path cache (core.hotcache), so a
    hit on /i/ and a hit on POST /api/render with an API key read nothing from the database; with
    a JWT the user is read (one query)."""
    from accounts.services import api_key_create

    key = api_key_create(user=user, name="hot")[1]
    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Hot"}))
    body = {"template": f"{user.username}/og-card", "props": {"title": "Hot"}}
    assert client.get(url).status_code == 200  # the miss renders and fills the caches
    keyed = bearer(APIClient(), key)
    assert keyed.post("/api/render", body, format="json").status_code == 200  # fills the key's entry
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200 and response["X-Render-Cache"] == "HIT"
    with django_assert_num_queries(0):
        response = keyed.post("/api/render", body, format="json")
    assert response.status_code == 200 and response["X-Render-Cache"] == "HIT"
    with django_assert_max_num_queries(1):
        response = user_api.post("/api/render", body, format="json")
    assert response.status_code == 200 and response["X-Render-Cache"] == "HIT"


def test_if_none_match_is_answered_before_the_cache_and_storage_are_read(
    user_api, client, user, published, monkeypatch
):
    """A crawler revalidating an og:image costs a signature check and a hash (issue 14): no render
    cache GET, no storage read. Weak tags and lists match too; the 304 carries the caching headers
    and no per-request rate-limit numbers."""
    from rendering import services

    url = local(sign(user_api, f"{user.username}/og-card", props={"title": "Hello 304"}, format="png"))
    first = client.get(url)
    etag = first["ETag"]

    def unread(*args, **kwargs):
        raise AssertionError("read on a conditional request that matched")

    monkeypatch.setattr(services, "_cache_get", unread)
    monkeypatch.setattr(services.stored_files, "file_read", unread)
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(url, HTTP_IF_NONE_MATCH=header)
        assert again.status_code == 304 and again.content == b"", header
        assert again["ETag"] == etag
        assert again["Cache-Control"] == "public, max-age=31536000, immutable"
        assert not any(name.startswith("X-RateLimit") for name in again.headers)
    assert client.get(with_params(url, sig="0" * 40), HTTP_IF_NONE_MATCH=etag).status_code == 403
    monkeypatch.undo()
    assert client.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200
