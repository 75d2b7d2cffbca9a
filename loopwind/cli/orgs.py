"""Organizations: ``loopwind orgs list|create|members|invite|invitations|accept|role|remove|audit``.
These are a person's calls (a signed-in session or a personal key), so they never send the account
header; to act *for* an organization, other commands take ``--org``."""

from __future__ import annotations

import click

from .app import SUBJECT_META, cli, json_option, out
from .config import make_client

ROLES = click.Choice(["member", "admin", "owner"])


def _client(slug: str | None = None):
    if slug:  # errors name it: "You are not a member of acme"
        click.get_current_context().meta[SUBJECT_META] = slug.strip().lower()
    return make_client(account="")


@cli.group()
def orgs():
    """Organizations you belong to: create one, its members and invitations.

    Act for one with --org SLUG on publish, keys, usage, render and sign (or LOOPWIND_ACCOUNT)."""


@orgs.command("list")
@json_option
def orgs_list():
    """Your organizations and your role in each."""
    rows = _client().orgs.list()
    out().table(rows, [("SLUG", "username"), ("NAME", "name"), ("ROLE", "role")], rows, "No organizations.")


@orgs.command("create")
@click.argument("slug")
@click.option("--name", default="", help="Its display name (default: none).")
@click.option("--bio", default="", help="A line about it.")
@json_option
def orgs_create(slug: str, name: str, bio: str):
    """Create an organization named SLUG (acme in acme/og-card) with you as its owner."""
    org = _client().orgs.create(slug, name=name, bio=bio)
    seats = "" if org["seats"] > 1 else " It has one seat (yours): members need the Business plan."
    out().result(
        org,
        f"✓ Created {org['username']} (plan {org['plan']}).{seats}\n"
        f"  loopwind publish --org {org['username']}    loopwind keys create ci --org {org['username']}",
    )


@orgs.command("members")
@click.argument("slug")
@json_option
def orgs_members(slug: str):
    """The members of SLUG and their roles."""
    rows = _client(slug).orgs.members(slug)
    columns = [("USERNAME", "username"), ("NAME", "name"), ("ROLE", "role"), ("JOINED", "joinedAt")]
    out().table(rows, columns, rows, "No members.")


@orgs.command("invite")
@click.argument("slug")
@click.argument("email")
@click.option("--role", type=ROLES, default="member", show_default=True)
@json_option
def orgs_invite(slug: str, email: str, role: str):
    """Email EMAIL an invitation to SLUG (admins and owners): a link that works once, for 7 days,
    and only for that address."""
    invitation = _client(slug).orgs.invite(slug, email, role=role)
    out().result(
        invitation,
        f"✓ Invited {invitation['email']} to {slug} as {invitation['role']} "
        f"(until {invitation['expiresAt'][:10]}; emailed)\n{invitation['url']}",
    )


@orgs.command("invitations")
@click.argument("slug")
@click.option("--revoke", "revoke_id", metavar="ID", help="Revoke this pending invitation instead.")
@json_option
def orgs_invitations(slug: str, revoke_id: str | None):
    """SLUG's pending invitations (admins and owners), or --revoke one."""
    lw = _client(slug)
    if revoke_id:
        lw.orgs.revoke_invitation(slug, revoke_id)
        out().result({"revoked": revoke_id}, f"✓ Revoked {revoke_id}")
        return
    rows = lw.orgs.invitations(slug)
    columns = [
        ("ID", "id"),
        ("EMAIL", "email"),
        ("ROLE", "role"),
        ("BY", "invitedBy"),
        ("EXPIRES", "expiresAt"),
    ]
    out().table(rows, columns, rows, "No pending invitations.")


@orgs.command("accept")
@click.argument("slug")
@click.argument("token", metavar="TOKEN_OR_LINK")
@json_option
def orgs_accept(slug: str, token: str):
    """Join SLUG with an invitation (the emailed link or its token), signed in as the invited address."""
    token = token.rstrip("/").rsplit("/", 1)[-1]
    membership = _client(slug).orgs.accept_invitation(slug, token)
    out().result(membership, f"✓ You are a {membership['role']} of {membership['username']}")


@orgs.command("role")
@click.argument("slug")
@click.argument("username")
@click.argument("role", type=ROLES)
@json_option
def orgs_role(slug: str, username: str, role: str):
    """Give USERNAME the ROLE in SLUG (owners only; the last owner stays one)."""
    row = _client(slug).orgs.set_role(slug, username, role)
    out().result(row, f"✓ {row['username']} is a {row['role']} of {slug}")


@orgs.command("remove")
@click.argument("slug")
@click.argument("username")
@json_option
def orgs_remove(slug: str, username: str):
    """Remove USERNAME from SLUG (your own username: leave it)."""
    _client(slug).orgs.remove_member(slug, username)
    out().result({"org": slug, "removed": username}, f"✓ {username} is no longer a member of {slug}")


@orgs.command("audit")
@click.argument("slug")
@json_option
def orgs_audit(slug: str):
    """SLUG's audit log, newest first (admins and owners)."""
    rows = _client(slug).orgs.audit(slug)
    columns = [("WHEN", "createdAt"), ("WHO", "actor"), ("ACTION", "action"), ("TARGET", "target")]
    out().table(rows, columns, rows, "Nothing recorded yet.")
