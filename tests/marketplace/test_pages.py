"""Every page, signed out and signed in, with the security headers."""

import html
import re

import pytest
from django.test import Client

from templates_registry.services import template_publish
from tests.templates_registry.helpers import example_files

PUBLIC_PAGES = [
    "/",
    "/templates",
    "/templates?q=card",
    "/templates?type=image&tag=social&sort=recent",
    "/templates?page=2",
    "/templates?category=open-graph",
    "/pricing",
    "/loopwind",
    "/loopwind/og-card",
    "/loopwind/quote-card",
    "/docs",
    "/docs/templates",
    "/docs/cli",
    "/docs/sdk",
    "/docs/typescript",
    "/docs/api",
    "/docs/teams",
    "/docs/analytics",
    "/login",
    "/account/password-reset",
    "/account/password-reset/sent",
    "/account/reset/done",
    "/api/docs",
]
DASHBOARD_PAGES = [
    "/dashboard",
    "/dashboard/keys",
    "/dashboard/billing",
    "/dashboard/webhooks",
    "/dashboard/renders",
    "/dashboard/analytics",
]


def assert_security_headers(response, path):
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'", (path, csp)
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_public_pages(official, member, signed_in):
    client = Client()
    if signed_in:
        client.force_login(member)
    for path in PUBLIC_PAGES:
        response = client.get(path)
        if signed_in and path == "/login":
            assert response.status_code == 302, path  # already signed in
            continue
        assert response.status_code == 200, (path, response.status_code)
        assert_security_headers(response, path)
        if path != "/api/docs":
            body = response.content.decode()
            assert "<script>" not in body and "onclick=" not in body, path  # nothing inline
            assert ("Sign out" in body) == signed_in, path
            assert 'style="' not in body, path  # style-src 'self' refuses inline styles


def test_home_lists_templates_with_previews(official):
    body = Client().get("/").content.decode()
    assert "loopwind/<strong>og-card</strong>" in body
    assert body.count('<img src="http') >= 2  # previews through signed file URLs
    assert 'role="search"' in body


def test_template_page_content(official, member_client):
    body = member_client.get("/loopwind/og-card").content.decode()
    for expected in ("Try it", "Props", "Versions", "1.0.0", "loopwind render loopwind/og-card --remote",
                     "/api/render", "from loopwind import Loopwind", "#og", 'property="og:image"', "/loopwind/og-card/og.png"):  # fmt: skip
        assert expected in body, expected


def test_template_pages_show_a_typescript_snippet(db, member_client, official):
    """Beside curl, the CLI and Python (tests/sdk_typescript run these snippets with the SDK)."""
    owner, _ = official
    template_publish(user=owner, files=example_files("promo-video"))
    image = member_client.get("/loopwind/og-card").content.decode()
    assert 'id="code-ts"' in image and "import { Loopwind } from &#x27;@loopwind/sdk&#x27;;" in image
    assert "await lw.render(&quot;loopwind/og-card&quot;, { props: {" in image
    video = member_client.get("/loopwind/promo-video").content.decode()
    assert "await lw.renderVideo(&quot;loopwind/promo-video&quot;" in video and "await job.wait();" in video
    docs = member_client.get("/docs/typescript").content.decode()
    assert "npm install @loopwind/sdk" in docs and "webhooks.verify(" in docs


def test_video_template_page_has_video_preview(db, member_client, official):
    from templates_registry.services import version_preview_video_render

    owner, _ = official
    version = template_publish(user=owner, files=example_files("promo-video")).version
    assert (
        'id="preview-video"' not in member_client.get("/loopwind/promo-video").content.decode()
    )  # the still, until
    version_preview_video_render(version_id=version.pk)  # the worker renders the MP4 after the publish
    body = member_client.get("/loopwind/promo-video").content.decode()
    assert 'id="preview-video"' in body and "/api/render/async" in body
    assert 'property="og:image"' in body and "/loopwind/promo-video/og.png" in body  # its PNG preview


def test_signup_page_signed_out_and_redirect_signed_in(member_client):
    assert Client().get("/signup").status_code == 200
    assert member_client.get("/signup")["Location"] == "/dashboard"


@pytest.mark.parametrize("path", DASHBOARD_PAGES)
def test_dashboard_pages(path, member_client, official):
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login?next=")
    response = member_client.get(path)
    assert response.status_code == 200
    assert_security_headers(response, path)


