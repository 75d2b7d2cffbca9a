"""Render commands: render (local or --remote), sign, preview."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from ..formats import FORMATS, IMAGE_FORMATS, MAX_SCALE, MIN_SCALE, VIDEO_FORMATS
from ..sdk import errors
from . import output
from .app import cli, json_option, org_option, out
from .config import make_client
from .output import Interrupted, UsageProblem
from .props import has_text, parse_props, typed_props
from .registry import REF, bundle_files, parse_ref, template_folder


def props_options(command):
    command = click.option(
        "--prop", "prop_pairs", multiple=True, metavar="KEY=VALUE", help="One prop (repeatable)."
    )(command)
    return click.option(
        "--props", "props_json", metavar="JSON|@FILE", help="Props as a JSON object or @file.json."
    )(command)


class ProgressView:
    """A rich progress bar on a terminal; plain lines (one per change) otherwise."""

    def __init__(self, label: str):
        self.label = label
        self.last = None
        self.bar = None
        if output.stdout_is_terminal():
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

            self.bar = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                TextColumn("{task.percentage:>3.0f}% ({task.completed:.0f}/{task.total:.0f} frames)"),
                console=out().err, transient=True,
            )  # fmt: skip
            self.task = self.bar.add_task(label, total=None)
            self.bar.start()

    def update(self, frame: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=frame, total=total or None)
        elif total and (step := (frame * 10 // total, total)) != self.last:
            out().info(f"{self.label} {frame * 100 // total}% ({frame}/{total} frames)")  # every 10 %
            self.last = step

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _engine_error(exc) -> errors.LoopwindError:
    from ..engine import BundleError, PropsError

    if isinstance(exc, BundleError | PropsError):
        return UsageProblem(exc.message, code=exc.code, details=exc.details)
    return errors.RenderFailed(exc.message, code=exc.code, details=exc.details)


def load_local(template: str, version: str | None):
    """A folder, ./.loopwind/USER/NAME from `add`, or a user/name downloaded now → (bundle, label)."""
    from ..engine import EngineError, load_bundle

    path = Path(template)
    if path.is_dir():
        source, label = template_folder(template), str(path)
    elif REF.match(template):
        slug, ref_version = parse_ref(template)
        version = ref_version or version
        added = Path(".loopwind", *slug.split("/"))
        if not version and (added / "loopwind.json").is_file():
            source, label = added, str(added)
        else:
            source = bundle_files(make_client(required=False).templates.download(slug, version=version))
            label = slug
    else:
        raise UsageProblem(
            f"{template!r} is neither a template folder nor user/name.", code="bad_template_ref"
        )
    try:
        return load_bundle(source), label
    except EngineError as exc:
        raise _engine_error(exc) from None


def fetch_images(bundle, props) -> dict:
    """Image props given as URLs: the engine never connects, so the CLI fetches them."""
    import httpx

    from ..engine import remote_image_urls

    images = {}
    for prop, url in remote_image_urls(bundle, props).items():
        try:
            response = httpx.get(url, follow_redirects=True, timeout=30)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise UsageProblem(f"Cannot fetch {prop} from {url}: {exc}", code="image_fetch") from None
        images[url] = response.content
    return images


def render_local(template, props, fmt, scale, quality, out_path, version):
    from ..engine import EngineError, render, render_video

    bundle, label = load_local(template, version)
    props = typed_props(props, bundle.props)
    is_video = bundle.manifest_dict().get("type") == "video"
    fmt = fmt or ("mp4" if is_video else "png")
    target = Path(out_path or f"{bundle.manifest_dict()['name']}.{fmt}")
    started = time.monotonic()
    try:
        images = fetch_images(bundle, props)
        if fmt in VIDEO_FORMATS:
            view = ProgressView("Rendering video...")
            try:
                render_video(
                    bundle, props, format=fmt, images=images, output_path=target, on_progress=view.update
                )
            finally:
                view.close()
        else:
            target.write_bytes(
                render(bundle, props, format=fmt, scale=scale or 1, quality=quality, images=images)
            )
    except EngineError as exc:
        raise _engine_error(exc) from None
    return {
        "template": label,
        "format": fmt,
        "output": str(target),
        "durationMs": _ms(started),
        "remote": False,
    }


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def remote_slug(lw, template: str) -> str:
    """user/name as given; a bare name or a template folder means your own published template."""
    if Path(template).is_dir():
        folder = template_folder(template)
        if (folder / "loopwind.json").is_file():
            manifest = json.loads((folder / "loopwind.json").read_text())
        else:  # a single .tsx template: its meta names it
            from ..engine import EngineError, load_bundle

            try:
                manifest = load_bundle(folder).manifest_dict()
            except EngineError as exc:
                raise _engine_error(exc) from None
        template = manifest.get("name") or Path(template).resolve().name
    if "/" not in template:
        return f"{lw.me()['username']}/{template}"
    return template


def render_remote(template, props, fmt, scale, quality, out_path, version):
    lw = make_client()
    slug = remote_slug(lw, template)
    slug, ref_version = parse_ref(slug)
    version = ref_version or version
    if not fmt or has_text(props):
        meta = lw.templates.get(slug).get("meta") or {}
        fmt = fmt or ("mp4" if meta.get("type") == "video" else "png")
        props = typed_props(props, meta.get("props") or {})
    name = slug.split("/")[1]
    target = Path(out_path or f"{name}.{fmt}")
    started = time.monotonic()
    if fmt not in VIDEO_FORMATS:
        target.write_bytes(
            lw.render(slug, props=props, format=fmt, scale=scale, quality=quality, version=version)
        )
        return {
            "template": slug,
            "format": fmt,
            "output": str(target),
            "durationMs": _ms(started),
            "remote": True,
        }
    job = lw.render_video(slug, props=props, format=fmt, version=version)
    out().info(f"Job {job.id} queued")
    view = ProgressView("Rendering video...")
    try:
        job.wait(timeout=None, on_progress=lambda j: view.update(j.current_frame, j.total_frames))
    except KeyboardInterrupt:
        view.close()
        try:
            job.cancel()
        except errors.LoopwindError as exc:
            raise Interrupted(
                f"Interrupted; cancelling job {job.id} failed: {exc.message}", code="interrupted"
            ) from None
        raise Interrupted(f"Interrupted: job {job.id} cancelled.", code="interrupted") from None
    finally:
        view.close()
    target.write_bytes(job.download())
    return {
        "template": slug, "format": fmt, "output": str(target), "durationMs": _ms(started), "remote": True,
        "jobId": job.id, "outputUrl": job.output_url,
    }  # fmt: skip


@cli.command()
@click.argument("template")
@props_options
@click.option("--remote", is_flag=True, help="Render through the API instead of on this machine.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from --out, else png / mp4.")
@click.option("--scale", type=click.IntRange(MIN_SCALE, MAX_SCALE), default=None, help="1-4 (images).")
@click.option("--quality", type=click.IntRange(1, 100), default=None, help="jpg/webp quality.")
@click.option("--version", "version", help="Template version (user/name templates).")
@click.option(
    "--out", "out_path", type=click.Path(), help="Output file (default: NAME.FORMAT); with --batch, a folder."
)
@click.option(
    "--batch", "batch_csv", type=click.Path(dir_okay=False),
    help="A CSV (header: the props, optionally filename): one image per row, rendered by the API into --out.",
)  # fmt: skip
@click.option(
    "--on-invalid", type=click.Choice(["reject", "skip"]), default="reject", show_default=True,
    help="With --batch: refuse the batch over a bad row, or leave bad rows out.",
)  # fmt: skip
@org_option
@json_option
def render(
    template, props_json, prop_pairs, remote, fmt, scale, quality, version, out_path, batch_csv, on_invalid
):
    """Render TEMPLATE (a folder or user/name) to a file, or with --batch one file per CSV row."""
    if batch_csv:
        from .batch import render_batch_to_folder, summary

        if fmt and fmt not in IMAGE_FORMATS:
            raise UsageProblem("A batch renders images: png, jpg, webp, svg or pdf.", code="bad_format")
        result = render_batch_to_folder(template=template, csv_path=batch_csv, out_dir=out_path, fmt=fmt,
                                        scale=scale, version=version, on_invalid=on_invalid,
                                        resolve_slug=remote_slug)  # fmt: skip
        out().result(result, summary(result))
        return
    if out_path and Path(out_path).is_dir():
        raise UsageProblem(f"--out {out_path} is a folder; name a file (or use --batch).", code="bad_out")
    props = parse_props(props_json, prop_pairs)
    if not fmt and out_path:  # --out card.webp means webp
        suffix = Path(out_path).suffix.lower().lstrip(".").replace("jpeg", "jpg")
        fmt = suffix if suffix in FORMATS else None
    run = render_remote if remote else render_local
    result = run(template, props, fmt, scale, quality, out_path, version)
    where = f"\nOutput URL: {result['outputUrl']}" if result.get("outputUrl") else ""
    seconds = result["durationMs"] / 1000
    duration = f"{result['durationMs']}ms" if seconds < 1 else f"{seconds:.1f}s"
    out().result(result, f"✓ Rendered in {duration}\nOutput: {result['output']}{where}")


@cli.command()
@click.argument("template")
@props_options
@click.option("--format", "fmt", type=click.Choice(IMAGE_FORMATS), default="png", show_default=True)
@click.option("--scale", type=click.IntRange(MIN_SCALE, MAX_SCALE), default=None)
@click.option("--version", "version", help="Pin a version (cached for a year).")
@org_option
@click.option("--domain", help="A verified custom domain of yours: the URL is on it (og.example.com).")
@json_option
def sign(template, props_json, prop_pairs, fmt, scale, version, domain):
    """Print a signed image URL for <img src> and og:image."""
    props = parse_props(props_json, prop_pairs)
    lw = make_client()
    slug, ref_version = parse_ref(remote_slug(lw, template))
    if has_text(props):
        props = typed_props(props, (lw.templates.get(slug).get("meta") or {}).get("props") or {})
    url = lw.sign_url(
        slug, props=props, format=fmt, scale=scale, version=ref_version or version, domain=domain
    )
    out().result({"url": url, "template": slug}, url)


def _snapshot(folder: Path, skip: Path) -> dict:
    state = {}
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if path.is_file() and path != skip and not any(p.startswith(".") for p in relative.parts):
            stat = path.stat()
            state[str(relative)] = (stat.st_mtime_ns, stat.st_size)
    return state


@cli.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@props_options
@click.option("--format", "fmt", type=click.Choice(IMAGE_FORMATS), default="png", show_default=True)
@click.option("--time", "at", type=float, default=0.0, help="Seconds into a video template.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Default: FOLDER/.preview.FORMAT")
@click.option("--interval", type=float, default=0.5, show_default=True, help="Seconds between file checks.")
@click.option("--once", is_flag=True, help="Render once and exit.")
@click.option("--open", "open_file", is_flag=True, help="Open the image in the default viewer.")
@json_option
def preview(folder, props_json, prop_pairs, fmt, at, out_path, interval, once, open_file):
    """Render FOLDER locally, and again whenever a file in it changes (ctrl-c stops)."""
    from ..engine import EngineError, load_bundle, preflight
    from ..engine import render as engine_render

    root = template_folder(folder)
    target = Path(out_path or root / f".preview.{fmt}").resolve()
    seen = None
    count = 0
    try:
        while True:
            state = _snapshot(root, target)
            if state != seen:
                seen = state
                started = time.monotonic()
                try:
                    bundle = load_bundle(root)
                    props = typed_props(parse_props(props_json, prop_pairs), bundle.props)
                    is_video = bundle.manifest_dict().get("type") == "video"
                    images = fetch_images(bundle, props)
                    image = engine_render(bundle, props, format=fmt, images=images,
                                          time=at if is_video else None)  # fmt: skip
                    target.write_bytes(image)
                    count += 1
                    warnings = preflight.check(bundle, props, fetch=images.__getitem__)
                    event = {
                        "event": "rendered",
                        "output": str(target),
                        "durationMs": _ms(started),
                        "count": count,
                        "warnings": warnings,
                    }
                    out().event(event, f"✓ Rendered {target} in {event['durationMs']}ms")
                    for warning in warnings:
                        out().info(f"warning: {warning['code']}: {warning['message']}")
                    if open_file and count == 1:
                        click.launch(str(target))
                except (EngineError, errors.LoopwindError) as exc:
                    error = _engine_error(exc) if isinstance(exc, EngineError) else exc
                    if once:
                        raise error from None
                    out().event({"event": "error", "error": error.to_dict()}, None)
                    out().info(f"error: {error.message} (waiting for changes)")
                if once:
                    return
            time.sleep(interval)
    except KeyboardInterrupt:
        out().info("Stopped.")
