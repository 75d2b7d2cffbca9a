"""Engine "jsx": React-style TSX/JSX components run in V8 (mini-racer) helper processes, their element tree
turned into the html engine's markup and rendered by the same Takumi pipeline.

- ``bundle.py`` calls ``with_meta`` when loading: the entry is transpiled (``host.compile_bundle``, once per
  bundle checksum) and its ``export const meta`` merged with loopwind.json (or standing in for it).
- ``pipeline.Job.markup`` calls ``markup`` for each image or video frame: one call of the component with
  ``(props, helpers)``, then ``convert.Converter`` to markup.
See docs/engine.md for what templates can do and the sandbox.
"""

from __future__ import annotations

import re
from typing import Any

from .. import limits as L
from ..errors import BundleError, TemplateError
from ..props import parse_prop_spec
from ..qr import qr_data_uri
from .convert import Converter
from .host import JS_EXTENSIONS, Compiled, compile_bundle, helper_pids, render_trees, result_tree

__all__ = ["Compiled", "discover_entry", "helper_pids", "markup", "markups", "with_meta"]

MANIFEST = "loopwind.json"
DEFAULT_ENTRY = "template.tsx"
META_KEYS = frozenset(
    {"name", "description", "type", "engine", "size", "video", "props", "tags", "stylesheets", "fonts",
     "version", "author", "license", "homepage", "repository", "preview", "category", "readme"}
)  # fmt: skip


_EXPORTS_META = re.compile(rb"^\s*export\s+(?:const|let|var)\s+meta\b", re.M)


def discover_entry(files: dict[str, bytes]) -> str | None:
    """The entry of a folder without loopwind.json: its one top-level .tsx/.jsx file, else the one top-level
    source that exports meta, else a ``template.*`` source, else its one top-level .ts/.js file. None when
    there is no candidate."""
    top = sorted(p for p in files if "/" not in p and p.lower().endswith(JS_EXTENSIONS))
    if not top:
        return None
    jsx = [p for p in top if p.lower().endswith((".tsx", ".jsx"))]
    if len(jsx) == 1:
        return jsx[0]
    with_meta = [p for p in top if _EXPORTS_META.search(files[p])]
    if len(with_meta) == 1:
        return with_meta[0]
    for name in ("template.tsx", "template.jsx", "template.ts", "template.js"):
        if name in files:
            return name
    if not jsx and len(top) == 1:
        return top[0]
    raise BundleError(
        f"The bundle has no loopwind.json and several possible entries ({', '.join(top)}): add a loopwind.json "
        "naming the entry, or keep one .tsx file at the top and the components in a folder.",
        code="manifest_missing",
        details={"file": MANIFEST, "candidates": top},
    )


def _same(key: str, a: Any, b: Any) -> bool:
    if key == "props" and isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False
        try:
            return all(parse_prop_spec(n, a[n]).to_dict() == parse_prop_spec(n, b[n]).to_dict() for n in a)
        except BundleError:
            return a == b
    return a == b


def with_meta(
    files: dict[str, bytes], manifest: dict[str, Any] | None, checksum: str
) -> tuple[dict[str, Any], Compiled | None]:
    """The manifest of a jsx bundle with the entry's ``meta`` merged in, and the compiled modules.

    ``manifest`` is loopwind.json (None when the folder has none: the meta is then the manifest). Keys set
    in both must agree (a BundleError naming both otherwise). When the entry is missing or is not a
    script, the manifest is returned as is and the manifest validation reports it.
    """
    if manifest is None:
        entry = discover_entry(files)
        if entry is None:
            raise BundleError(
                "The bundle has no loopwind.json.", code="manifest_missing", details={"file": MANIFEST}
            )
        manifest = {}
    else:
        entry = manifest.get("entry", DEFAULT_ENTRY)
    if not isinstance(entry, str) or entry not in files or not entry.lower().endswith(JS_EXTENSIONS):
        return manifest, None
    compiled = compile_bundle(files, entry, checksum)
    meta = compiled.meta
    standalone = MANIFEST not in files
    if meta is None:
        if standalone:
            raise BundleError(
                f"The bundle has no loopwind.json and {entry} does not export meta "
                "(export const meta = {name, size, props, …}).",
                code="manifest_missing",
                details={"file": MANIFEST, "entry": entry},
            )
        return manifest, compiled
    unknown = sorted(set(meta) - META_KEYS)
    if unknown:
        raise BundleError(
            f"{entry}: meta.{unknown[0]}: unknown field.",
            code="unknown_field",
            details={"file": entry, "field": f"meta.{unknown[0]}"},
        )
    merged = dict(manifest)
    for key, value in meta.items():
        if key in manifest and not _same(key, manifest[key], value):
            raise BundleError(
                f"loopwind.json and the meta exported by {entry} disagree on {key!r} "
                f"({manifest[key]!r} in loopwind.json, {value!r} in {entry}): keep it in one of them.",
                code="meta_conflict",
                details={"file": MANIFEST, "entry": entry, "field": key},
            )
        merged[key] = value
    merged.setdefault("engine", "jsx")
    merged.setdefault("entry", entry)
    if "name" not in merged:
        stem = entry.rsplit(".", 1)[0].lower()
        if re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", stem):
            merged["name"] = stem
    return merged, compiled


