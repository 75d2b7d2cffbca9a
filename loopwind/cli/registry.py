"""Template commands: init, publish, search, add."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath

import click

from ..bundlefiles import is_template_folder
from ..sdk import errors
from ..sdk._core import folder_files
from . import scaffold
from .app import SUBJECT_META, cli, json_option, out
from .config import acting_account, make_client
from .output import UsageProblem

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
REF = re.compile(r"^(?P<user>[A-Za-z0-9_.-]+)/(?P<name>[a-z0-9][a-z0-9-]*)(?:@(?P<version>[\w.+-]+))?$")


def parse_ref(ref: str) -> tuple[str, str | None]:
    """``user/name[@version]`` → (``user/name``, version)."""
    match = REF.match(ref)
    if not match:
        raise UsageProblem(f"Expected user/name[@version], not {ref!r}.", code="bad_template_ref")
    return f"{match['user']}/{match['name']}", match["version"]


def template_folder(folder: str) -> Path:
    """A folder with loopwind.json, or a jsx template whose .tsx/.jsx file exports meta (no manifest)."""
    path = Path(folder)
    if not is_template_folder(path):
        raise UsageProblem(
            f"No loopwind.json (or .tsx template) in {path}: not a template folder (try `loopwind init`).",
            code="no_manifest",
        )
    return path


def local_files(folder: str) -> dict[str, bytes]:
    """What a publish sends: the folder read by the engine's rules (a symlink, a file type the
    registry refuses or a folder over 10 MB is a usage error here, before anything is sent)."""
    try:
        return folder_files(template_folder(folder))
    except errors.BadRequest as exc:
        raise UsageProblem(exc.message, code=exc.code) from None


def extract(archive: bytes, target: Path) -> list[str]:
    """Unzip a downloaded bundle into ``target``, refusing paths that would leave it."""
    names = []
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        for info in bundle.infolist():
            if info.is_dir():
                continue
            path = PurePosixPath(info.filename)
            if path.is_absolute() or ".." in path.parts:
                raise errors.LoopwindError(f"Refusing bundle path {info.filename!r}.", code="unsafe_path")
            destination = target.joinpath(*path.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(bundle.read(info))
            names.append(path.as_posix())
    return names


def bundle_files(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        return {info.filename: bundle.read(info) for info in bundle.infolist() if not info.is_dir()}


@cli.command()
@click.argument("name")
@click.option("--video", is_flag=True, help="A video template (else an image).")
@click.option(
    "--engine",
    type=click.Choice(["html", "jsx"]),
    default="html",
    show_default=True,
    help="jsx: a React-style template.tsx component; html: Jinja HTML + Tailwind.",
)
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Folder (default: ./NAME).")
@json_option
def init(name: str, video: bool, engine: str, directory: str | None):
    """Create a template folder that renders as is."""
    if not NAME.match(name):
        raise UsageProblem(
            "A template name is lowercase letters, digits and dashes (e.g. my-card).", code="bad_name"
        )
    folder = Path(directory or name)
    if folder.exists() and any(folder.iterdir()):
        raise UsageProblem(f"{folder} exists and is not empty.", code="folder_exists")
    folder.mkdir(parents=True, exist_ok=True)
    written = scaffold.files(name, video, engine)
    for path, text in written.items():
        (folder / path).write_text(text)
    out().result(
        {
            "folder": str(folder),
            "files": sorted(written),
            "type": "video" if video else "image",
            "engine": engine,
        },
        f'✓ Created {folder}/ ({", ".join(sorted(written))})\n  loopwind render {folder} --props \'{{"title": "Hi"}}\'',
    )


@cli.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@click.option("--version", "version", help="Semantic version (default: next patch).")
@click.option("--description", help="Replaces the manifest's description.")
@click.option(
    "--private/--public",
    "private",
    default=None,
    help="Only you can see and render it / everyone can. Default: as the template is (new: public).",
)
@click.option("--tags", help="Comma-separated tags.")
@click.option("--dry-run", is_flag=True, help="Validate on the server without publishing.")
@click.option(
    "--org",
    metavar="SLUG",
    help="Publish to this organization (you must be a member). Default: LOOPWIND_ACCOUNT, or the "
    "manifest's name when it is SLUG/NAME, else your own account.",
)
@json_option
def publish(
    folder: str,
    version: str | None,
    description: str | None,
    private: bool | None,
    tags: str | None,
    dry_run: bool,
    org: str | None,
):
    """Publish a template folder to the registry (yours, or an organization's with --org)."""
    files = local_files(folder)
    tag_list = [t.strip() for t in tags.split(",") if t.strip()] if tags else None
    total = sum(len(body) for body in files.values())
    out().info(f"{'Validating' if dry_run else 'Publishing'} {folder} ({len(files)} files, {total:,} bytes):")
    for path, body in files.items():
        out().info(f"  {path}  {len(body):,} B")
    # The owner field, not the account header: it works with a personal API key too (the server
    # checks the membership of the person behind it), and the manifest's SLUG/ prefix still applies.
    owner = (org or "").strip().lower() or acting_account() or None
    named = owner or _manifest_owner(files)
    if named:  # errors name it: "You are not a member of acme"
        click.get_current_context().meta[SUBJECT_META] = named
    options = {"owner": owner, "version": version, "private": private, "tags": tag_list,
               "description": description}  # fmt: skip
    out().info("  " + ", ".join(f"{k}={v}" for k, v in options.items() if v is not None))
    result = make_client(account="").templates.publish(
        files, version=version, description=description, private=private, tags=tag_list, dry_run=dry_run,
        owner=owner,
    )  # fmt: skip
    for warning in result.get("warnings") or []:  # the server's, the preflight (lint) warnings among them
        out().info(f"warning: {warning}")
    slug = f"{result['author']}/{result['name']}"
    text = (
        f"✓ Valid: would publish {slug}@{result['version']}"
        if dry_run
        else f"✓ Published {slug}@{result['version']}\n{result['url']}"
    )
    out().result(result, text)


def _manifest_owner(files: dict[str, bytes]) -> str | None:
    """The ``acme`` of a manifest named ``acme/launch-card`` (None without one)."""
    try:
        name = json.loads(files.get("loopwind.json", b"{}")).get("name")
    except (ValueError, AttributeError):
        return None
    return name.partition("/")[0].lower() if isinstance(name, str) and "/" in name else None


@cli.command()
@click.argument("query", nargs=-1)
@click.option("--type", "kind", type=click.Choice(["image", "video"]))
@click.option("--tags", help="Comma-separated tags.")
@click.option("--author")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@json_option
def search(query: tuple[str, ...], kind: str | None, tags: str | None, author: str | None, limit: int):
    """Search the registry."""
    q = " ".join(query) or None
    page = make_client(required=False).templates.list(
        q=q, type=kind, tags=tags, author=author, limit=limit, sort="relevance" if q else None
    )
    rows = [
        {**t, "type": (t.get("meta") or {}).get("type"), "stars": (t.get("stats") or {}).get("stars")}
        for t in page["templates"]
    ]
    out().table(
        rows,
        [
            ("TEMPLATE", "slug"),
            ("VERSION", "version"),
            ("TYPE", "type"),
            ("STARS", "stars"),
            ("DESCRIPTION", "description"),
        ],
        page,
        "No templates found.",
    )


@cli.command()
@click.argument("ref")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False), help="Folder (default: ./.loopwind/USER/NAME)."
)
@json_option
def add(ref: str, directory: str | None):
    """Download user/name[@version] into ./.loopwind/."""
    slug, version = parse_ref(ref)
    archive = make_client(required=False).templates.download(slug, version=version)
    target = Path(directory) if directory else Path(".loopwind", *slug.split("/"))
    if not directory and target.is_dir():
        shutil.rmtree(target)  # ours: a previous `add`; no stale files from another version
    target.mkdir(parents=True, exist_ok=True)
    names = extract(archive, target)
    out().result(
        {"template": slug, "version": version, "folder": str(target), "files": names},
        f"✓ Added {ref} in {target}/",
    )
