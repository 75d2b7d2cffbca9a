"""The marketplace worth visiting (issue 19): categories and the featured row, the category filter,
the template page's live "try it" (JSON for the page's script), the video render it starts, versions
with their changelog, the bundle's files highlighted, and /pricing read from the plan rows."""

import json
import re

import pytest
from django.test import Client

from accounts.models import User
from billing.models import Plan
from billing.plans import plans_reload
from rendering.maintenance import render_log_flush
from rendering.models import Render, RenderJob
from templates_registry.models import Template
from templates_registry.services import template_publish
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def gallery(official):
    """og-card and quote-card (from `official`), a video, and an official template with a changelog."""
    owner, templates = official
    templates["promo-video"] = template_publish(user=owner, files=example_files("promo-video")).template
    templates["blog-post"] = template_publish(user=owner, files=example_files("blog-post")).template
    Template.objects.filter(pk=templates["blog-post"].pk).update(featured=True)
    return owner, templates


# --- home and browse -------------------------------------------------------------------------


def test_home_shows_every_category_with_its_count_and_the_featured_row(gallery):
    body = Client().get("/").content.decode()
    assert '<a class="category cat-open-graph" href="/templates?category=open-graph">' in body
    assert re.search(r"Open Graph</span>.*?<span class=\"cat-count\">2 templates</span>", body, re.S)
    assert re.search(r"Celebrations</span>.*?<span class=\"cat-count\">0 templates</span>", body, re.S)
    featured = body.split('id="featured-h"')[1].split("</section>")[0]
    assert "blog-post" in featured and "quote-card" not in featured
    assert 'id="videos-h"' in body and "promo-video" in body.split('id="videos-h"')[1].split("</section>")[0]


def test_browse_filters_by_category(gallery):
    client = Client()
    body = client.get("/templates?category=open-graph").content.decode()
    assert "<strong>og-card</strong>" in body and "<strong>blog-post</strong>" in body
    assert "<strong>quote-card</strong>" not in body and "<strong>promo-video</strong>" not in body
    assert "2 templates in Open Graph" in body
    assert '<a href="?category=open-graph" aria-current="page">Open Graph' in body
    assert client.get("/templates?category=quotes&q=quote").content.decode().count('class="tpl-card"') == 1
    assert client.get("/templates?category=nonsense").status_code == 400


# --- the template page -------------------------------------------------------------------------


def test_template_page_shows_versions_changelog_files_and_how_to_use_it(gallery, member_client):
    body = member_client.get("/loopwind/blog-post").content.decode()
    assert 'class="badge category-badge" href="/templates?category=open-graph">Open Graph</a>' in body
    versions = body.split('id="versions-h"')[1]
    assert "<li>First release: serif headline" in versions
    files = body.split('id="files-h"')[1].split("</section>")[0]
    for path in ("CHANGELOG.md", "loopwind.json", "template.html"):
        assert f"<code>{path}</code>" in files
    # server-side highlighting: Pygments' classes, escaped source, no inline styles (CSP)
    assert '<div class="hl">' in files and '<span class="p">&lt;</span><span class="nt">div</span>' in files
    assert 'style="' not in body
    assert 'href="/api/templates/loopwind/blog-post/download"' in body
    assert "loopwind add loopwind/blog-post" in body
    for target in ("code-url", "code-curl", "code-cli", "code-sdk", "code-ts"):
        assert f'data-copy="{target}"' in body
    assert "/i/loopwind/blog-post.png?" in body and "&amp;u=" in body  # signed by the visitor


def test_a_bundle_without_changelog_says_so(gallery):
    assert "No notes for this version." in Client().get("/loopwind/og-card").content.decode()


def test_signed_urls_are_signed_by_the_signed_in_visitor_only(gallery, member_client, member):
    """A signed-out visitor gets no signed URL: one the site signed with the author's secret would
    keep rendering after the author made the template private (issue 22, item 13)."""
    assert 'id="code-url"' not in Client().get("/loopwind/og-card").content.decode()
    body = member_client.get("/loopwind/og-card").content.decode()
    url = re.search(r'<pre id="code-url" class="wrap"><code>([^<]+)</code>', body).group(1)
    assert "/i/loopwind/og-card.png?" in url and f"u={member.username}" in url.replace("&amp;", "&")


# --- try it, as the page's script calls it ---------------------------------------------------------


