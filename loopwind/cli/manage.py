"""Managing your published templates: unpublish, deprecate and yank versions."""

from __future__ import annotations

import click

from .app import cli, json_option, org_option, out
from .config import make_client
from .output import UsageProblem
from .registry import parse_ref
from .rendering import remote_slug


def _own_slug(template: str) -> tuple[str, str | None]:
    """NAME[@VERSION] of your own, a folder, or USER/NAME[@VERSION] → (user/name, version)."""
    name, _, version = template.partition("@") if "/" not in template else (template, "", "")
    slug, ref_version = parse_ref(remote_slug(make_client(), name))
    return slug, ref_version or version or None


@cli.command()
@click.argument("template")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@org_option
@json_option
def unpublish(template: str, yes: bool):
    """Hide TEMPLATE and all its versions from everyone, renders included (its name stays yours)."""
    slug, _ = _own_slug(template)
    if not yes:
        if not click.get_text_stream("stdin").isatty():
            raise UsageProblem(
                f"Unpublishing {slug} needs --yes when not asked at a terminal.", code="confirm"
            )
        click.confirm(f"Unpublish {slug}? Its images stop rendering for everyone", abort=True, err=True)
    make_client().templates.unpublish(slug)
    out().result({"template": slug, "unpublished": True}, f"✓ Unpublished {slug}")


@cli.command()
@click.argument("template", metavar="TEMPLATE@VERSION")
@click.option("--message", "-m", help="Shown to whoever renders the version (required unless --undo).")
@click.option("--undo", is_flag=True, help="Take the deprecation back.")
@org_option
@json_option
def deprecate(template: str, message: str | None, undo: bool):
    """Deprecate a version: never "latest" again; renders that name it still work and show MESSAGE."""
    slug, version = _own_slug(template)
    if not version:
        raise UsageProblem("Name the version: NAME@VERSION, e.g. og-card@1.2.0.", code="no_version")
    if not undo and not (message or "").strip():
        raise UsageProblem("Give a --message saying what to use instead (or --undo).", code="no_message")
    row = make_client().templates.deprecate(slug, version, "" if undo else message)
    state = "no longer deprecated" if undo else f"deprecated: {row['deprecated']}"
    out().result(row, f"✓ {slug}@{version} is {state}")


@cli.command()
@click.argument("template", metavar="TEMPLATE@VERSION")
@click.option("--reason", default="", help="Why it was withdrawn (shown to whoever still renders it).")
@click.option("--undo", is_flag=True, help="Take the yank back.")
@org_option
@json_option
def yank(template: str, reason: str, undo: bool):
    """Withdraw a broken version: never "latest"; URLs pinned to it still render, with a warning."""
    slug, version = _own_slug(template)
    if not version:
        raise UsageProblem("Name the version: NAME@VERSION, e.g. og-card@1.2.0.", code="no_version")
    row = make_client().templates.yank(slug, version, reason=reason, yanked=not undo)
    out().result(row, f"✓ {slug}@{version} is {'restored' if undo else 'yanked'}")