# Bounds for the measuring helpers' numbers: a template cannot ask Takumi to lay out a 10^9 px font.
_BOUNDS = {"width": (1, 16384), "height": (1, 16384), "max": (1, 1000), "min": (1, 1000), "size": (1, 1000),
           "weight": (1, 1000), "lines": (1, 100), "lineHeight": (0.5, 10)}  # fmt: skip


def _opt(kind: str, opts: dict, key: str, default: Any = None, *, required: bool = False) -> Any:
    value = opts.get(key, default)
    if value is None:
        if required:
            raise TemplateError(
                f"{kind}(): the option {key!r} is required.", code="helper_error", details={"helper": kind}
            )
        return None
    lo, hi = _BOUNDS[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise TemplateError(
            f"{kind}(): {key} must be a number from {lo:g} to {hi:g}.",
            code="helper_error",
            details={"helper": kind, "option": key},
        )
    return value


def _helper(job, kind: str, args: list) -> Any:
    text, opts = args
    name = {"fit": "fitText", "clamp": "clampText"}.get(kind, kind)
    family = opts.get("family")
    family = str(family) if family is not None else None
    if kind == "qr":
        try:
            return qr_data_uri(text, **{k: opts[k] for k in ("dark", "light", "border") if k in opts})
        except (TypeError, ValueError) as exc:
            raise TemplateError(f"qr(): {exc}", code="helper_error", details={"helper": "qr"}) from None
    if kind == "fit":
        return job.fitter.fit_text(
            text, _opt(name, opts, "width", required=True), height=_opt(name, opts, "height"),
            max=_opt(name, opts, "max", 96), min=_opt(name, opts, "min", 12), weight=_opt(name, opts, "weight", 400),
            lines=_opt(name, opts, "lines"), line_height=_opt(name, opts, "lineHeight", 1.2), family=family,
        )  # fmt: skip
    if kind == "clamp":
        return job.fitter.clamp_text(
            text, _opt(name, opts, "width", required=True), _opt(name, opts, "size", required=True),
            lines=_opt(name, opts, "lines", 1), weight=_opt(name, opts, "weight", 400),
            line_height=_opt(name, opts, "lineHeight", 1.2), family=family,
        )  # fmt: skip
    raise TemplateError(f"Unknown helper {kind!r}.", code="helper_error", details={"helper": kind})


def _request(job, frame: int | None) -> dict[str, Any]:
    b = job.bundle
    ctx = job.frame_context(frame)
    props = {name: ctx[name] for name in b.props}
    return {
        "props": props,
        "imageProps": {name: props[name] for name, spec in b.props.items() if spec.type == "image"},
        "images": sorted(job.images),
        "assets": sorted(job.assets),
        "helpers": {
            k: ctx[k] for k in ("width", "height", "frame", "totalFrames", "fps", "time", "progress")
        },
        "limits": {"nodes": L.MAX_JSX_NODES, "depth": L.MAX_NESTING_DEPTH, "chars": L.MAX_MARKUP_BYTES},
    }


def _to_markup(job, result: dict[str, Any]) -> str:
    tree = result_tree(result)
    return Converter(tree["requests"], lambda kind, args: _helper(job, kind, args)).markup(tree["tree"])


def markup(job, frame: int | None) -> str:
    """Call the component for ``frame`` and return the markup for the html pipeline."""
    return _to_markup(job, render_trees(job.bundle._cache["jsx"], [_request(job, frame)])[0])


def markups(job, frames: list[int]) -> dict[int, Any]:
    """Several video frames in one trip to V8: ``{frame: markup}``; a frame that failed (and those after
    it) map to the exception, raised when that frame is used."""
    results = render_trees(job.bundle._cache["jsx"], [_request(job, f) for f in frames])
    out: dict[int, Any] = {}
    error: Exception | None = None
    for i, frame in enumerate(frames):
        if error is None:
            try:
                out[frame] = _to_markup(job, results[i]) if i < len(results) else None
            except Exception as exc:  # an EngineError above all; raised when that frame is drawn
                error = exc
        if error is not None:
            out[frame] = error
    return out
