"""The ``loopwind`` command group, ``--json`` and ``--org`` options, and the account commands."""

from __future__ import annotations

import functools
import time
import webbrowser

import click

from ..sdk import Loopwind, errors
from ..sdk._core import VERSION
from . import output
from .config import ACCOUNT_META, Credentials, acting_account, api_url, make_client, session_record

SUBJECT_META = "loopwind.org_named"  # the organization an `orgs` command names, for its errors


class State:
    def __init__(self):
        self.out = output.Output()


def json_option(command):
    """Adds ``--json`` to a command (``loopwind --json cmd`` works too)."""

    @click.option("--json", "json_mode", is_flag=True, help="Print the result as JSON.")
    @functools.wraps(command)
    def wrapper(*args, json_mode: bool = False, **kwargs):
        if json_mode:
            click.get_current_context().find_object(State).out.json = True
        return command(*args, **kwargs)

    return wrapper


def _set_org(ctx: click.Context, _param, value: str | None):
    if value is not None:
        ctx.meta[ACCOUNT_META] = value.strip().lower()
    return value


ORG_HELP = "Act for this organization (you must be a member). Default: LOOPWIND_ACCOUNT."


def org_option(command):
    """Adds ``--org SLUG`` to a command (``loopwind --org SLUG cmd`` works too): requests act for
    that organization through the X-Loopwind-Account header."""
    return click.option(
        "--org", metavar="SLUG", callback=_set_org, expose_value=False, is_eager=True, help=ORG_HELP
    )(command)


def explain(exc: errors.LoopwindError, account: str) -> errors.LoopwindError:
    """The errors of acting for an organization, said for a person at a terminal."""
    message = None
    if exc.code == "account_not_found" and account:
        message = f"You are not a member of {account} (or there is no organization {account}). `loopwind orgs list` shows yours."
    elif exc.code == "account_mismatch":
        message = (
            f"{exc.message} Acting for an organization takes a signed-in session (`loopwind login`) "
            "or one of its own keys; a personal API key acts for you only."
        )
    if message is None:
        return exc
    return type(exc)(message, code=exc.code, status=exc.status, details=exc.details)


class LoopwindGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except errors.LoopwindError as exc:
            account = ctx.meta.get(SUBJECT_META) or acting_account()
            raise explain(exc, account) from None


def out() -> output.Output:
    return click.get_current_context().find_object(State).out


@click.group(cls=LoopwindGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "json_mode", is_flag=True, help="Print results (and errors) as JSON.")
@click.option("--org", metavar="SLUG", callback=_set_org, expose_value=False, help=ORG_HELP)
@click.version_option(VERSION, prog_name="loopwind")
@click.pass_context
def cli(ctx: click.Context, json_mode: bool):
    """Render image and video templates locally or through loopwind.dev.

    Act for an organization you belong to with --org SLUG (or LOOPWIND_ACCOUNT): its keys, usage,
    templates and renders. Exit codes: 0 ok, 1 refused by the server, 2 usage or bad input, 3 not
    logged in or not allowed, 4 not found, 5 server error or unreachable, 130 interrupted."""
    ctx.ensure_object(State).out.json = json_mode


@cli.command()
@click.option("--api-key", help="Sign in with an API key (lw_live_…) instead of the browser.")
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@click.option("--timeout", type=float, default=600, show_default=True, help="Seconds to wait for approval.")
@json_option
def login(api_key: str | None, no_browser: bool, timeout: float):
    """Sign in: device flow in the browser, or --api-key."""
    store = Credentials()
    base_url = api_url()
    if api_key:
        user = Loopwind(api_key, base_url=base_url, account="").me()
        store.save({"apiKey": api_key, "user": _user(user), "apiUrl": base_url})
        return _logged_in(user)
    lw = Loopwind(base_url=base_url, auth=None, api_key="", account="")
    grant = lw.auth_api.device_start(f"loopwind CLI {VERSION}")
    out().info(f"Your code: {grant['userCode']}")
    out().info(f"Approve it at {grant['verificationUriComplete']}")
    if not no_browser and webbrowser.open(grant["verificationUriComplete"]):
        out().info("Opened your browser.")
    out().info("Waiting for confirmation...")
    interval = float(grant.get("interval") or 5)
    deadline = time.monotonic() + min(timeout, float(grant.get("expiresIn") or timeout))
    while True:
        time.sleep(interval)
        try:
            body = lw.auth_api.device_token(grant["deviceCode"])
            break
        except errors.BadRequest as exc:
            if exc.code == "authorization_pending":
                pass
            elif exc.code == "slow_down":
                interval = float(exc.details.get("interval") or interval + 5)
            elif exc.code == "access_denied":
                raise errors.AuthError(
                    "The sign-in was denied in the browser.", code="access_denied"
                ) from None
            elif exc.code == "expired_token":
                raise errors.AuthError(
                    "The code expired. Run `loopwind login` again.", code="expired_token"
                ) from None
            else:
                raise
        if time.monotonic() + interval > deadline:
            raise errors.AuthError("Timed out waiting for approval.", code="login_timeout")
    store.save(session_record(body, base_url))
    _logged_in(body["user"])


