"""Organizations through the API: creating one, invitations, roles, acting for it, its keys, its
usage and audit log, deleting it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from accounts.models import ApiKey, AuditEvent, Invitation, Membership, User
from billing.models import Usage
from tests.conftest import assert_error
from tests.factories import UserFactory
from tests.orgs.conftest import client_for, key_client
from tests.templates_registry.helpers import example_files, publish

pytestmark = pytest.mark.django_db


def actions(org: User) -> list[str]:
    return list(AuditEvent.objects.filter(org=org).order_by("id").values_list("action", flat=True))


def invite(client, slug: str, email: str, role: str = "member"):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the email goes after the commit
        return client.post(f"/api/orgs/{slug}/invitations", {"email": email, "role": role}, format="json")


def token_from_mail(message) -> str:
    return re.search(r"/invitations/([\w-]+)", message.body).group(1)


# --- creating, the shared namespace --------------------------------------------------------------


def test_create_org_in_the_namespace_of_usernames(user, user_api, other_user):
    created = user_api.post("/api/orgs", {"username": "Acme", "name": "Acme Inc."}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["username"] == "acme" and body["role"] == "owner" and body["plan"] == "free"
    assert body["seats"] == 1 and body["seatsUsed"] == 1
    org = User.objects.get(username="acme")
    assert org.is_org and org.email is None and not org.has_usable_password()
    # a slug taken by an org or a person is refused, and so is a reserved word
    assert_error(user_api.post("/api/orgs", {"username": "acme"}, format="json"), 409, "username_taken")
    taken = user_api.post("/api/orgs", {"username": other_user.username}, format="json")
    assert_error(taken, 409, "username_taken")
    assert_error(user_api.post("/api/orgs", {"username": "admin"}, format="json"), 400, "invalid_username")
    assert_error(user_api.post("/api/orgs", {"username": 7}, format="json"), 400, "validation_error")
    assert_error(user_api.post("/api/orgs", {}, format="json"), 400, "validation_error")
    # a person can no longer sign up with it either
    signup = client_for(None).post(
        "/api/auth/register", {"email": "x@example.com", "password": "a long passphrase 123", "username": "acme"},
        format="json",
    )  # fmt: skip
    assert_error(signup, 409)
    # the profile and template URLs do not care that it is an org
    profile = client_for(None).get("/api/users/acme")
    assert profile.status_code == 200 and profile.json()["kind"] == "org"
    assert client_for(None).get("/api/users/" + user.username).json()["kind"] == "person"
    mine = user_api.get("/api/me/orgs").json()
    assert mine == [{"username": "acme", "name": "Acme Inc.", "avatarUrl": "", "role": "owner"}]
    assert actions(org) == ["org.created"]


def test_an_org_cannot_sign_in(team):
    login = client_for(None).post("/api/auth/login", {"email": "", "password": ""}, format="json")
    assert login.status_code == 400
    assert not team.org.check_password("")


# --- invitations -----------------------------------------------------------------------------


def test_invitation_flow_single_use_and_for_the_invited_email(team):
    admin = client_for(team.bob)
    erin = UserFactory(username="erin", email="erin@example.com")
    sent = invite(admin, "acme", "Erin@Example.com")
    assert sent.status_code == 201, sent.content
    assert sent.json()["email"] == "erin@example.com" and sent.json()["role"] == "member"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["erin@example.com"]
    token = token_from_mail(mail.outbox[0])
    assert sent.json()["url"].endswith(f"/invitations/{token}")
    assert Invitation.objects.get().token_hash != token  # only a hash is stored
    pending = admin.get("/api/orgs/acme/invitations").json()
    assert [i["email"] for i in pending] == ["erin@example.com"]
    # someone else signed in cannot use it, nor can a token for another org's path
    assert_error(client_for(team.dave).post(f"/api/orgs/acme/invitations/{token}/accept"), 403,
                 "invitation_email_mismatch")  # fmt: skip
    assert_error(
        client_for(erin).post(f"/api/orgs/globex/invitations/{token}/accept"), 404, "invitation_invalid"
    )
    accepted = client_for(erin).post(f"/api/orgs/acme/invitations/{token}/accept")
    assert accepted.status_code == 200 and accepted.json()["role"] == "member"
    assert Membership.objects.filter(org=team.org, user=erin, role="member").exists()
    # single use
    assert_error(
        client_for(erin).post(f"/api/orgs/acme/invitations/{token}/accept"), 404, "invitation_invalid"
    )
    assert admin.get("/api/orgs/acme/invitations").json() == []
    assert actions(team.org)[-2:] == ["member.invited", "member.joined"]


def test_invitation_expires_and_can_be_revoked(team):
    admin = client_for(team.bob)
    erin = UserFactory(email="erin@example.com")
    invite(admin, "acme", "erin@example.com")
    token = token_from_mail(mail.outbox[-1])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(
        client_for(erin).post(f"/api/orgs/acme/invitations/{token}/accept"), 404, "invitation_invalid"
    )
    sent = invite(admin, "acme", "erin@example.com").json()
    token = token_from_mail(mail.outbox[-1])
    assert admin.delete(f"/api/orgs/acme/invitations/{sent['id']}").status_code == 204
    assert_error(
        client_for(erin).post(f"/api/orgs/acme/invitations/{token}/accept"), 404, "invitation_invalid"
    )
    assert_error(admin.delete(f"/api/orgs/acme/invitations/{sent['id']}"), 404)
    assert "invitation.revoked" in actions(team.org)


def test_a_new_invitation_replaces_the_pending_one(team):
    admin = client_for(team.bob)
    erin = UserFactory(email="erin@example.com")
    invite(admin, "acme", "erin@example.com")
    first = token_from_mail(mail.outbox[-1])
    invite(admin, "acme", "erin@example.com", role="admin")
    second = token_from_mail(mail.outbox[-1])
    assert_error(client_for(erin).post(f"/api/orgs/acme/invitations/{first}/accept"), 404)
    assert client_for(erin).post(f"/api/orgs/acme/invitations/{second}/accept").json()["role"] == "admin"


def test_invitations_fit_the_plans_seats(team, user_api, user):
    # a Free org has one seat, its owner's: teams need Business
    user_api.post("/api/orgs", {"username": "tiny"}, format="json")
    assert_error(invite(user_api, "tiny", "x@example.com"), 403, "plan_limit")
    # Business: 10 seats, members and pending invitations together (acme has 3 members)
    admin = client_for(team.bob)
    for number in range(7):
        assert invite(admin, "acme", f"p{number}@example.com").status_code == 201
    full = assert_error(invite(admin, "acme", "one-more@example.com"), 403, "plan_limit")
    assert full["details"] == {"seats": 10, "used": 10, "plan": "business"}
    assert_error(invite(admin, "acme", "carol@example.com"), 409, "already_member")


def test_only_owners_invite_owners_and_bad_input(team):
    admin = client_for(team.bob)
    assert_error(invite(admin, "acme", "x@example.com", role="owner"), 403, "insufficient_role")
    assert_error(invite(admin, "acme", "not-an-email"), 400, "validation_error")
    assert_error(invite(admin, "acme", "x@example.com", role="emperor"), 400, "validation_error")
    assert_error(admin.post("/api/orgs/acme/invitations", {"email": ["x@example.com"]}, format="json"), 400)
    assert_error(admin.post("/api/orgs/acme/invitations", "x" * 10, content_type="application/json"), 400)
    assert invite(client_for(team.alice), "acme", "x@example.com", role="owner").status_code == 201


# --- roles, leaving, the last owner ------------------------------------------------------------


def test_roles_and_the_last_owner(team):
    owner = client_for(team.alice)
    assert_error(
        owner.patch("/api/orgs/acme/members/alice", {"role": "admin"}, format="json"), 409, "last_owner"
    )
    assert_error(owner.delete("/api/orgs/acme/members/alice"), 409, "last_owner")
    # admins manage members but not roles
    assert_error(client_for(team.bob).patch("/api/orgs/acme/members/carol", {"role": "admin"}, format="json"),
                 403, "insufficient_role")  # fmt: skip
    promoted = owner.patch("/api/orgs/acme/members/bob", {"role": "owner"}, format="json")
    assert promoted.status_code == 200 and promoted.json()["role"] == "owner"
    assert owner.delete("/api/orgs/acme/members/alice").status_code == 204  # alice leaves; bob owns
    assert not Membership.objects.filter(org=team.org, user=team.alice).exists()
    assert_error(owner.get("/api/orgs/acme"), 404, "account_not_found")
    assert_error(client_for(team.bob).patch("/api/orgs/acme/members/nobody", {"role": "admin"}, format="json"),
                 404, "member_not_found")  # fmt: skip
    assert_error(client_for(team.bob).patch("/api/orgs/acme/members/carol", {"role": 3}, format="json"), 400)
    assert actions(team.org)[-2:] == ["member.role_changed", "member.left"]


def test_members_leave_and_admins_remove_but_not_owners(team):
    assert_error(client_for(team.bob).delete("/api/orgs/acme/members/alice"), 403, "insufficient_role")
    assert client_for(team.carol).delete("/api/orgs/acme/members/carol").status_code == 204  # leaves
    eve = UserFactory()
    Membership.objects.create(org=team.org, user=eve)
    assert_error(client_for(team.carol).delete(f"/api/orgs/acme/members/{eve.username}"), 404)  # not a member
    assert client_for(team.bob).delete(f"/api/orgs/acme/members/{eve.username}").status_code == 204
    members = client_for(team.alice).get("/api/orgs/acme/members").json()
    assert [(m["username"], m["role"]) for m in members] == [("alice", "owner"), ("bob", "admin")]


# --- acting for the org: publish, render, keys, usage, audit -----------------------------------


def test_a_member_publishes_privately_and_an_org_key_renders_for_the_org(team):
    carol_as_acme = client_for(team.carol, account="acme")
    files = example_files("og-card")
    published = publish(carol_as_acme, files=files, name="launch-card", private="true")
    assert published.status_code == 201, published.content
    assert published.json()["author"] == "acme" and published.json()["url"].endswith("/acme/launch-card")
    # members may not make keys (admins do); bob makes one for the org
    assert_error(carol_as_acme.post("/api/keys", {"name": "ci"}, format="json"), 403, "insufficient_role")
    created = client_for(team.bob, account="acme").post("/api/keys", {"name": "ci"}, format="json")
    assert created.status_code == 201
    key = ApiKey.objects.get(public_id=created.json()["id"])
    assert key.user == team.org and key.created_by == team.bob
    org_key = key_client(created.json()["key"])
    rendered = org_key.post(
        "/api/render", {"template": "acme/launch-card", "props": {"title": "Launch"}}, format="json"
    )
    assert rendered.status_code == 200, rendered.content[:300]
    # the render counts for acme, not for carol or bob
    counts = dict(Usage.objects.filter(type="image_render").values_list("user__username", "count"))
    assert counts == {"acme": 1}
    usage = client_for(team.carol, account="acme").get("/api/me/usage")
    assert usage.status_code == 200 and usage.json()["imageRenders"]["used"] == 1
    assert usage.json()["account"] == "acme"
    assert client_for(team.carol).get("/api/me/usage").json()["imageRenders"]["used"] == 0
    # a member of another org, and the org's own key with a header naming another account, get nothing
    assert_error(client_for(team.dave).get("/api/templates/acme/launch-card"), 404)
    assert_error(
        client_for(team.dave, account="acme").get("/api/templates/acme/launch-card"), 404, "account_not_found"
    )
    dave_key = (
        client_for(team.dave, account="globex").post("/api/keys", {"name": "x"}, format="json").json()["key"]
    )
    stranger = key_client(dave_key)
    assert_error(stranger.post("/api/render", {"template": "acme/launch-card"}, format="json"), 404)
    mismatch = key_client(created.json()["key"], account="globex")
    assert_error(mismatch.get("/api/me/usage"), 400, "account_mismatch")
    # members see the org's private template with their own token too (like a private repo)
    assert client_for(team.carol).get("/api/templates/acme/launch-card").status_code == 200
    audit = client_for(team.bob).get("/api/orgs/acme/audit").json()
    assert [e["action"] for e in audit][:2] == ["key.created", "template.published"]
    assert audit[1]["actor"] == "carol" and audit[1]["target"] == "launch-card@1.0.0"
    assert audit[0]["actor"] == "bob"
    assert_error(client_for(team.carol).get("/api/orgs/acme/audit"), 403, "insufficient_role")


def test_publish_to_an_org_by_owner_field_or_manifest_prefix(team):
    carol = client_for(team.carol)
    files = example_files("og-card")
    assert publish(carol, files=files, name="by-field", owner="acme").json()["author"] == "acme"
    import json

    manifest = json.loads(files["loopwind.json"])
    manifest["name"] = "acme/by-manifest"
    prefixed = {**files, "loopwind.json": json.dumps(manifest).encode()}
    assert publish(carol, files=prefixed).json()["url"].endswith("/acme/by-manifest")
    assert assert_error(publish(client_for(team.dave), files=prefixed), 404, "account_not_found")
    # acting for globex, dave cannot publish into acme by naming it
    assert_error(
        publish(client_for(team.dave, account="globex"), files=files, owner="acme"), 400, "account_mismatch"
    )


def test_org_key_cannot_manage_the_org_or_its_billing(team):
    key = client_for(team.bob, account="acme").post("/api/keys", {"name": "ci", "scopes": ["keys:manage"]},
                                                    format="json").json()["key"]  # fmt: skip
    org_key = key_client(key)
    assert_error(
        org_key.post("/api/billing/checkout", {"plan": "pro"}, format="json"), 403, "insufficient_role"
    )
    assert_error(org_key.get("/api/orgs/acme/members"), 403, "person_required")
    assert_error(org_key.patch("/api/me", {"name": "x"}, format="json"), 403, "personal_account_only")
    assert org_key.get("/api/me").json()["username"] == "acme"


def test_revoked_membership_takes_effect_on_the_next_request(team):
    carol_as_acme = client_for(team.carol, account="acme")
    assert carol_as_acme.get("/api/me/usage").status_code == 200
    Membership.objects.filter(user=team.carol).delete()
    assert_error(carol_as_acme.get("/api/me/usage"), 404, "account_not_found")


# --- deleting ---------------------------------------------------------------------------------


def test_delete_org_revokes_its_keys_first(team):
    carol_as_acme = client_for(team.carol, account="acme")
    assert publish(carol_as_acme, files=example_files("og-card"), name="launch-card").status_code == 201
    raw = client_for(team.bob, account="acme").post("/api/keys", {"name": "ci"}, format="json").json()["key"]
    org_key = key_client(raw)
    assert org_key.get("/api/me/usage").status_code == 200  # cached on the hot path now
    assert_error(client_for(team.bob).delete("/api/orgs/acme"), 403, "insufficient_role")
    assert client_for(team.alice).delete("/api/orgs/acme").status_code == 204
    assert_error(org_key.get("/api/me/usage"), 401)
    assert_error(client_for(None).get("/api/templates/acme/launch-card"), 404)
    assert_error(client_for(None).get("/api/users/acme"), 404)
    # the slug stays taken: nobody publishes under the URLs pages still point at
    assert_error(
        client_for(team.dave).post("/api/orgs", {"username": "acme"}, format="json"), 409, "username_taken"
    )
    assert not Membership.objects.filter(user=team.carol).exists()
    assert client_for(team.alice).get("/api/me/orgs").json() == []


def test_set_plan_takes_an_org_slug_and_a_trial(team, capsys):
    call_command("set_plan", "globex", "pro", "--days", "14")
    team.other_org.refresh_from_db()
    assert team.other_org.plan == "pro" and team.other_org.plan_expires_at > timezone.now()
    assert "until" in capsys.readouterr().out
    from billing.plans import plan_limits

    team.other_org.plan_expires_at = timezone.now() - timedelta(seconds=1)
    assert plan_limits(team.other_org).code == "free"  # a trial ends on its own
    assert AuditEvent.objects.filter(org=team.other_org, action="billing.changed").count() == 2


def test_the_only_owner_cannot_delete_their_account(team):
    from core.errors import ApiError
    from marketplace.services import account_delete_allowed_or_raise

    with pytest.raises(ApiError) as refused:
        account_delete_allowed_or_raise(user=team.alice)
    assert refused.value.code == "last_owner" and refused.value.details == {"orgs": ["acme"]}
    client_for(team.alice).patch("/api/orgs/acme/members/bob", {"role": "owner"}, format="json")
    account_delete_allowed_or_raise(user=team.alice)  # bob owns acme too now


def test_the_render_fast_path_honours_the_account_header(team):
    """POST /api/render's lean hit path (rendering/fastpath.py) must answer a key sent with a header
    naming another account as the ordinary path does: 400 account_mismatch, nothing rendered for
    the key's own account instead."""
    carol_as_acme = client_for(team.carol, account="acme")
    assert publish(carol_as_acme, files=example_files("og-card"), name="launch-card").status_code == 201
    raw = client_for(team.bob, account="acme").post("/api/keys", {"name": "ci"}, format="json").json()["key"]
    body = {"template": "acme/launch-card", "props": {"title": "Launch"}}
    for _ in range(2):  # the second is a cache hit, the fast path's case
        assert key_client(raw).post("/api/render", body, format="json").status_code == 200
    for account in ("globex", "acme-not-here"):
        assert_error(
            key_client(raw, account=account).post("/api/render", body, format="json"), 400, "account_mismatch"
        )
    assert key_client(raw, account="acme").post("/api/render", body, format="json").status_code == 200


