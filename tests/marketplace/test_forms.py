"""Every form: CSRF enforced, and the same services as the API behind it."""

import html
import re

import pytest
from django.conf import settings
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
    link = re.search(re.escape(settings.SITE_URL) + r"(/account/reset/\S+)", mail.outbox[0].body).group(1)
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


def test_billing_disabled_note(member_client, caplog):
    body = member_client.get("/dashboard/billing").content.decode()
    assert "Paid plans are not available on this server yet" in body and "disabled" in body
    assert 'href="mailto:support@loopwind.dev"' in body
    for operator_hint in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "set_plan", "manage.py"):
        assert operator_hint not in body
    response = member_client.post("/dashboard/billing/checkout", {"plan": "pro"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/billing"
    flash = member_client.get("/dashboard/billing").content.decode()
    assert "Paid plans are not available on this server yet; contact support." in flash
    assert "Billing is not configured" not in flash


def test_billing_disabled_hint_goes_to_the_log(member_client, caplog, monkeypatch):
    from marketplace.views import dashboard

    monkeypatch.setattr(dashboard, "_billing_off_logged", False)
    with caplog.at_level("WARNING", logger="marketplace.views.dashboard"):
        member_client.get("/dashboard/billing")
    assert "STRIPE_SECRET_KEY" in caplog.text and "manage.py set_plan" in caplog.text


def test_pricing_has_no_operator_hint(db):
    body = Client().get("/pricing").content.decode()
    assert "set_plan" not in body and "STRIPE_" not in body


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


def test_sign_out_returns_to_the_page_with_a_message(official, member, member_client):
    response = member_client.post("/logout", {"next": "/loopwind/og-card"})
    assert response.status_code == 302 and response["Location"] == "/loopwind/og-card"
    page = member_client.get("/loopwind/og-card").content.decode()
    assert "You are signed out." in page and "Sign out" not in page
    assert "quality time" not in page


@pytest.mark.parametrize(
    ("next_", "expected"),
    [("", "/"), ("/dashboard/keys", "/"), ("https://evil.example/", "/"), ("//evil.example", "/")],
)
def test_sign_out_goes_home_from_private_or_unsafe_pages(member_client, next_, expected):
    assert member_client.post("/logout", {"next": next_})["Location"] == expected


def test_sign_out_is_post_only(member, member_client):
    assert member_client.get("/logout").status_code == 405
    assert "Sign out" in member_client.get("/").content.decode()


def test_sign_in_returns_to_next_and_refuses_unsafe_next(official, member):
    client = Client()
    page = client.get("/loopwind/og-card").content.decode()
    assert 'href="/login?next=/loopwind/og-card"' in page
    response = client.post(
        "/login", {"username": member.email, "password": PASSWORD, "next": "/loopwind/og-card"}
    )
    assert response["Location"] == "/loopwind/og-card"
    assert f"Signed in as @{member.username}" in client.get("/loopwind/og-card").content.decode()
    client = Client()
    response = client.post(
        "/login", {"username": member.email, "password": PASSWORD, "next": "https://evil.example/x"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_sign_in_with_the_username(member):
    client = Client()
    response = client.post("/login", {"username": member.username.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert "Sign out" in client.get("/").content.decode()
    wrong = Client().post("/login", {"username": member.username, "password": "not it at all"})
    assert wrong.status_code == 200 and "correct" in wrong.content.decode()
    unknown = Client().post("/login", {"username": "nobody-here", "password": PASSWORD})
    assert unknown.status_code == 200


def test_username_sign_in_goes_through_the_lockout(member, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "2/15m"
    client = Client()
    for _ in range(2):
        client.post("/login", {"username": member.username, "password": "wrong password"})
    locked = client.post("/login", {"username": member.email, "password": PASSWORD})
    assert locked.status_code == 200 and "Sign out" not in client.get("/").content.decode()


def test_revoking_a_key_asks_first_and_names_it(member, member_client):
    from accounts.services import api_key_create

    key, _ = api_key_create(user=member, name="ci-deploy", scopes=["render:read"])
    keys_page = member_client.get("/dashboard/keys").content.decode()
    assert f'href="/dashboard/keys/{key.public_id}/revoke"' in keys_page  # a link to the question
    page = member_client.get(f"/dashboard/keys/{key.public_id}/revoke")
    body = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert f"Revoke key ‘ci-deploy’ ({key.prefix}…)?" in body
    assert "Anything using it stops working at once" in body
    assert 'method="post"' in body and "csrfmiddlewaretoken" in body
    key.refresh_from_db()
    assert key.revoked_at is None  # the GET changed nothing
    response = member_client.post(f"/dashboard/keys/{key.public_id}/revoke", follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert f"Revoked key ‘ci-deploy’ ({key.prefix}…)" in html.unescape(response.content.decode())


def test_rotating_the_signing_secret_asks_first(member, member_client):
    from rendering.services import secrets_for

    before = secrets_for(member).signing_secret
    body = member_client.get("/dashboard/webhooks/signing-secret").content.decode()
    assert "Every /i/ URL signed before stops working" in body and "Rotate signing secret" in body
    assert secrets_for(User.objects.get(pk=member.pk)).signing_secret == before
    response = member_client.post("/dashboard/webhooks/signing-secret", follow=True)
    assert secrets_for(User.objects.get(pk=member.pk)).signing_secret != before
    assert "Rotated the signing secret" in response.content.decode()
    body = member_client.get("/dashboard/webhooks/secret").content.decode()
    assert "Rotate the webhook secret?" in body


def test_unpublish_and_deprecate_ask_first(official):
    owner, templates = official
    client = Client()
    client.force_login(owner)
    body = client.get("/dashboard/templates/og-card/unpublish").content.decode()
    assert "Unpublish loopwind/og-card?" in body and "disappear for everyone" in body
    assert client.get("/loopwind/og-card").status_code == 200  # still there
    query = "version=1.0.0&message=use+2.x"
    body = html.unescape(client.get(f"/dashboard/templates/og-card/deprecate?{query}").content.decode())
    assert "Deprecate loopwind/og-card 1.0.0?" in body and "“use 2.x”" in body
    assert 'name="message" value="use 2.x"' in body
    assert templates["og-card"].versions.get().deprecated == ""
    body = html.unescape(
        client.get(f"/dashboard/templates/og-card/deprecate?{query}&yanked=on").content.decode()
    )
    assert "Yank loopwind/og-card 1.0.0?" in body and 'name="yanked" value="on"' in body
    response = client.post(
        "/dashboard/templates/og-card/deprecate", {"version": "1.0.0", "message": "use 2.x"}, follow=True
    )
    assert "loopwind/og-card 1.0.0 is deprecated." in response.content.decode()
    response = client.post("/dashboard/templates/og-card/unpublish", follow=True)
    assert "Unpublished loopwind/og-card" in response.content.decode()
    assert Client().get("/loopwind/og-card").status_code == 404


def test_confirmation_pages_are_the_owners_only(official, member_client):
    assert member_client.get("/dashboard/templates/og-card/unpublish").status_code == 404
    assert member_client.get("/dashboard/keys/key_nope/revoke")["Location"] == "/dashboard/keys"
    assert Client().get("/dashboard/webhooks/signing-secret")["Location"].startswith("/login")


def test_star_while_signed_out_is_applied_once_after_sign_in(official, member):
    _, templates = official
    client = Client()
    response = client.post("/loopwind/og-card/star")
    assert response["Location"] == "/login?next=/loopwind/og-card"
    login_page = client.get(response["Location"]).content.decode()
    assert "Sign in or sign up to star loopwind/og-card" in login_page
    assert not Star.objects.exists()
    response = client.post(
        "/login", {"username": member.email, "password": PASSWORD, "next": "/loopwind/og-card"}
    )
    assert response["Location"] == "/loopwind/og-card"
    assert Star.objects.filter(user=member, template=templates["og-card"]).count() == 1
    page = client.get("/loopwind/og-card").content.decode()
    assert "Starred loopwind/og-card." in page and "★ Starred · 1" in page
    client.post("/logout")
    client.post("/login", {"username": member.email, "password": PASSWORD})  # not applied again
    assert Template.objects.get(pk=templates["og-card"].pk).stars == 1
    client.post("/loopwind/og-card/star", {"action": "unstar"})
    client.post("/logout")
    client.post("/login", {"username": member.email, "password": PASSWORD})
    assert not Star.objects.exists()  # the pending star was used up


def test_star_while_signed_out_then_sign_up(official):
    client = Client()
    client.post("/loopwind/quote-card/star")
    signup = client.get("/login?next=/loopwind/quote-card").content.decode()
    assert 'href="/signup?next=/loopwind/quote-card"' in signup
    response = client.post(
        "/signup",
        {"email": "fan@example.com", "password": PASSWORD, "next": "/loopwind/quote-card"},
    )
    assert response["Location"] == "/loopwind/quote-card"
    assert Star.objects.get().user.email == "fan@example.com"


def test_star_intent_is_csrf_safe(official, member):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/loopwind/og-card/star").status_code == 403  # another site's form
    assert client.get("/loopwind/og-card/star").status_code == 405  # a link or an image
    same_browser = Client()
    same_browser.cookies = client.cookies
    assert same_browser.post("/login", {"username": member.email, "password": PASSWORD}).status_code == 302
    assert not Star.objects.exists()


def test_signup_shows_the_password_rules_up_front(db):
    from django.contrib.auth.password_validation import password_validators_help_texts

    body = html.unescape(Client().get("/signup").content.decode())
    for rule in password_validators_help_texts():
        assert rule in body
    assert 'aria-describedby="id_password_helptext"' in body and 'id="id_password_helptext"' in body
    assert 'id="id_username_helptext"' in body  # every described-by points at an element


def test_after_signup_the_dashboard_shows_the_next_steps(db):
    client = Client()
    client.post("/signup", {"email": "first@example.com", "username": "first", "password": PASSWORD})
    body = html.unescape(client.get("/dashboard").content.decode())
    assert "Welcome, @first! Next steps" in body
    assert 'href="/dashboard/keys"' in body and "Create an API key" in body
    assert "curl -X POST http" in body and '"template": "loopwind/og-card"' in body
    assert "pip install loopwind" in body and 'aria-label="Copy curl example"' in body
    again = client.get("/dashboard").content.decode()
    assert "Welcome, @first" not in again and "Next steps" in again  # no key yet
    client.post("/dashboard/keys", {"name": "ci", "scopes": ["render:read"]})
    assert "Next steps" not in client.get("/dashboard").content.decode()