def test_try_it_json_renders_and_rewrites_the_snippets(gallery, member, member_client):
    response = member_client.post(
        "/loopwind/og-card/try", {"title": "Live from the test", "accent": "#10b981"}, **JSON
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["url"] and data["cached"] is False and data["stillAt"] is None
    assert '"title": "Live from the test"' in data["snippets"]["curl"]
    assert "props={'title': 'Live from the test'" in data["snippets"]["sdk"]
    assert '"site"' not in data["snippets"]["curl"]  # defaults are left out of the snippets
    assert "title=Live+from+the+test" in data["signedUrl"] and f"u={member.username}" in data["signedUrl"]
    again = member_client.post(
        "/loopwind/og-card/try", {"title": "Live from the test", "accent": "#10b981"}, **JSON
    )
    assert again.json()["cached"] is True and again.json()["url"]
    render_log_flush()
    assert Render.objects.filter(user=member).count() == 1  # the repeat was the cache's


def test_try_it_json_errors_name_the_prop(gallery, member_client):
    response = member_client.post("/loopwind/og-card/try", {"title": "x", "accent": "not a color"}, **JSON)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["prop"] == "accent" and "accent" in error["message"]


def test_anonymous_limit_counts_only_renders_that_cost_something(gallery, settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.TRY_IT_ANON_RATE = "1/h"
    client = Client()
    assert client.post("/loopwind/og-card/try", {"title": "first"}, **JSON).status_code == 200
    repeat = client.post("/loopwind/og-card/try", {"title": "first"}, **JSON)
    assert repeat.status_code == 200 and repeat.json()["cached"] is True  # the cache: free
    limited = client.post("/loopwind/og-card/try", {"title": "second"}, **JSON)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0 and limited.json()["error"]["code"] == "rate_limited"
    render_log_flush()
    assert Render.objects.count() == 1


def test_a_video_templates_live_preview_is_its_middle_frame(gallery, member_client):
    response = member_client.post("/loopwind/promo-video/try", {"headline": "Frame by frame"}, **JSON)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["stillAt"] == 1.5 and data["signedUrl"] == ""  # signed URLs are for images
    assert "/api/render/async" in data["snippets"]["curl"] and "Frame by frame" in data["snippets"]["curl"]
    assert member_client.get(data["url"]).status_code == 200


# --- the full video, for signed-in visitors ----------------------------------------------------------


def test_render_video_starts_a_job_the_page_follows(gallery, member, member_client):
    response = member_client.post(
        "/loopwind/promo-video/render-video", {"headline": "Rendered for real", "badge": "HOT"}, **JSON
    )
    assert response.status_code == 202, response.content
    job = RenderJob.objects.get(user=member)
    assert job.props["headline"] == "Rendered for real" and job.format == "mp4"
    assert response.json() == {"jobId": job.public_id, "statusUrl": f"/dashboard/jobs/{job.public_id}"}
    status = member_client.get(response.json()["statusUrl"])
    assert status.status_code == 200 and status["Cache-Control"] == "no-store"
    assert status.json()["status"] == "queued" and status.json()["totalFrames"] == 90
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/dashboard/jobs/{job.public_id}").status_code == 404
    assert Client().get(f"/dashboard/jobs/{job.public_id}").status_code == 302  # to sign in


def test_render_video_needs_a_signed_in_visitor_and_a_video(gallery, member_client):
    anonymous = Client().post("/loopwind/promo-video/render-video", {"headline": "x"}, **JSON)
    assert anonymous.status_code == 401
    assert (
        Client()
        .post("/loopwind/promo-video/render-video", {"headline": "x"})["Location"]
        .startswith("/login")
    )
    assert member_client.post("/loopwind/og-card/render-video", {"title": "x"}, **JSON).status_code == 404
    page = Client().get("/loopwind/promo-video").content.decode()
    assert "Sign in to render the video" in page and 'id="render-video"' not in page
    assert 'id="render-video"' in member_client.get("/loopwind/promo-video").content.decode()
    assert not RenderJob.objects.exists()


# --- pricing ---------------------------------------------------------------------------------------


def plan_card(body: str, code: str) -> str:
    return body.split(f'data-plan="{code}"')[1].split("</section>")[0]


def test_pricing_reads_the_plan_rows(db):
    body = Client().get("/pricing").content.decode()
    pro = plan_card(body, "pro")
    assert (
        "$19" in pro
        and "<strong>5,000</strong> image renders" in pro
        and "<strong>100</strong> API requests" in pro
    )
    assert 'href="/signup?plan=pro"' in pro
    business = plan_card(body, "business")
    assert "$99" in business and "coming soon" in business
    assert body.count("Coming soon") == 3  # teams, domains, analytics: Business, not built yet
    assert 'href="/signup"' in plan_card(body, "free")
    assert "What counts as a render?" in body


def test_changing_a_plan_in_the_admin_changes_the_page(db, staff_client):
    pro = Plan.objects.get(code="pro")
    form = {
        field.name: getattr(pro, field.name)
        for field in Plan._meta.fields
        if field.name != "id" and getattr(pro, field.name) is not None
    }
    form.update(price_cents=2400, image_renders_per_month=7500, max_templates="")
    response = staff_client.post(f"/admin/billing/plan/{pro.pk}/change/", {k: str(v) for k, v in form.items()} | {
        "private_templates": "on", "webhooks": "on", "priority_rendering": "on"})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    body = Client().get("/pricing").content.decode()
    assert "$24" in plan_card(body, "pro") and "<strong>7,500</strong> image renders" in plan_card(
        body, "pro"
    )
    assert "$19" not in body


def test_pricing_buttons_for_signed_in_users(db, member, member_client):
    body = member_client.get("/pricing").content.decode()
    assert "Your current plan" in plan_card(body, "free")
    pro = plan_card(body, "pro")
    assert 'action="/dashboard/billing/checkout"' in pro and 'name="plan" value="pro"' in pro
    member.plan = "pro"
    member.save()
    assert "Your current plan" in plan_card(member_client.get("/pricing").content.decode(), "pro")


def test_a_plan_picked_on_pricing_follows_sign_up_to_billing(db):
    client = Client()
    page = client.get("/signup?plan=pro").content.decode()
    assert "You picked <strong>Pro</strong>" in page and 'name="plan" value="pro"' in page
    response = client.post("/signup", {"email": "new@example.com", "password": PASSWORD, "plan": "pro"})
    assert response["Location"] == "/dashboard/billing?plan=pro"
    assert User.objects.filter(email="new@example.com").exists()
    billing = client.get(response["Location"]).content.decode()
    assert "You picked <strong>Pro</strong>" in billing
    assert Client().get("/signup?plan=free").context["plan"] is None  # only paid plans are carried


def test_pricing_page_cache_follows_plans_reload(db):
    """The page reads plans through billing.plans (a 30 s per-process cache the admin clears)."""
    Plan.objects.filter(code="business").update(price_cents=12900)
    plans_reload()
    assert "$129" in Client().get("/pricing").content.decode()


def test_job_status_is_json(gallery, member, member_client):
    member_client.post("/loopwind/promo-video/render-video", {"headline": "x"}, **JSON)
    job = RenderJob.objects.get(user=member)
    data = json.loads(member_client.get(f"/dashboard/jobs/{job.public_id}").content)
    assert {"jobId", "status", "progress", "currentFrame", "totalFrames", "outputUrl"} <= set(data)


def test_files_are_read_and_highlighted_once(gallery, monkeypatch):
    """Published files never change: the page reads and highlights each once, then the cache answers."""
    from templates_registry import selectors

    reads = []
    original = selectors.blob_text
    monkeypatch.setattr(
        selectors, "blob_text", lambda *, checksum: reads.append(checksum) or original(checksum=checksum)
    )
    first = Client().get("/loopwind/blog-post").content.decode()
    assert len(reads) == 4  # loopwind.json for the props' order, then the three files to highlight
    second = Client().get("/loopwind/blog-post").content.decode()
    assert len(reads) == 4 and second.count('<div class="hl">') == first.count('<div class="hl">') == 3


def test_render_video_is_rate_limited_like_the_api(gallery, member, member_client, settings):
    settings.RATE_LIMITS_ENABLED = True
    member.plan = "free"
    member.save()
    for n in range(10):  # the free plan's requests a minute
        assert member_client.post(
            "/loopwind/promo-video/render-video", {"headline": f"{n}"}, **JSON
        ).status_code in (202, 429)
    limited = member_client.post("/loopwind/promo-video/render-video", {"headline": "more"}, **JSON)
    assert limited.status_code == 429 and limited.json()["error"]["code"] in (
        "rate_limited",
        "quota_exceeded",
    )
