"""Preflight (loopwind.engine.preflight) of untrusted templates in the render children, like every
render: it lays the template out, renders it to read colours and steps through a video's frames, so
in a web process a hostile template would hold that process's CPU and memory without any limit. The
parent fetches the image URLs first with the render's SSRF protections (core.netsafe); the child
opens no connection and reports a URL that failed as ``image_unavailable``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.netsafe import fetch_image
from core.renderpool.isolation import RenderTask
from core.renderpool.pools import image_pool
from loopwind import engine
from loopwind.engine import preflight


def _fetched(urls: list[str]) -> tuple[dict[str, bytes], dict[str, str]]:
    images: dict[str, bytes] = {}
    errors: dict[str, str] = {}
    for url in dict.fromkeys(urls):
        try:
            images[url] = fetch_image(url)[0]
        except Exception as exc:  # any failure is the warning, with its reason
            errors[url] = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return images, errors


def _run(kind: str, bundle: engine.Bundle, props: Mapping[str, Any], account: str,
         wall_seconds: float | None = None) -> list[dict]:  # fmt: skip
    images, errors = _fetched(preflight.remote_image_urls(bundle, props))
    task = RenderTask(bundle.checksum, None, dict(props), kind=kind, images=images, image_errors=errors)
    return image_pool().run(task, files_loader=lambda: dict(bundle.files), account=account,
                            wall_seconds=wall_seconds)  # fmt: skip


def preflight_lint(
    bundle_or_files: engine.Bundle | Mapping[str, bytes],
    *,
    account: str = "",
    wall_seconds: float | None = None,
) -> list[dict]:
    """Warnings about a template at its example props. Reading the bundle happens here (parsing only;
    a manifest font without its file is a ``font_missing`` warning, not an error); the rest in a child,
    within ``wall_seconds`` (default: a render's time limit)."""
    bundle, warnings = preflight.load_for_lint(bundle_or_files)
    warnings += _run("lint", bundle, preflight.lint_props(bundle), account, wall_seconds)
    return preflight.sorted_warnings(warnings)


def preflight_check(bundle: engine.Bundle, props: Mapping[str, Any], *, account: str = "") -> list[dict]:
    """Warnings about one render's props (the engine's PropsError when they are invalid)."""
    return _run("check", bundle, props, account)
