"""Issue 15 (8): the installed `loopwind` executable and organizations, against a live server:
`orgs list/create/invite/accept/members/audit`, `publish --org` (and a manifest named acme/…),
`keys create --org` making a key that acts for the organization, a render with that key counted in
the organization's usage, LOOPWIND_ACCOUNT, and the clear errors of a member and a stranger."""

import json

import pytest

from accounts.models import ApiKey, User
from billing.services import plan_set
from loopwind.cli.config import session_record
from templates_registry.models import Template
from tests.cli.helpers import api_key, register
from tests.cli.test_cli_live import make_cli, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n"


def signed_in(make_cli, url: str, email: str, name: str, **kwargs):  # noqa: F811
    """A person's CLI with a stored session (what `loopwind login` leaves), and the account."""
    account = register(url, email, **kwargs)
    cli = make_cli(name)
    cli.credentials.parent.mkdir(parents=True, exist_ok=True)
    cli.credentials.write_text(json.dumps(session_record(account, url)))
    return cli, account


def test_orgs_publish_keys_and_render_for_an_org(server, make_cli):  # noqa: F811
    alice, alice_account = signed_in(make_cli, server, "alice@example.com", "alice", plan="pro")
    bob, bob_account = signed_in(make_cli, server, "bob@example.com", "bob")
    carol, _ = signed_in(make_cli, server, "carol@example.com", "carol")

    assert "No organizations." in alice("orgs", "list").stderr
    created = alice.json("orgs", "create", "acme", "--name", "Acme Inc.")
    assert (created["username"], created["role"], created["seats"]) == ("acme", "owner", 1)
    # on Free an organization has one seat: inviting needs Business
    refused = alice("orgs", "invite", "acme", "bob@example.com", expect=3)
    assert refused.stderr.startswith("error:")
    plan_set(user=User.objects.get(username="acme"), code="business")
    assert "acme\tAcme Inc.\towner" in alice("orgs", "list").stdout  # piped: tab-separated

    invited = alice("orgs", "invite", "acme", "bob@example.com")
    link = invited.stdout.strip().splitlines()[-1]
    assert "Invited bob@example.com to acme as member" in invited.stdout and "/invitations/" in link
    assert "another email address" in carol("orgs", "accept", "acme", link, expect=3).stderr
    assert "You are a member of acme" in bob("orgs", "accept", "acme", link).stdout
    members = alice.json("orgs", "members", "acme")
    assert {(m["username"], m["role"]) for m in members} == {
        (alice_account["username"], "owner"),
        (bob_account["username"], "member"),
    }

    # publish --org: a private template of acme (owner=acme), by its owner
    alice("init", "launch-card")
    published = alice.json("publish", "launch-card", "--org", "acme", "--private")
    assert (published["author"], published["url"]) == ("acme", f"{server}/acme/launch-card")
    template = Template.objects.get(owner__username="acme", name="launch-card")
    assert template.private
    # a member publishes too; a manifest named acme/… needs no --org
    bob("init", "bob-card")
    manifest = bob.cwd / "bob-card" / "loopwind.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "name": "acme/bob-card"}))
    assert bob.json("publish", "bob-card", "--private")["author"] == "acme"
    assert bob.json("publish", "bob-card", "--org", "acme", "--version", "1.0.1")["version"] == "1.0.1"

    # keys create --org: a key that acts for acme
    made = alice.json(
        "keys", "create", "ci", "--org", "acme", "--scopes", "render:read,render:write,templates:read"
    )
    assert ApiKey.objects.get(public_id=made["id"]).user.username == "acme"
    assert "for acme" in alice("keys", "create", "other", "--org", "acme").stdout
    assert made["id"] in {k["id"] for k in alice.json("keys", "list", "--org", "acme")}
    assert made["id"] not in {k["id"] for k in alice.json("keys", "list")}  # not alice's own
    assert alice.json("--org", "acme", "whoami")["username"] == "acme"  # the group's --org
    org_cli = make_cli("ci", api_key=made["key"])
    assert "acme (organization, plan business)" in org_cli("whoami").stdout
    org_cli("render", "acme/launch-card", "--remote", "--prop", "title=Launch", "--out", "launch.png")
    assert (org_cli.cwd / "launch.png").read_bytes()[:8] == PNG
    assert alice.json("usage", "--org", "acme")["imageRenders"]["used"] == 1
    assert alice.json("usage")["imageRenders"]["used"] == 0  # alice's own usage: untouched
    assert "acme: Plan" in alice("usage", "--org", "acme").stdout
    # LOOPWIND_ACCOUNT is the default account
    assert alice.json("whoami", LOOPWIND_ACCOUNT="acme")["username"] == "acme"
    alice(
        "render",
        "acme/launch-card",
        "--remote",
        "--prop",
        "title=A",
        "--out",
        "a.png",
        LOOPWIND_ACCOUNT="acme",
    )
    assert alice.json("usage", "--org", "acme")["imageRenders"]["used"] == 2

    audit = {event["action"] for event in alice.json("orgs", "audit", "acme")}
    assert {"member.invited", "member.joined", "template.published", "key.created"} <= audit

    # a member may not manage keys; a stranger is told plainly; a personal key cannot act for acme
    role = bob("keys", "create", "nope", "--org", "acme", expect=3)
    assert "needs the admin role in acme; you are a member" in role.stderr
    for args in (("usage", "--org", "acme"), ("--org", "acme", "keys", "list"), ("orgs", "members", "acme")):
        stranger = carol(*args, expect=4)
        assert "You are not a member of acme" in stranger.stderr, (args, stranger.stderr)
        assert "Traceback" not in stranger.stderr and stranger.stderr.count("error:") == 1
    error = json.loads(carol("usage", "--org", "acme", "--json", expect=4).stdout)["error"]
    assert (error["code"], error["status"]) == ("account_not_found", 404)
    assert carol("render", "acme/launch-card", "--remote", "--out", "x.png", expect=4).returncode == 4
    carol("init", "launch-card")
    assert "You are not a member of acme" in carol("publish", "launch-card", "--org", "acme", expect=4).stderr
    assert "You are not a member of acme" in carol("publish", str(bob.cwd / "bob-card"), expect=4).stderr
    personal = make_cli("personal", api_key=api_key(server, alice_account["token"])["key"])
    mismatch = personal("usage", "--org", "acme", expect=1)
    assert "a personal API key acts for you only" in mismatch.stderr
    assert personal.json("publish", str(alice.cwd / "launch-card"), "--org", "acme")["author"] == "acme"
