"""Staff moderation in /admin: every action works and is logged."""

from django.test import Client
from django.utils import timezone

from accounts.services import api_key_create, tokens_for_user
from moderation.models import ModerationLog, TemplateViolation
from rendering.models import RenderJob
from templates_registry.models import Template
from tests.conftest import PASSWORD


def action(client, model_path, name, ids, reason=""):
    return client.post(
        f"/admin/{model_path}/",
        {"action": name, "_selected_action": [str(i) for i in ids], "reason": reason, "index": 0},
    )


def test_feature_unfeature_unpublish(official, staff, staff_client):
    _, templates = official
    og = templates["og-card"]
    action(staff_client, "templates_registry/template", "feature", [og.pk])
    assert Template.objects.get(pk=og.pk).featured
    assert "Featured" in Client().get("/").content.decode()
    action(staff_client, "templates_registry/template", "unfeature", [og.pk])
    assert not Template.objects.get(pk=og.pk).featured
    action(staff_client, "templates_registry/template", "unpublish", [og.pk], reason="spam")
    assert Template.objects.get(pk=og.pk).unpublished_at is not None
    assert "og-card" not in Client().get("/templates?q=card").content.decode()
    logged = list(
        ModerationLog.objects.order_by("pk").values_list("action", "actor", "target_label", "reason")
    )
    assert logged == [
        ("feature", staff.pk, "loopwind/og-card", ""),
        ("unfeature", staff.pk, "loopwind/og-card", ""),
        ("unpublish", staff.pk, "loopwind/og-card", "spam"),
    ]


def test_violation_hides_and_tells_the_owner(official, staff_client):
    owner, templates = official
    quote = templates["quote-card"]
    response = action(staff_client, "templates_registry/template", "mark_violating", [quote.pk])
    assert not TemplateViolation.objects.exists()  # a reason is required
    action(staff_client, "templates_registry/template", "mark_violating", [quote.pk], reason="Copied artwork")
    assert TemplateViolation.objects.get(template=quote).reason == "Copied artwork"
    assert Client().get("/loopwind/quote-card").status_code == 404
    owner_client = Client()
    owner_client.force_login(owner)
    assert owner_client.get("/loopwind/quote-card").status_code == 404
    dashboard = owner_client.get("/dashboard").content.decode()
    assert "quote-card was removed by moderators" in dashboard and "Copied artwork" in dashboard
    assert ModerationLog.objects.filter(action="violation", reason="Copied artwork").exists()
    action(staff_client, "templates_registry/template", "clear_violation", [quote.pk])
    assert not TemplateViolation.objects.exists()
    assert response.status_code == 302


def test_suspend_ends_sessions_tokens_and_keys(member, member_client, staff_client, api):
    _, raw_key = api_key_create(user=member, name="k")
    tokens = tokens_for_user(member)
    assert member_client.get("/dashboard").status_code == 200
    action(staff_client, "accounts/user", "suspend", [member.pk], reason="abuse")
    member.refresh_from_db()
    assert not member.is_active
    assert member_client.get("/dashboard").status_code == 302  # signed out
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert api.get("/api/me").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['token']}")
    assert api.get("/api/me").status_code == 401
    api.credentials()
    assert (
        api.post("/api/auth/refresh", {"refreshToken": tokens["refreshToken"]}, format="json").status_code
        == 401
    )
    assert (
        Client().post("/login", {"username": member.email, "password": PASSWORD}).status_code == 200
    )  # refused
    assert ModerationLog.objects.filter(
        action="suspend", target_label=member.username, reason="abuse"
    ).exists()
    action(staff_client, "accounts/user", "unsuspend", [member.pk])
    member.refresh_from_db()
    assert member.is_active


def test_job_retry(official, member, staff_client, monkeypatch):
    owner, templates = official
    og = templates["og-card"]
    queued = []
    monkeypatch.setattr("rendering.jobs.render_job_enqueue", lambda job: queued.append(job.public_id))
    failed = RenderJob.objects.create(user=member, template=og, version=og.latest_version, format="png",
                                      status="failed", error_code="render_timeout", completed_at=timezone.now())  # fmt: skip
    done = RenderJob.objects.create(
        user=member, template=og, version=og.latest_version, format="png", status="completed"
    )
    action(staff_client, "rendering/renderjob", "retry", [failed.pk, done.pk])
    failed.refresh_from_db()
    assert failed.status == "queued" and failed.error_code == "" and queued == [failed.public_id]
    assert RenderJob.objects.get(pk=done.pk).status == "completed"
    assert ModerationLog.objects.filter(action="job_retry", target_id=failed.public_id).count() == 1


def test_admin_pages_load(official, member, staff_client):
    for path in (
        "/admin/",
        "/admin/templates_registry/template/",
        "/admin/accounts/user/",
        "/admin/rendering/renderjob/?status__exact=failed",
        f"/admin/rendering/renderjob/?q={member.username}",
        f"/admin/rendering/renderjob/?user__id__exact={member.pk}&status__exact=completed",
        "/admin/rendering/webhookdelivery/",
        "/admin/rendering/render/",
        "/admin/billing/plan/",
        "/admin/billing/usage/",
        "/admin/billing/subscription/",
        "/admin/moderation/moderationlog/",
        "/admin/moderation/templateviolation/",
    ):
        assert staff_client.get(path).status_code == 200, path
    assert Client().get("/admin/moderation/moderationlog/").status_code == 302


def test_a_violating_template_cannot_be_published_again(official, staff_client):
    from rest_framework.test import APIClient

    from accounts.services import tokens_for_user
    from tests.templates_registry.helpers import example_files, publish

    owner, templates = official
    action(
        staff_client,
        "templates_registry/template",
        "mark_violating",
        [templates["og-card"].pk],
        reason="Stolen",
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(owner)['token']}")
    response = publish(api, files=example_files("og-card"), version="1.0.1")
    assert response.status_code == 403 and response.json()["error"]["code"] == "template_removed"
    assert "Stolen" in response.json()["error"]["message"]
    assert Template.objects.get(pk=templates["og-card"].pk).unpublished_at is not None
    assert templates["og-card"].versions.count() == 1  # nothing half-published
    action(staff_client, "templates_registry/template", "clear_violation", [templates["og-card"].pk])
    assert publish(api, files=example_files("og-card"), version="1.0.1").status_code == 201
