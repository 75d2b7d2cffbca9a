"""Organizations on the website (issue 15, item 7): the permission matrix of the org pages and of the
dashboard working as an organization, in the healthchecks style — owner (alice), admin (bob), member
(carol), a member of another organization (dave, globex) and a signed-out visitor. Allowed: the page
or its redirect; a role too low: the 403 page naming the role; an outsider: 404 (names do not leak);
a visitor: the sign-in page. Then the invitation flow end to end, and the public profile."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client, TestCase

from accounts.models import ApiKey, AuditEvent, Invitation, Membership, Role, User
from accounts.services import api_key_create
from billing.models import Usage
from billing.services import usage_record
from orgs.services import invitation_create
from templates_registry.services import template_publish
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db

RANK = {"member": 0, "admin": 1, "owner": 2}


def client_for(person: User | None, *, account: str | None = None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
        if account:
            response = client.post("/dashboard/account", {"account": account})
            assert response.status_code == 302, response.status_code
    return client


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    path: str
    needed: str
    data: dict | None = None
    as_org: bool = False  # a dashboard page that works as the account chosen in the switcher


PAGES = [
    Page("members", "get", "/dashboard/orgs/acme/members", "member"),
    Page("leave-confirm", "get", "/dashboard/orgs/acme/leave", "member"),
    Page("invitations", "get", "/dashboard/orgs/acme/invitations", "admin"),
    Page("invite", "post", "/dashboard/orgs/acme/invitations", "admin", {"email": "new@example.com", "role": "member"}),
    Page("revoke-invitation", "post", "/dashboard/orgs/acme/invitations/{invitation}/revoke", "admin", {}),
    Page("audit", "get", "/dashboard/orgs/acme/audit", "admin"),
    Page("profile", "get", "/dashboard/orgs/acme/profile", "admin"),
    Page("profile-save", "post", "/dashboard/orgs/acme/profile", "admin", {"name": "Acme 2", "bio": "", "avatar_url": ""}),
    Page("remove-confirm", "get", "/dashboard/orgs/acme/members/erin/remove", "admin"),
    Page("remove", "post", "/dashboard/orgs/acme/members/erin/remove", "admin", {}),
    Page("role-change", "post", "/dashboard/orgs/acme/members/erin/role", "owner", {"role": "admin"}),
    Page("delete-confirm", "get", "/dashboard/orgs/acme/delete", "owner"),
    Page("delete", "post", "/dashboard/orgs/acme/delete", "owner", {}),
    Page("overview", "get", "/dashboard", "member", as_org=True),
    Page("renders", "get", "/dashboard/renders", "member", as_org=True),
    Page("keys", "get", "/dashboard/keys", "admin", as_org=True),
    Page("key-create", "post", "/dashboard/keys", "admin", {"name": "from-the-site", "scopes": ["render:read"]}, as_org=True),
    Page("key-revoke", "post", "/dashboard/keys/{key}/revoke", "admin", {}, as_org=True),
    Page("webhooks", "get", "/dashboard/webhooks", "admin", as_org=True),
    Page("billing", "get", "/dashboard/billing", "owner", as_org=True),
    Page("checkout", "post", "/dashboard/billing/checkout", "owner", {"plan": "pro"}, as_org=True),
]  # fmt: skip


@pytest.fixture
def acme(team):
    """The team, with a fourth member (erin) to remove or promote, a pending invitation and a key."""
    erin = User.objects.create(username="erin", email="erin@example.com", name="Erin")
    Membership.objects.create(org=team.org, user=erin, role=Role.MEMBER)
    invitation, _token = invitation_create(org=team.org, actor=team.alice, email="pending@example.com")
    key, _raw = api_key_create(user=team.org, name="acme-ci", actor=team.alice)
    return {"team": team, "invitation": invitation.public_id, "key": key.public_id}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
@pytest.mark.parametrize("who", ["owner", "admin", "member", "outsider", "visitor"])
def test_permission_matrix(acme, page, who):
    team = acme["team"]
    person = team.people()[who]
    path = page.path.format(invitation=acme["invitation"], key=acme["key"])
    membership = team.org.memberships.filter(user=person).first() if person is not None else None
    allowed = membership is not None and RANK[membership.role] >= RANK[page.needed]
    if who == "outsider" and page.as_org:
        # dave cannot make acme his account: the switch is a 404, and the page stays his own
        client = client_for(person)
        assert client.post("/dashboard/account", {"account": "acme"}).status_code == 404
        response = getattr(client, page.method)(path, page.data or {})
        assert b"acme-ci" not in response.content
        assert "Working as" not in response.content.decode()
        assert _org_exists(team)
        return
    client = client_for(person, account="acme" if page.as_org and person is not None else None)
    response = getattr(client, page.method)(path, page.data or {})
    if who == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith("/login?next=")
    elif who == "outsider":
        assert response.status_code == 404, (who, page.name, response.status_code)
    elif allowed:
        assert response.status_code in (200, 302), (who, page.name, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith("/login")
    else:
        assert response.status_code == 403, (who, page.name, response.status_code)
        assert f"needs the {page.needed} role in acme" in response.content.decode()
    _assert_effects(team, page, allowed=allowed)


def _org_exists(team) -> bool:
    # a deleted org keeps its row (so its slug stays taken) but is no longer active
    return User.objects.filter(pk=team.org.pk, is_active=True).exists()


def _assert_effects(team, page: Page, *, allowed: bool) -> None:
    """The writes happened exactly when allowed (the database, not only the status)."""
    if page.name == "delete":
        assert _org_exists(team) is not allowed
    elif page.name == "remove":
        assert Membership.objects.filter(org=team.org, user__username="erin").exists() is not allowed
    elif page.name == "role-change":
        role = Membership.objects.get(org=team.org, user__username="erin").role
        assert role == ("admin" if allowed else "member")
    elif page.name == "invite":
        assert Invitation.objects.filter(org=team.org, email="new@example.com").exists() is allowed
    elif page.name == "revoke-invitation":
        revoked = Invitation.objects.get(email="pending@example.com").revoked_at is not None
        assert revoked is allowed
    elif page.name == "profile-save":
        assert (User.objects.get(pk=team.org.pk).name == "Acme 2") is allowed
    elif page.name == "key-create":
        assert ApiKey.objects.filter(user=team.org, name="from-the-site").exists() is allowed
    elif page.name == "key-revoke":
        assert (ApiKey.objects.get(name="acme-ci").revoked_at is not None) is allowed


def test_the_page_of_a_stranger_org_is_404_even_with_a_session_naming_it(team):
    client = client_for(team.dave)
    session = client.session
    session["dashboard:account"] = "acme"  # as if forged or left from a membership that ended
    session.save()
    body = client.get("/dashboard").content.decode()
    assert "Working as" not in body and "Your personal account" in body
    assert client.session.get("dashboard:account") is None


def test_a_member_removed_meanwhile_falls_back_to_the_personal_account(team):
    client = client_for(team.carol, account="acme")
    assert "Working as" in client.get("/dashboard").content.decode()
    Membership.objects.filter(org=team.org, user=team.carol).delete()
    body = client.get("/dashboard").content.decode()
    assert "Your personal account" in body and "Templates of acme" not in body
    assert client.get("/dashboard/orgs/acme/members").status_code == 404


def test_the_switcher_lists_the_personal_account_and_each_org_with_the_role(team):
    body = client_for(team.bob).get("/dashboard").content.decode()
    assert "@bob (your personal account)" in body
    assert "acme (admin)" in body
    assert "globex" not in body


def test_switching_keeps_the_page_when_the_role_allows_it(team):
    client = client_for(team.carol)
    response = client.post("/dashboard/account", {"account": "acme", "next": "/dashboard/keys"})
    assert response["Location"] == "/dashboard"  # a member has no keys page: the overview
    response = client_for(team.bob).post("/dashboard/account", {"account": "acme", "next": "/dashboard/keys"})
    assert response["Location"] == "/dashboard/keys"
    response = client_for(team.bob).post(
        "/dashboard/account", {"account": "acme", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/dashboard"


def test_keys_made_and_revoked_as_the_org_name_the_person_in_the_audit_log(team):
    client = client_for(team.bob, account="acme")
    response = client.post("/dashboard/keys", {"name": "deploy", "scopes": ["render:read"], "form_token": ""})
    assert response.status_code == 200 and b"lw_live_" in response.content
    key = ApiKey.objects.get(name="deploy")
    assert key.user_id == team.org.pk and key.created_by_id == team.bob.pk
    assert client.post(f"/dashboard/keys/{key.public_id}/revoke").status_code == 302
    events = list(
        AuditEvent.objects.filter(org=team.org, action__startswith="key.").values_list("action", "actor_name")
    )
    assert events == [("key.created", "bob"), ("key.revoked", "bob")]
    audit_page = client.get("/dashboard/orgs/acme/audit").content.decode()
    assert "key.revoked" in audit_page and "@bob" in audit_page


def test_the_last_owner_cannot_leave_or_be_demoted(team):
    client = client_for(team.alice)
    response = client.post("/dashboard/orgs/acme/leave", follow=True)
    assert "make someone else owner first" in response.content.decode()
    response = client.post("/dashboard/orgs/acme/members/alice/role", {"role": "member"}, follow=True)
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.get(org=team.org, user=team.alice).role == "owner"


def test_a_member_leaves(team):
    client = client_for(team.carol, account="acme")
    assert client.post("/dashboard/orgs/acme/leave")["Location"] == "/dashboard"
    assert not Membership.objects.filter(org=team.org, user=team.carol).exists()
    assert "Your personal account" in client.get("/dashboard").content.decode()


def test_create_an_org_from_the_dashboard(team):
    client = client_for(team.carol)
    assert client.get("/dashboard/orgs/new").status_code == 200
    response = client.post("/dashboard/orgs/new", {"username": "initech", "name": "Initech", "bio": ""})
    assert response["Location"] == "/dashboard/orgs/initech/members"
    org = User.objects.get(username="initech")
    assert org.is_org and Membership.objects.get(org=org, user=team.carol).role == "owner"
    assert "Working as" in client.get("/dashboard").content.decode()
    taken = client.post("/dashboard/orgs/new", {"username": "acme"})
    assert taken.status_code == 400 and "taken" in taken.content.decode()
    reserved = client.post("/dashboard/orgs/new", {"username": "invitations"})
    assert reserved.status_code == 400
    assert Client().get("/dashboard/orgs/new")["Location"].startswith("/login")


def test_invite_accept_switch_and_see_the_org_usage(team, settings):
    settings.SITE_URL = "https://loopwind.test"
    erin = User.objects.create(username="erin", email="erin@example.com", name="Erin")
    # the organization's renders this month
    usage_record(user=team.org, usage_type=Usage.Type.IMAGE_RENDER, amount=7)
    admin = client_for(team.bob)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin.post(
            "/dashboard/orgs/acme/invitations", {"email": "Erin@Example.com", "role": "member"}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["erin@example.com"]
    token = re.search(r"https://loopwind\.test/invitations/(\S+)", mail.outbox[0].body).group(1)
    path = f"/invitations/{token}"
    assert "erin@example.com" in admin.get("/dashboard/orgs/acme/invitations").content.decode()

    # signed out: the sign-in page, then back here
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"] == f"/login?next=%2Finvitations%2F{token}"

    invitee = client_for(erin)
    page = invitee.get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Join Acme Inc." in body and "@bob" in body and "<strong>member</strong>" in body
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]

    response = invitee.post(path)
    assert response.status_code == 302 and response["Location"] == "/dashboard"
    assert Membership.objects.get(org=team.org, user=erin).role == "member"
    overview = invitee.get("/dashboard").content.decode()
    assert "Working as" in overview and "Templates of acme" in overview
    assert re.search(r'data-usage="imageRenders">.*?<span class="usage-num">7 /', overview, re.S)
    assert AuditEvent.objects.filter(org=team.org, action="member.joined", actor_name="erin").exists()

    # the link worked once
    again = invitee.post(path)
    assert again.status_code == 404 and "was used or revoked, or has expired" in again.content.decode()

    # erin switches back: her own usage, not the organization's
    invitee.post("/dashboard/account", {"account": ""})
    personal = invitee.get("/dashboard").content.decode()
    assert re.search(r'data-usage="imageRenders">.*?<span class="usage-num">0 /', personal, re.S)

    # and a member of another organization still gets 404 on all of it
    stranger = client_for(team.dave)
    for page_path in ("members", "invitations", "audit", "profile", "delete"):
        assert stranger.get(f"/dashboard/orgs/acme/{page_path}").status_code == 404


def test_an_invitation_for_someone_else_is_refused_clearly(team):
    _invitation, token = invitation_create(org=team.org, actor=team.alice, email="someone@example.com")
    client = client_for(team.dave)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200 and "sent to another email address" in page.content.decode()
    assert b"Accept and join" not in page.content
    response = client.post(f"/invitations/{token}")
    assert response.status_code == 403 and "another email address" in response.content.decode()
    assert not Membership.objects.filter(org=team.org, user=team.dave).exists()


def test_an_unknown_revoked_or_expired_invitation_says_so(team):
    client = client_for(team.dave)
    response = client.get("/invitations/not-a-token")
    assert response.status_code == 404 and "cannot be used" in response.content.decode()
    invitation, token = invitation_create(org=team.org, actor=team.alice, email="dave@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.created_at)
    assert client.get(f"/invitations/{token}").status_code == 404
    assert client.post(f"/invitations/{token}").status_code == 404
    assert not Membership.objects.filter(org=team.org, user=team.dave).exists()


def test_the_org_profile_says_organization_and_shows_members_its_private_templates(team):
    template_publish(user=team.org, files=example_files("og-card"), name="launch-card", private=True)
    template_publish(user=team.org, files=example_files("og-card"), name="public-card")
    visitor = Client().get("/acme").content.decode()
    assert "Organization</span>" in visitor
    assert "public-card" in visitor and "launch-card" not in visitor
    assert "launch-card" not in client_for(team.dave).get("/acme").content.decode()
    member = client_for(team.carol).get("/acme").content.decode()
    assert "launch-card" in member and "public-card" in member
    assert "Organization</span>" not in Client().get("/carol").content.decode()


def test_members_edit_org_templates_admins_unpublish_them(team):
    template_publish(user=team.org, files=example_files("og-card"), name="launch-card", private=True)
    template_publish(user=team.org, files=example_files("og-card"), name="public-card")
    member = client_for(team.carol, account="acme")
    page = member.get("/dashboard/templates/launch-card").content.decode()
    assert "launch-card" in page and "Unpublish launch-card" not in page
    assert member.post("/dashboard/templates/launch-card/unpublish").status_code == 403
    admin = client_for(team.bob, account="acme")
    assert "Unpublish launch-card" in admin.get("/dashboard/templates/launch-card").content.decode()
    assert admin.post("/dashboard/templates/launch-card/unpublish").status_code == 302
    event = AuditEvent.objects.get(org=team.org, action="template.unpublished")
    assert event.actor_name == "bob" and event.target == "launch-card"
    # the personal dashboard does not reach the organization's templates
    assert client_for(team.bob).get("/dashboard/templates/public-card").status_code == 404
    assert client_for(team.bob, account="acme").get("/dashboard/templates/public-card").status_code == 200


def test_checkout_and_portal_as_the_org_are_the_orgs(team, monkeypatch):
    from marketplace.views import dashboard

    calls = []
    monkeypatch.setattr(
        dashboard.stripe_billing,
        "checkout_session_create",
        lambda *, user, plan_code: (
            calls.append(("checkout", user.username, plan_code)) or "https://stripe.test/c"
        ),
    )
    monkeypatch.setattr(
        dashboard.stripe_billing,
        "portal_session_create",
        lambda *, user: calls.append(("portal", user.username)) or "https://stripe.test/p",
    )
    owner = client_for(team.alice, account="acme")
    assert owner.post("/dashboard/billing/checkout", {"plan": "pro"})["Location"] == "https://stripe.test/c"
    assert owner.post("/dashboard/billing/portal")["Location"] == "https://stripe.test/p"
    assert client_for(team.bob, account="acme").post("/dashboard/billing/portal").status_code == 403
    personal = client_for(team.alice)
    personal.post("/dashboard/billing/portal")
    assert calls == [("checkout", "acme", "pro"), ("portal", "acme"), ("portal", "alice")]


def test_only_owners_are_offered_and_may_invite_owners(team):
    admin = client_for(team.bob)
    assert 'value="owner"' not in admin.get("/dashboard/orgs/acme/invitations").content.decode()
    refused = admin.post("/dashboard/orgs/acme/invitations", {"email": "boss@example.com", "role": "owner"})
    assert refused.status_code == 400
    assert not Invitation.objects.filter(email="boss@example.com").exists()
    owner = client_for(team.alice)
    assert 'value="owner"' in owner.get("/dashboard/orgs/acme/invitations").content.decode()
    owner.post("/dashboard/orgs/acme/invitations", {"email": "boss@example.com", "role": "owner"})
    assert Invitation.objects.get(email="boss@example.com").role == "owner"


def test_the_template_page_offers_edit_while_working_as_its_account(team):
    template_publish(user=team.org, files=example_files("og-card"), name="launch-card", private=True)
    edit = 'href="/dashboard/templates/launch-card">Edit</a>'
    assert edit not in client_for(team.carol).get("/acme/launch-card").content.decode()
    assert edit in client_for(team.carol, account="acme").get("/acme/launch-card").content.decode()
    assert client_for(team.dave).get("/acme/launch-card").status_code == 404
    assert Client().get("/acme/launch-card").status_code == 404
