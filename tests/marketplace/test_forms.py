"""Every form: CSRF enforced, and the same services as the API behind it."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import ApiKey, User
from billing.models import Usage
from rendering.maintenance import render_log_flush
from rendering.models import Render
from templates_registry.models import Star, Template
from tests.conftest import PASSWORD, assert_error


def csrf_token(client, path):
    response = client.get(path)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, path
    return match.group(1)


@pytest.mark.parametrize(
    ("get_path", "post_path", "data"),
    [
        ("/loopwind/og-card", "/loopwind/og-card/try", {"title": "Hi"}),
        ("/loopwind/og-card", "/loopwind/og-card/star", {}),
        ("/dashboard/keys", "/dashboard/keys", {"name": "ci", "scopes": ["render:read"]}),
        ("/dashboard/webhooks", "/dashboard/webhooks/secret", {}),
        ("/dashboard", "/logout", {}),
    ],
)
def test_forms_refuse_posts_without_csrf(official, csrf_client, get_path, post_path, data):
    assert csrf_client.post(post_path, data).status_code == 403
    data = {**data, "csrfmiddlewaretoken": csrf_token(csrf_client, get_path)}
    assert csrf_client.post(post_path, data).status_code in (200, 302)


def test_signup_csrf_and_account(db):
    client = Client(enforce_csrf_checks=True)
    data = {"email": "new@example.com", "username": "newbie", "password": PASSWORD}
    assert client.post("/signup", data).status_code == 403
    assert not User.objects.filter(email="new@example.com").exists()
    response = client.post("/signup", {**data, "csrfmiddlewaretoken": csrf_token(client, "/signup")})
    assert response.status_code == 302 and response["Location"] == "/dashboard"
    assert User.objects.get(email="new@example.com").username == "newbie"
    assert "@newbie" in client.get("/dashboard").content.decode()


def test_signup_errors_are_shown(db, member):
    client = Client()
    response = client.post("/signup", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    response = client.post("/signup", {"email": "x@example.com", "username": "admin", "password": PASSWORD})
    assert response.status_code == 400 and "reserved" in response.content.decode()
    response = client.post("/signup", {"email": "y@example.com", "password": "123"})
    assert response.status_code == 400 and "too short" in response.content.decode()


def test_sign_in_and_out(member):
    client = Client()
    response = client.post("/login", {"username": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "Sign out" in client.get("/").content.decode()
    client.post("/logout")
    assert "Sign out" not in client.get("/").content.decode()


def test_password_reset_by_email(member):
    client = Client()
    response = client.post("/account/password-reset", {"email": member.email})
    assert response["Location"] == "/account/password-reset/sent"
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/account/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand new pass 987", "new_password2": "brand new pass 987"},
    )
    assert response["Location"] == "/account/reset/done"
    member.refresh_from_db()
    assert member.check_password("brand new pass 987")


def test_try_it_signed_in_counts_against_the_visitor(official, member, member_client):
    response = member_client.post(
        "/loopwind/og-card/try", {"title": "A brand new title", "accent": "#10b981"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="try-preview"' in body and "Your render" in body and 'value="A brand new title"' in body
    render_log_flush()  # the worker's minute upkeep writes the Render rows
    render = Render.objects.get()
    assert render.user == member and render.source == "web"
    assert Usage.objects.get(user=member, type=Usage.Type.IMAGE_RENDER).count == 1
    usage_page = member_client.get("/dashboard/billing").content.decode()
    assert 'data-usage="imageRenders"' in usage_page and 'value="1"' in usage_page
    assert render.public_id in member_client.get("/dashboard/renders").content.decode()


def test_try_it_bad_props_show_the_engine_message(official, member_client):
    response = member_client.post("/loopwind/og-card/try", {"title": "x", "accent": "not a color"})
    assert response.status_code == 400
    assert "accent" in response.content.decode()
    assert Render.objects.count() == 0


def test_try_it_anonymous_is_rate_limited_per_ip(official, settings):
    owner, _ = official
    settings.RATE_LIMITS_ENABLED = True
    settings.TRY_IT_ANON_RATE = "2/h"
    client = Client()
    for n in range(2):
        assert client.post("/loopwind/og-card/try", {"title": f"anon {n}"}).status_code == 200
    limited = client.post("/loopwind/og-card/try", {"title": "one too many"})
    assert limited.status_code == 429 and "Rate limit" in limited.content.decode()
    render_log_flush()
    assert Render.objects.filter(user=owner).count() == 2  # recorded under the author...
    assert (
        not Usage.objects.filter(user=owner, count__gt=0).exclude(type=Usage.Type.PUBLISH).exists()
    )  # ...unbilled


def test_star_and_unstar(official, member, member_client):
    _, templates = official
    assert Client().post("/loopwind/og-card/star")["Location"].startswith("/login?next=")
    member_client.post("/loopwind/og-card/star")
    assert Star.objects.filter(user=member, template=templates["og-card"]).exists()
    assert "og-card" in member_client.get(f"/{member.username}").content.decode()  # on the profile
    assert "★ Starred · 1" in member_client.get("/loopwind/og-card").content.decode()
    member_client.post("/loopwind/og-card/star", {"action": "unstar"})
    assert not Star.objects.exists()


def test_api_key_shown_once_then_revoked(member, member_client, api):
    response = member_client.post(
        "/dashboard/keys", {"name": "ci", "scopes": ["render:read", "templates:read"]}
    )
    raw = re.search(r"(lw_live_\w+)", response.content.decode()).group(1)
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get(user=member)
    assert key.scopes == ["render:read", "templates:read"]
    assert raw not in member_client.get("/dashboard/keys").content.decode()  # never shown again
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/me").status_code == 200
    member_client.post(f"/dashboard/keys/{key.public_id}/revoke")
    assert api.get("/api/me").status_code == 401


def test_edit_deprecate_unpublish_own_template(official, member):
    owner, templates = official
    client = Client()
    client.force_login(owner)
    page = client.get("/dashboard/templates/og-card").content.decode()
    assert "Deprecate" in page and "Unpublish og-card" in page and 'value="og, social"' in page
    assert 'option value="open-graph" selected' in page
    response = client.post(
        "/dashboard/templates/og-card",
        {"description": "New words", "tags": "og, launch", "category": "marketing"},
    )
    assert response.status_code == 302
    template = Template.objects.get(pk=templates["og-card"].pk)
    assert template.description == "New words" and template.category == "marketing"
    assert sorted(template.tags.values_list("name", flat=True)) == ["launch", "og"]
    client.post("/dashboard/templates/og-card/deprecate", {"version": "1.0.0", "message": "use 2.x"})
    assert template.versions.get().deprecated == "use 2.x"
    client.post("/dashboard/templates/og-card/unpublish")
    assert Client().get("/loopwind/og-card").status_code == 404
    other = Client()
    other.force_login(member)
    assert other.get("/dashboard/templates/quote-card").status_code == 404  # not theirs


def test_private_needs_a_paid_plan(db, member, member_client):
    from templates_registry.services import template_publish
    from tests.templates_registry.helpers import example_files

    template_publish(user=member, files=example_files("quote-card"))
    response = member_client.post(
        "/dashboard/templates/quote-card", {"description": "", "tags": "", "private": "on"}
    )
    assert response.status_code == 400 and "paid plan" in response.content.decode()


def test_billing_disabled_note(member_client):
    body = member_client.get("/dashboard/billing").content.decode()
    assert "Billing is not configured" in body and "disabled" in body
    response = member_client.post("/dashboard/billing/checkout", {"plan": "pro"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/billing"


def test_webhook_secret_rotation(member, member_client):
    from rendering.services import secrets_for

    before = secrets_for(member).webhook_secret
    assert before in member_client.get("/dashboard/webhooks").content.decode()
    member_client.post("/dashboard/webhooks/secret")
    assert secrets_for(User.objects.get(pk=member.pk)).webhook_secret != before


def test_redeliver_a_webhook(official, member, member_client, monkeypatch):
    from rendering.models import RenderJob, WebhookDelivery

    _, templates = official
    og = templates["og-card"]
    job = RenderJob.objects.create(
        user=member, template=og, version=og.latest_version, format="png", status="completed"
    )
    delivery = WebhookDelivery.objects.create(user=member, job=job, event="render.completed", url="https://example.com/h",
                                              payload={}, message_id="msg_1", status="failed", attempts=6)  # fmt: skip
    queued = []
    monkeypatch.setattr("rendering.webhooks.enqueue", lambda actor, pk, delay_ms=None: queued.append(pk))
    assert delivery.public_id in member_client.get("/dashboard/webhooks").content.decode()
    response = member_client.post(f"/dashboard/webhooks/{delivery.public_id}/redeliver")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and queued == [delivery.pk]
    other = Client()
    other.force_login(official[0])
    assert other.post(f"/dashboard/webhooks/{delivery.public_id}/redeliver").status_code == 404


def test_redeliver_with_the_queue_down_says_so_like_the_api(
    official, member, member_client, api, monkeypatch
):
    """The dashboard and POST /api/webhooks/deliveries/{id}/redeliver are one service: a queue
    that cannot take the message is reported (503 in the API, an error message on the page) and
    the delivery stays as it was."""
    from accounts.services import tokens_for_user
    from rendering.errors import QueueUnavailable
    from rendering.models import RenderJob, WebhookDelivery

    def queue_down(*args, **kwargs):
        raise QueueUnavailable()

    _, templates = official
    og = templates["og-card"]
    job = RenderJob.objects.create(
        user=member, template=og, version=og.latest_version, format="png", status="completed"
    )
    delivery = WebhookDelivery.objects.create(user=member, job=job, event="render.completed", url="https://example.com/h",
                                              payload={}, message_id="msg_1", status="failed", attempts=6)  # fmt: skip
    monkeypatch.setattr("rendering.webhooks.enqueue", queue_down)
    page = member_client.post(f"/dashboard/webhooks/{delivery.public_id}/redeliver", follow=True)
    assert "render queue is unavailable" in page.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(member)['token']}")
    response = api.post(f"/api/webhooks/deliveries/{delivery.public_id}/redeliver")
    assert_error(response, 503, "queue_unavailable")
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_reloading_the_new_key_page_makes_no_second_key(member, member_client):
    page = member_client.get("/dashboard/keys").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    body = {"name": "ci", "scopes": ["render:read"], "form_token": token}
    first = member_client.post("/dashboard/keys", body)
    raw = re.search(r"(lw_live_\w+)", first.content.decode()).group(1)
    again = member_client.post("/dashboard/keys", body, follow=True)  # the browser's reload
    assert ApiKey.objects.filter(user=member).count() == 1
    assert "already submitted" in again.content.decode() and raw not in again.content.decode()
    # the form on the page shown now carries a fresh token, which makes another key
    token = re.search(r'name="form_token" value="([^"]+)"', again.content.decode()).group(1)
    member_client.post("/dashboard/keys", {**body, "name": "second", "form_token": token})
    assert ApiKey.objects.filter(user=member).count() == 2