def test_device_page_needs_sign_in(member_client):
    assert Client().get("/device").status_code == 302
    assert member_client.get("/device").status_code == 200


def test_unknown_and_private_pages_404(official, member_client, db):
    from tests.factories import UserFactory

    owner = UserFactory(plan="pro")
    template_publish(user=owner, files=example_files("og-card"), name="secret-card", private=True)
    missing = Client().get("/nobody-here")
    assert missing.status_code == 404 and "Nothing here" in missing.content.decode()
    assert Client().get("/loopwind/nope").status_code == 404
    assert member_client.get(f"/{owner.username}/secret-card").status_code == 404
    owner_client = Client()
    owner_client.force_login(owner)
    assert owner_client.get(f"/{owner.username}/secret-card").status_code == 200
    assert "secret-card" in owner_client.get("/dashboard").content.decode()
    assert "secret-card" not in Client().get(f"/{owner.username}").content.decode()


def test_fixed_routes_still_work(official):
    client = Client()
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/api/templates").status_code == 200
    assert client.get("/api/docs?script=")["Content-Type"].startswith("application/javascript")
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin")["Location"] == "/admin/"


def test_browse_filters_and_pagination(official, db):
    client = Client()
    body = client.get("/templates?q=quote").content.decode()
    assert "quote-card" in body and "og-card</strong>" not in body
    assert "og-card" in client.get("/templates?tag=og").content.decode()
    assert client.get("/templates?type=video").content.decode().count('class="tpl-card"') == 0
    assert client.get("/templates?sort=bogus").status_code == 400
    from marketplace.views import public

    public.PAGE_SIZE, saved = 1, public.PAGE_SIZE
    try:
        page = client.get("/templates?sort=recent&page=2").content.decode()
    finally:
        public.PAGE_SIZE = saved
    assert "Page 2 of 2" in page and 'href="?sort=recent&amp;page=1"' in page


def test_list_pages_query_counts(official, member_client, django_assert_max_num_queries):
    """Cards read owner, version and tags with the list: the count does not grow with templates."""
    member_client.get("/")  # sessions, plans and the like warmed up
    with django_assert_max_num_queries(12):
        assert member_client.get("/").status_code == 200
    with django_assert_max_num_queries(10):
        assert member_client.get("/templates?q=card&sort=recent").status_code == 200


def test_a_single_file_tsx_template_has_a_page_props_and_try_it(db, member_client, official):
    """jsx templates on the website: the page lists the props from the .tsx file's meta, and "try it"
    renders the visitor's text (the form's text typed by the manifest, then the V8 sandbox)."""
    owner, _ = official
    template_publish(user=owner, files=example_files("og-card-tsx"))
    page = member_client.get("/loopwind/og-card-tsx").content.decode()
    for expected in ("Try it", "Props", "title", "subtitle", "accent", "1.0.0"):
        assert expected in page, expected
    tried = member_client.post(
        "/loopwind/og-card-tsx/try", {"title": "Hello from the page", "accent": "#22d3ee"}
    )
    assert tried.status_code == 200, tried.content[:500]
    result = re.search(r'<img[^>]+src="[^"]*(/files/[^"]+)"[^>]*alt="Your render', tried.content.decode())
    assert result, tried.content.decode()[:3000]
    image = member_client.get(html.unescape(result[1]))
    assert image.status_code == 200 and b"".join(image.streaming_content).startswith(b"\x89PNG")


def test_status_page_in_plain_words(db, monkeypatch):
    from marketplace.views import status

    monkeypatch.setattr(status, "_last", None)
    client = Client()
    response = client.get("/status")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "All systems operational" in body and "Video renders and webhooks" in body
    for operator_word in ("PostgreSQL", "postgresql", "Redis", "redis", "RedisBroker", "FileSystemStorage"):
        assert operator_word not in body
    assert 'href="/status">Status</a>' in client.get("/").content.decode()  # the footer
    assert client.get("/healthz?storage=0")["Content-Type"] == "application/json"  # monitors keep it


