"""From (bundle, props) to per-frame markup: the part both engines and video share."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Mapping
from typing import Any

from .errors import PropsError, TemplateError
from .fonts import takumi_renderer
from .limits import IMAGE_EXTENSIONS
from .props import ImageValue, validate_props
from .qr import qr_data_uri
from .resources import check_css, check_svg
from .sandbox import compile_template, evaluate, make_environment
from .textfit import TextFitter

_MIME = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif",
    "svg": "image/svg+xml", "ttf": "font/ttf", "otf": "font/otf", "woff": "font/woff", "woff2": "font/woff2",
    "css": "text/css", "mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4",
}  # fmt: skip
_bundle_lock = threading.Lock()


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _ext(path: str) -> str:
    return path.rsplit(".", 1)[-1].lower() if "." in path else ""


def bundle_resources(bundle) -> dict[str, Any]:
    """Per-bundle, computed once: the sandbox, the checked stylesheets, the image map."""
    cache = bundle._cache
    if "resources" in cache:
        return cache["resources"]
    with _bundle_lock:
        if "resources" in cache:
            return cache["resources"]
        env = make_environment(bundle.files)
        images = {p: d for p, d in bundle.files.items() if _ext(p) in IMAGE_EXTENSIONS and p != bundle.entry}
        for p, d in images.items():
            if _ext(p) == "svg":
                check_svg(d, where=p)

        allowed = frozenset(images)
        sheets = []
        for path in bundle.stylesheets:
            css = bundle.text(path)
            check_css(css, allowed, path)
            sheets.append(css)
        res = {"env": env, "images": images, "allowed": allowed, "stylesheets": sheets}
        cache["resources"] = res
        return res


class Job:
    """One render request: the compiled template, its context and the images Takumi may see."""

    def __init__(self, bundle, props: Mapping[str, Any] | None, *, images: Mapping[str, bytes] | None = None):
        self.bundle = bundle
        self.props = validate_props(bundle, props, images=images)
        res = bundle_resources(bundle)
        self.jsx = bundle.engine == "jsx"
        self.template = None if self.jsx else compile_template(res["env"], bundle.entry)
        self.stylesheets = list(res["stylesheets"])
        self.renderer = takumi_renderer(bundle)
        self.html = bundle.engine in ("html", "jsx")  # both end as markup for Takumi
        self.images: dict[str, bytes] = dict(res["images"]) if self.html else {}
        self.assets = frozenset(res["images"])
        self.fitter = fitter = TextFitter(self.renderer, bundle)
        context: dict[str, Any] = {}
        for name, value in self.props.items():
            context[name] = self._image_src(name, value) if isinstance(value, ImageValue) else value
        context.update(
            width=bundle.width,
            height=bundle.height,
            asset=self._asset,
            qr=qr_data_uri,
            fit_text=fitter.fit_text,
            clamp_text=fitter.clamp_text,
        )
        self.allowed = frozenset(self.images)
        self.base_context = context
        self._asset_uris: dict[str, str] = {}
        self._prefetched: dict[int | None, Any] = {}
        self._prefetcher = None

    def _image_src(self, name: str, value: ImageValue) -> str:
        if value.data is None:
            raise PropsError(
                f"Prop {name!r}: the image at {value.ref!r} was not supplied; the engine does not fetch URLs.",
                code="image_not_supplied",
                details={"prop": name, "url": value.ref},
            )
        if value.mime == "image/svg+xml":
            check_svg(value.data, where=f"prop {name}")
        if value.source == "asset" and self.html:
            return value.ref
        if self.html:
            key = "loopwind-prop-" + name + "-" + hashlib.sha256(value.data).hexdigest()[:16]
            self.images[key] = value.data
            return key
        return _data_uri(value.data, value.mime or "application/octet-stream")

    def _asset(self, path: Any) -> str:
        path = str(path).removeprefix("./")
        if path not in self.bundle.files or path == "loopwind.json":
            raise TemplateError(
                f"asset({path!r}): no such file in the bundle.",
                code="asset_not_found",
                details={"file": path},
            )
        if self.html and path in self.images:
            return path
        uri = self._asset_uris.get(path)
        if uri is None:
            uri = self._asset_uris[path] = _data_uri(
                self.bundle.files[path], _MIME.get(_ext(path), "application/octet-stream")
            )
        return uri

    def frame_context(self, frame: int | None) -> dict[str, Any]:
        b = self.bundle
        total = b.total_frames
        fps = b.fps or 0
        f = 0 if frame is None else frame
        ctx = dict(self.base_context)
        ctx.update(
            frame=f,
            totalFrames=total,
            fps=fps,
            time=(f / fps) if fps else 0.0,
            progress=(f / (total - 1)) if total > 1 else 0.0,
        )
        return ctx

    def markup(self, frame: int | None = None) -> str:
        if self.jsx:
            from .jsx import markup

            pending = self._prefetched.pop(frame, None)
            if pending is None:
                return markup(self, frame)
            value = pending.result()[frame]
            if isinstance(value, Exception):
                raise value
            return value
        return evaluate(self.template, self.frame_context(frame))

    def prefetch(self, frames: list[int]) -> None:
        """Start computing jsx frames' markup in the background, in one trip to V8 (videos: the V8 work
        for the next frames overlaps Takumi drawing this one, and the per-call overhead is shared)."""
        frames = [f for f in frames if f not in self._prefetched and 0 <= f < self.bundle.total_frames]
        if not frames:
            return
        from concurrent.futures import ThreadPoolExecutor

        from .jsx import markups

        if self._prefetcher is None:
            self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loopwind-jsx")
        future = self._prefetcher.submit(markups, self, frames)
        for f in frames:
            self._prefetched[f] = future

    def close(self) -> None:
        """Stop the background work of ``prefetch`` (its results are dropped)."""
        for pending in self._prefetched.values():
            pending.cancel()
        self._prefetched.clear()
        if self._prefetcher is not None:
            self._prefetcher.shutdown(wait=True)
            self._prefetcher = None