def _user(user: dict) -> dict:
    return {key: user.get(key) for key in ("id", "email", "username")}


def _logged_in(user: dict) -> None:
    who = user.get("email") or f"{user['username']} (an organization's key)"
    out().result({"user": user, "credentials": str(Credentials().path)}, f"✓ Logged in as {who}")


@cli.command()
@json_option
def logout():
    """Sign out: revoke the session's refresh token and forget the credentials."""
    store = Credentials()
    creds = store.load()
    revoked = False
    if creds.get("refreshToken"):
        try:
            Loopwind(base_url=api_url(creds), api_key="", account="").auth_api.logout(creds["refreshToken"])
            revoked = True
        except errors.APIConnectionError as exc:
            out().info(f"warning: {exc.message}; the session was not revoked on the server.")
        except errors.LoopwindError:
            revoked = False  # already expired or revoked: nothing to end
    removed = store.clear()
    message = "✓ Logged out" if removed else "Not logged in."
    out().result({"loggedOut": removed, "revoked": revoked}, message)


@cli.command()
@org_option
@json_option
def whoami():
    """Show the signed-in user (or, with --org, the organization you act for)."""
    user = make_client().me()
    if user.get("kind") == "org":
        text = f"{user['username']} (organization, plan {user.get('plan', '?')})"
    else:
        text = f"{user['email']} ({user['username']}, plan {user.get('plan', '?')})"
    out().result(user, text)


@cli.group()
def keys():
    """API keys: list, create, revoke (yours, or an organization's with --org)."""


@keys.command("list")
@org_option
@json_option
def keys_list():
    rows = make_client().keys.list()
    out().table(
        rows,
        [
            ("ID", "id"),
            ("NAME", "name"),
            ("PREFIX", "prefix"),
            ("SCOPES", "scopes"),
            ("LAST USED", "lastUsed"),
        ],
        rows,
        "No API keys.",
    )


@keys.command("create")
@click.argument("name")
@org_option
@click.option(
    "--scopes", help="Comma-separated, e.g. render:write,templates:read (default: render and read)."
)
@json_option
def keys_create(name: str, scopes: str | None):
    wanted = [s.strip() for s in scopes.split(",") if s.strip()] if scopes else None
    key = make_client().keys.create(name, scopes=wanted)
    owner = acting_account()
    whose = f" for {owner}: it acts for {owner}" if owner else ""
    out().result(
        key,
        f"{key['key']}\n✓ Created {key['id']} ({', '.join(key['scopes'])}){whose}. The key is shown once.",
    )


@keys.command("revoke")
@click.argument("key_id")
@org_option
@json_option
def keys_revoke(key_id: str):
    make_client().keys.revoke(key_id)
    out().result({"revoked": key_id}, f"✓ Revoked {key_id}")


def _meter(used: int, limit: int | None) -> str:
    if limit is None:
        return f"{used:,} (unlimited)"
    width, filled = 20, min(20, round(20 * used / limit)) if limit else 20
    return f"{'█' * filled}{'░' * (width - filled)} {used:,} / {limit:,}"


@cli.command()
@org_option
@json_option
def usage():
    """This month's renders, publishes and templates against your plan (or an organization's)."""
    summary = make_client().usage()
    plan = summary["plan"]
    owner = acting_account()
    lines = [f"{owner + ': ' if owner else ''}Plan {plan['name']} · resets {summary['resetAt'][:10]}"]
    for label, key in (("Image renders", "imageRenders"), ("Video renders", "videoRenders"),
                       ("Templates", "templates"), ("Publishes", "publishes")):  # fmt: skip
        lines.append(f"  {label:<14} {_meter(summary[key]['used'], summary[key]['limit'])}")
    out().result(summary, "\n".join(lines))