def test_profile_edit_of_an_org_is_recorded(team):
    edited = client_for(team.bob).patch("/api/orgs/acme", {"bio": "  We make rockets. "}, format="json")
    assert edited.status_code == 200 and edited.json()["bio"] == "We make rockets."
    event = AuditEvent.objects.get(org=team.org, action="org.updated")
    assert (event.actor, event.data) == (team.bob, {"fields": ["bio"]})
    assert_error(
        client_for(team.bob).patch("/api/orgs/acme", {"avatarUrl": "javascript:alert(1)"}, format="json"), 400
    )
    assert_error(client_for(team.bob).patch("/api/orgs/acme", {"bio": "x" * 501}, format="json"), 400)


def test_the_audit_log_pages_by_event_id_and_refuses_a_bad_cursor(team):
    bob = client_for(team.bob)
    for name in ("one", "two", "three"):
        assert bob.post("/api/keys", {"name": name}, format="json").status_code == 201
    events = bob.get("/api/orgs/acme/audit").json()
    older = bob.get("/api/orgs/acme/audit", {"before": events[0]["id"]}).json()
    assert older == events[1:]
    for before in ("", "abc", "-1", "0", str(2**64)):
        assert_error(bob.get("/api/orgs/acme/audit", {"before": before}), 400)