def test_status_page_names_what_is_degraded(db, monkeypatch):
    from marketplace.views import status

    def checks(**kwargs):
        ok = {"ok": True, "ms": 1.0}
        return {"database": ok, "cache": ok, "storage": ok,
                "queue": {"ok": False, "error": "ConnectionError: redis://10.0.0.5:6379 refused"}}  # fmt: skip

    monkeypatch.setattr(status, "health_checks", checks)
    monkeypatch.setattr(status, "_last", None)
    response = Client().get("/status")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Degraded: video renders and webhooks" in body and "All systems operational" not in body
    assert "having problems" in body and "ConnectionError" not in body and "6379" not in body


def test_a_page_past_the_end_goes_to_the_last_page(official, monkeypatch):
    from marketplace.views import public

    monkeypatch.setattr(public, "PAGE_SIZE", 1)
    client = Client()
    page = client.get("/templates?sort=recent&page=999").content.decode()
    assert "Page 2 of 2" in page and "Page 999" not in page
    assert page.count('class="tpl-card"') == 1 and 'href="?sort=recent&amp;page=1"' in page
    empty = client.get("/templates?q=nothing-matches-this&page=3")
    assert empty.status_code == 200 and "No templates match" in empty.content.decode()


def test_no_results_offer_to_clear_the_filters(official):
    client = Client()
    body = client.get("/templates?q=nothing-matches-this&type=video").content.decode()
    assert "No templates match" in body and 'class="button secondary" href="/templates">Clear filters' in body
    assert "Clear filters" not in client.get("/templates").content.decode()


def test_counters_say_what_they_count(official):
    body = Client().get("/templates").content.decode()
    assert '<span aria-hidden="true">★</span> 0<span class="sr-only"> stars</span>' in body
    assert 'title="0 renders"' in body and '<span class="sr-only"> downloads</span>' in body
    profile = Client().get("/loopwind").content.decode()
    assert "0 stars" in profile and "0 downloads" in profile


def test_the_api_description_names_every_format(db):
    schema = Client().get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for fmt in ("PNG", "JPG", "WebP", "SVG", "PDF", "MP4", "WebM", "GIF"):
        assert fmt in schema["info"]["description"], fmt


def _described_by_ids_exist(body: str, where: str) -> None:
    ids = set(re.findall(r'\bid="([^"]+)"', body))
    for described in re.findall(r'aria-describedby="([^"]+)"', body):
        for ident in described.split():
            assert ident in ids, (where, ident)


def test_every_aria_describedby_points_at_an_element(official, member_client):
    client = Client()
    for path in ("/", "/signup", "/login", "/loopwind/og-card", "/loopwind/quote-card", "/templates"):
        _described_by_ids_exist(client.get(path).content.decode(), path)
    _described_by_ids_exist(
        client.post("/signup", {"email": "bad", "password": "1"}).content.decode(), "signup"
    )
    for path in ("/dashboard", "/dashboard/keys", "/dashboard/webhooks"):
        _described_by_ids_exist(member_client.get(path).content.decode(), path)


def test_try_it_errors_are_tied_to_their_fields(official):
    response = Client().post("/loopwind/og-card/try", {"title": "x", "accent": "not a color"})
    body = response.content.decode()
    assert response.status_code == 400
    field = re.search(r'<input[^>]*name="accent"[^>]*>', body)[0]
    assert 'aria-invalid="true"' in field and "id_accent_error" in field
    error = re.search(r'<p class="field-error" id="id_accent_error"[^>]*>([^<]+)</p>', body)
    assert error and "accent" in error[1]
    _described_by_ids_exist(body, "try errors")


def test_try_it_form_marks_required_props_and_pairs_colors(official):
    body = Client().get("/loopwind/og-card").content.decode()
    title = re.search(r'<input[^>]*name="title"[^>]*>', body)[0]
    assert " required" in title
    subtitle = re.search(r'<input[^>]*name="subtitle"[^>]*>', body)[0]
    assert " required" not in subtitle
    assert 'type="color" value="#' in body and 'data-color-for="id_accent"' in body
    assert 'aria-label="Pick accent"' in body


def test_copy_buttons_have_distinct_names(official):
    body = Client().get("/loopwind/og-card").content.decode()
    names = re.findall(r'<button type="button" class="copy"[^>]*aria-label="([^"]+)"', body)
    assert "Copy curl example" in names and "Copy CLI command" in names
    assert len(names) == len(set(names)) >= 5
