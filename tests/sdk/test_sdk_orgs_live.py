"""Issue 15 (8): the SDK's organizations against a live server: the orgs resource (create, invite,
accept, roles, audit, delete), acting for an organization with ``account=`` (the X-Loopwind-Account
header), an organization's key, ``publish(owner=)``, and the typed errors of acting."""

import asyncio

import pytest

from accounts.models import User
from billing.services import plan_set
from loopwind import AsyncLoopwind, Loopwind
from loopwind.sdk import BadRequest, NotFound, PermissionDenied
from tests.cli.helpers import register
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n"


def test_orgs_resource_and_acting_for_an_org(account, monkeypatch):
    url, key = account["url"], account["key"]
    alice = account["username"]
    bob = register(url, "bob@example.com")
    carol = register(url, "carol@example.com")
    lw = Loopwind(api_key=key, base_url=url, account="")
    assert "X-Loopwind-Account" not in lw._http.headers

    created = lw.orgs.create("acme", name="Acme Inc.")
    assert (created["username"], created["role"], created["plan"], created["seats"]) == (
        "acme",
        "owner",
        "free",
        1,
    )
    assert lw.orgs.list() == [{"username": "acme", "name": "Acme Inc.", "avatarUrl": "", "role": "owner"}]
    plan_set(user=User.objects.get(username="acme"), code="business")
    assert lw.orgs.get("acme")["seats"] == 10
    assert lw.orgs.update("acme", bio="We make cards")["bio"] == "We make cards"

    # bob is invited, accepts with his own token, becomes admin and back
    invitation = lw.orgs.invite("acme", "bob@example.com")
    assert invitation["role"] == "member" and invitation["url"].startswith(f"{url}/invitations/")
    spare = lw.orgs.invite("acme", "spare@example.com", role="admin")
    assert {i["email"] for i in lw.orgs.invitations("acme")} == {"bob@example.com", "spare@example.com"}
    lw.orgs.revoke_invitation("acme", spare["id"])
    assert [i["email"] for i in lw.orgs.invitations("acme")] == ["bob@example.com"]
    token = invitation["url"].rsplit("/", 1)[1]
    with Loopwind(api_key=carol["token"], base_url=url, account="") as as_carol:
        with pytest.raises(PermissionDenied) as someone_else:
            as_carol.orgs.accept_invitation("acme", token)
        assert someone_else.value.code == "invitation_email_mismatch"
    as_bob = Loopwind(api_key=bob["token"], base_url=url, account="")
    assert as_bob.orgs.accept_invitation("acme", token)["role"] == "member"
    with pytest.raises(NotFound) as used:
        as_bob.orgs.accept_invitation("acme", token)
    assert used.value.code == "invitation_invalid"
    assert lw.orgs.set_role("acme", bob["username"], "admin")["role"] == "admin"
    assert {(m["username"], m["role"]) for m in lw.orgs.members("acme")} == {
        (alice, "owner"),
        (bob["username"], "admin"),
    }
    lw.orgs.set_role("acme", bob["username"], "member")

    # a personal API key acts for its person only: acting for acme takes a session (or acme's key)
    with Loopwind(api_key=key, base_url=url, account="acme") as personal_key:
        with pytest.raises(BadRequest) as personal:
            personal_key.me()
        assert (personal.value.status, personal.value.code) == (400, "account_mismatch")

    # acting for acme: the header on every request; its keys, templates and usage
    org = Loopwind(api_key=account["token"], base_url=url, account="acme")
    assert org._http.headers["X-Loopwind-Account"] == "acme"
    me = org.me()
    assert (me["username"], me["kind"]) == ("acme", "org")
    org_key = org.keys.create(
        "ci", scopes=["render:read", "render:write", "templates:read", "templates:write"]
    )
    assert [k["id"] for k in org.keys.list()] == [org_key["id"]]
    assert org_key["id"] not in {k["id"] for k in lw.keys.list()}  # not alice's
    published = org.templates.publish(example_files("og-card"), name="launch-card", private=True)
    assert (published["author"], published["url"]) == ("acme", f"{url}/acme/launch-card")
    # or from the personal client with owner=, or the manifest name's acme/ prefix
    again = lw.templates.publish(example_files("og-card"), name="launch-card", owner="acme", version="1.1.0")
    assert again["author"] == "acme" and again["version"] == "1.1.0"
    prefixed = lw.templates.publish(example_files("quote-card"), name="acme/quote", private=True)
    assert prefixed["author"] == "acme"
    assert lw.templates.get("acme/launch-card")["private"] is True  # a member sees it

    with Loopwind(api_key=org_key["key"], base_url=url, account="") as keyed:
        assert keyed.me()["username"] == "acme"
        assert keyed.render("acme/launch-card", props={"title": "Launch"})[:8] == PNG
        assert keyed.usage()["imageRenders"]["used"] == 1
        with pytest.raises(PermissionDenied) as person_required:  # an org key does not manage people
            keyed.orgs.members("acme")
        assert person_required.value.code == "person_required"
    with Loopwind(api_key=org_key["key"], base_url=url, account="globex") as mismatched:
        with pytest.raises(BadRequest) as mismatch:
            mismatched.me()
        assert (mismatch.value.status, mismatch.value.code) == (400, "account_mismatch")
    assert org.usage()["imageRenders"]["used"] == 1
    assert lw.usage()["imageRenders"]["used"] == 0  # alice's own usage is untouched

    # a member may render but not manage keys; a stranger is told acme does not exist for them
    with Loopwind(api_key=bob["token"], base_url=url, account="acme") as bob_for_acme:
        assert bob_for_acme.render("acme/launch-card", props={"title": "Bob"})[:8] == PNG
        with pytest.raises(PermissionDenied) as role:
            bob_for_acme.keys.create("nope")
        assert (role.value.status, role.value.code) == (403, "insufficient_role")
    with Loopwind(api_key=carol["token"], base_url=url, account="acme") as carol_for_acme:
        with pytest.raises(NotFound) as stranger:
            carol_for_acme.render("acme/launch-card", props={"title": "Carol"})
        assert (stranger.value.status, stranger.value.code) == (404, "account_not_found")
    with Loopwind(api_key=carol["token"], base_url=url, account="") as as_carol:
        with pytest.raises(NotFound):
            as_carol.templates.get("acme/launch-card")  # private: 404 to a non-member
        with pytest.raises(NotFound) as no_org:
            as_carol.orgs.get("acme")
        assert no_org.value.code == "account_not_found"

    actions = [event["action"] for event in lw.orgs.audit("acme")]
    assert {"member.invited", "member.joined", "key.created", "template.published"} <= set(actions)
    oldest = lw.orgs.audit("acme")[-1]["id"]
    assert lw.orgs.audit("acme", before=oldest) == []

    # LOOPWIND_ACCOUNT is the default account; account="" turns it off
    monkeypatch.setenv("LOOPWIND_ACCOUNT", "acme")
    with Loopwind(api_key=account["token"], base_url=url) as from_env:
        assert from_env.me()["username"] == "acme"
    with Loopwind(api_key=account["token"], base_url=url, account="") as own:
        assert own.me()["username"] == alice
    monkeypatch.delenv("LOOPWIND_ACCOUNT")

    as_bob.orgs.remove_member("acme", bob["username"])  # leaving
    assert as_bob.orgs.list() == []
    lw.orgs.create("tmpco")
    lw.orgs.delete("tmpco")
    assert [o["username"] for o in lw.orgs.list()] == ["acme"]
    for client in (lw, org, as_bob):
        client.close()


def test_async_client_acts_for_an_org(account):
    async def main():
        async with AsyncLoopwind(api_key=account["key"], base_url=account["url"], account="") as lw:
            await lw.orgs.create("asyncco")
            assert [o["username"] for o in await lw.orgs.list()] == ["asyncco"]
        async with AsyncLoopwind(api_key=account["token"], base_url=account["url"], account="asyncco") as org:
            assert (await org.me())["username"] == "asyncco"
            assert (await org.orgs.members("asyncco"))[0]["role"] == "owner"
        async with AsyncLoopwind(api_key=account["token"], base_url=account["url"], account="nope") as bad:
            with pytest.raises(NotFound) as missing:
                await bad.me()
            assert missing.value.code == "account_not_found"

    asyncio.run(main())
