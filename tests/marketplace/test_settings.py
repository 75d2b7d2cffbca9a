"""Account settings (issue 21, item 3): profile with an avatar, email change confirmed from the new
address, password change, sign out everywhere, and deleting the account."""

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from PIL import Image

from accounts import services as account_services
from accounts.models import ApiKey, User
from templates_registry.models import Template
from templates_registry.services import template_publish
from tests.conftest import PASSWORD
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db


def png(size=(8, 8), fmt="PNG") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, fmt)
    buffer.seek(0)
    buffer.name = f"me.{fmt.lower()}"
    return buffer


def test_settings_page_lists_every_section(member_client):
    body = member_client.get("/dashboard/settings").content.decode()
    for heading in ("Profile", "Email", "Password", "Sessions", "Delete account"):
        assert f">{heading}</h2>" in body
    assert 'aria-current="page">Settings</a>' in body
    assert Client().get("/dashboard/settings").status_code == 302


def test_profile_name_bio_and_avatar(member, member_client):
    response = member_client.post(
        "/dashboard/settings/profile", {"name": "Ada L.", "bio": "Makes cards.", "avatar": png()}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.name == "Ada L." and member.bio == "Makes cards."
    assert member.avatar_url.startswith(settings.SITE_URL + "/media/avatars/")
    served = Client().get(member.avatar_url.removeprefix(settings.SITE_URL))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert member.avatar_url in Client().get(f"/{member.username}").content.decode()


def test_avatar_type_and_size_are_checked(member, member_client, monkeypatch):
    fake = io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    fake.name = "me.png"
    response = member_client.post("/dashboard/settings/profile", {"name": "x", "avatar": fake})
    assert (
        response.status_code == 400
        and 'id="id_avatar_error"' in response.content.decode()
        or ("valid image" in response.content.decode())
    )
    monkeypatch.setattr("marketplace.forms.AVATAR_MAX_BYTES", 10)
    response = member_client.post("/dashboard/settings/profile", {"name": "x", "avatar": png()})
    assert response.status_code == 400 and "larger than 1 MB" in response.content.decode()
    member.refresh_from_db()
    assert member.avatar_url == "" and member.name != "x"


def confirmation_link() -> str:
    body = mail.outbox[-1].body
    return re.search(re.escape(settings.SITE_URL) + r"(/account/email/\S+)", body).group(1)


def test_email_changes_only_when_the_new_address_opens_the_link(
    member, member_client, django_capture_on_commit_callbacks
):
    old = member.email
    response = member_client.post(
        "/dashboard/settings/email", {"email": "New.Me@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new.me@example.com"]
    member.refresh_from_db()
    assert member.email == old  # not yet
    link = confirmation_link()
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().get(link).status_code == 302  # works from any browser: the mailbox is the proof
    member.refresh_from_db()
    assert member.email == "new.me@example.com"
    assert mail.outbox[-1].to == [old] and "new.me@example.com" in mail.outbox[-1].body  # the old one is told
    assert Client().get(link).status_code == 400  # used: the token names the old address


def test_email_change_refuses_wrong_password_taken_address_and_bad_links(member, member_client):
    other = User.objects.create_user("taken@example.com", "taken", PASSWORD)
    bad = member_client.post("/dashboard/settings/email", {"email": "x@example.com", "password": "wrong"})
    assert bad.status_code == 400 and "The password is incorrect." in bad.content.decode()
    taken = member_client.post("/dashboard/settings/email", {"email": other.email, "password": PASSWORD})
    assert taken.status_code == 400 and "already exists" in taken.content.decode()
    assert not mail.outbox
    member_client.post("/dashboard/settings/email", {"email": "mine@example.com", "password": PASSWORD})
    link = confirmation_link()
    assert Client().get(link[:-3] + "abc").status_code == 400  # tampered
    account_services.EMAIL_CHANGE_MAX_AGE, saved = (
        timedelta(seconds=-1),
        account_services.EMAIL_CHANGE_MAX_AGE,
    )
    try:
        expired = Client().get(link)
    finally:
        account_services.EMAIL_CHANGE_MAX_AGE = saved
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    member.refresh_from_db()
    assert member.email != "mine@example.com"


def test_password_change_keeps_this_session_and_ends_others(member, member_client):
    other = Client()
    other.force_login(member)
    assert other.get("/dashboard").status_code == 200
    tokens = account_services.tokens_for_user(member)
    response = member_client.post(
        "/dashboard/settings/password",
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase 77",
            "new_password2": "a new long passphrase 77",
        },
    )
    assert response.status_code == 302
    assert member_client.get("/dashboard/settings").status_code == 200  # still signed in
    assert other.get("/dashboard").status_code == 302  # signed out
    refreshed = Client().post(
        "/api/auth/refresh", {"refreshToken": tokens["refreshToken"]}, content_type="application/json"
    )
    assert refreshed.status_code == 401  # the signal in accounts blacklisted it
    wrong = member_client.post(
        "/dashboard/settings/password", {"old_password": "nope", "new_password1": "x", "new_password2": "y"}
    )
    assert wrong.status_code == 400


def test_sign_out_everywhere_keeps_this_session(member, member_client):
    other = Client()
    other.force_login(member)
    member_client.get("/dashboard")
    assert member_client.post("/dashboard/settings/sign-out-everywhere").status_code == 302
    assert member_client.get("/dashboard").status_code == 200
    assert other.get("/dashboard").status_code == 302


def test_delete_account_revokes_keys_and_unpublishes_templates(member, member_client):
    template = template_publish(user=member, files=example_files("og-card")).template
    _, raw = account_services.api_key_create(user=member, name="ci")
    page = member_client.get("/dashboard/settings/delete").content.decode()
    assert "og-card" in page and "revoked" in page and "unpublished" in page
    assert member_client.post("/dashboard/settings/delete", {"password": "wrong"}).status_code == 400
    assert not ApiKey.objects.filter(user=member, revoked_at__isnull=False).exists()
    response = member_client.post("/dashboard/settings/delete", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not ApiKey.objects.filter(user=member, revoked_at=None).exists()
    assert Client().get("/api/templates", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert Template.objects.get(pk=template.pk).unpublished_at is not None
    assert Client().get(f"/{member.username}/og-card").status_code == 404
    member.refresh_from_db()
    assert not member.is_active and not member.has_usable_password()
    assert member_client.get("/dashboard").status_code == 302
    assert not Client().login(email=member.email, password=PASSWORD)


def test_delete_account_waits_for_an_active_subscription_to_be_cancelled(member, member_client):
    from billing.models import Subscription

    Subscription.objects.create(user=member, stripe_customer_id="cus_1", stripe_subscription_id="sub_1",
                                status="active", plan_code="pro")  # fmt: skip
    page = member_client.get("/dashboard/settings/delete").content.decode()
    assert "cancel it on the Usage &amp; billing page" in page and "Delete my account" not in page
    assert member_client.post("/dashboard/settings/delete", {"password": PASSWORD}).status_code == 400
    member.refresh_from_db()
    assert member.is_active
    Subscription.objects.filter(user=member).update(status="canceled")
    assert member_client.post("/dashboard/settings/delete", {"password": PASSWORD}).status_code == 302


def test_wrong_current_passwords_count_as_failed_sign_ins(member, member_client, settings):
    """A stolen session cannot try passwords without limit through the settings forms: each wrong
    current password counts with the sign-in lockout (issue 22, item 7's guard), and locks both."""
    from rest_framework.test import APIClient

    settings.LOGIN_FAILURES_PER_ACCOUNT = "3/15m"
    member_client.post("/dashboard/settings/email", {"email": "x@example.com", "password": "wrong 1"})
    member_client.post(
        "/dashboard/settings/password",
        {
            "old_password": "wrong 2",
            "new_password1": "a new long passphrase 8",
            "new_password2": "a new long passphrase 8",
        },
    )
    member_client.post("/dashboard/settings/delete", {"password": "wrong 3"})
    refused = member_client.post(
        "/dashboard/settings/email", {"email": "x@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 400 and "Too many failed sign-in attempts" in refused.content.decode()
    assert not mail.outbox
    api = APIClient().post("/api/auth/login", {"email": member.email, "password": PASSWORD}, format="json")
    assert api.status_code == 429 and api.json()["error"]["code"] == "too_many_login_attempts"
    member.refresh_from_db()
    assert member.is_active and member.check_password(PASSWORD)
