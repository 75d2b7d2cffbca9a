"""Prop specs (from the manifest) and prop validation / coercion.

Props are JSON and held to their JSON type: a number for a string prop, a string for a number or
a boolean, an object for a color are refused (``invalid_prop``, naming the prop, the expected and
the given type), never silently converted. Props that arrive as text (a signed URL's query, a web
form, the CLI's ``--prop key=value``) go through ``props_from_text`` first, which reads numbers
and booleans by the manifest's types. Then, per type:

- ``string``: a str. ``maxLength`` (code points, default 10000) and ``enum`` apply.
- ``number``: int or float (not bool); as text, a finite decimal number ("3.5").
  NaN and infinities are refused. ``min``/``max``/``enum`` apply. Result is a float, or an int
  when the value is integral and was given as an int.
- ``integer``: int (not bool) or a float with no fractional part (3.0); as text, digits ("42").
- ``boolean``: bool; as text, true/false, 1/0, yes/no, on/off (any case).
- ``color``: a CSS color only (see ``colors.py``), normalized to lowercase.
- ``image``: a bundle asset path (``assets/logo.png``), an ``http(s)://`` URL, a ``data:image/…;base64,``
  URI, or raw bytes. The engine never fetches URLs: the caller fetches them (with its own SSRF
  protection) and passes ``images={url: bytes}`` to ``validate_props``/``render``.
  ``remote_image_urls()`` lists what to fetch. Bytes must be PNG, JPEG, GIF, WebP or SVG.
- A manifest's defaults are read as leniently as text (``"default": 5`` for a string is "5").
- Missing props take their ``default``; missing required props, unknown props and ``None`` for a
  required prop are refused. Optional props without default are ``None`` in the template.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .colors import normalize_color
from .errors import PropsError
from .images import ImageValue, image_problem, sniff_image
from .limits import IMAGE_EXTENSIONS, MAX_STRING_PROP

PROP_TYPES = ("string", "number", "integer", "boolean", "color", "image")
PROP_KEYS = frozenset(
    {"type", "required", "default", "description", "enum", "maxLength", "min", "max", "label", "example"}
)
RESERVED_NAMES = frozenset(
    {"width", "height", "frame", "totalFrames", "fps", "time", "progress", "asset", "qr", "fit_text",
     "clamp_text", "props", "loop", "range", "self"}
)  # fmt: skip
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_BOOL_STRINGS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False}
_BOOL_STRINGS["off"] = False


@dataclass(frozen=True)
class PropSpec:
    name: str
    type: str
    required: bool = True
    default: Any = None
    description: str = ""
    enum: tuple[Any, ...] | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "required": self.required}
        if self.default is not None:
            out["default"] = self.default
        if self.description:
            out["description"] = self.description
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        out.update(self.extra)
        return out


def _bundle_error(message: str, prop: str, **details: Any):
    from .errors import BundleError

    return BundleError(
        message,
        code="invalid_prop_spec",
        details={"file": "loopwind.json", "field": f"props.{prop}", **details},
    )


def parse_prop_spec(name: str, raw: Any) -> PropSpec:
    """Parse one manifest prop (shorthand ``"string?"`` or object form). Raises BundleError."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise _bundle_error(f"Prop name {name!r} must be an identifier (letters, digits, _).", str(name))
    if name in RESERVED_NAMES:
        raise _bundle_error(f"Prop name {name!r} is reserved by the template context.", name)
    if isinstance(raw, str):
        optional = raw.endswith("?")
        ptype = raw[:-1] if optional else raw
        if ptype not in PROP_TYPES:
            raise _bundle_error(
                f"Prop {name!r} has unknown type {ptype!r}; use one of {', '.join(PROP_TYPES)}.", name
            )
        return PropSpec(name=name, type=ptype, required=not optional)
    if not isinstance(raw, Mapping):
        raise _bundle_error(f"Prop {name!r} must be a type string or an object.", name)
    unknown = sorted(set(raw) - PROP_KEYS)
    if unknown:
        raise _bundle_error(f"Prop {name!r} has unknown keys: {', '.join(unknown)}.", name)
    ptype = raw.get("type")
    if ptype not in PROP_TYPES:
        raise _bundle_error(
            f"Prop {name!r} has unknown type {ptype!r}; use one of {', '.join(PROP_TYPES)}.", name
        )
    has_default = raw.get("default") is not None
    required = raw.get("required", not has_default)
    if not isinstance(required, bool):
        raise _bundle_error(f"Prop {name!r}: 'required' must be true or false.", name)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise _bundle_error(f"Prop {name!r}: 'description' must be a string.", name)
    max_length = raw.get("maxLength")
    if max_length is not None and (type(max_length) is not int or max_length < 0):
        raise _bundle_error(f"Prop {name!r}: 'maxLength' must be a non-negative integer.", name)
    bounds = {}
    for key in ("min", "max"):
        val = raw.get(key)
        if val is not None and (
            isinstance(val, bool) or not isinstance(val, int | float) or not math.isfinite(val)
        ):
            raise _bundle_error(f"Prop {name!r}: {key!r} must be a number.", name)
        bounds[key] = val
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        raise _bundle_error(f"Prop {name!r}: 'min' is greater than 'max'.", name)
    enum = raw.get("enum")
    if enum is not None:
        if not isinstance(enum, list) or not enum:
            raise _bundle_error(f"Prop {name!r}: 'enum' must be a non-empty list.", name)
        enum = tuple(enum)
    extra = {k: raw[k] for k in ("label", "example") if k in raw}
    spec = PropSpec(
        name, ptype, required, None, description, enum, max_length, bounds["min"], bounds["max"], extra
    )
    if has_default:
        try:
            default = coerce_prop(spec, raw["default"], assets=None, images=None)
        except PropsError as exc:
            raise _bundle_error(f"Prop {name!r}: default is invalid: {exc.message}", name) from None
        if ptype == "image":
            default = raw["default"]  # re-resolved per render against the bundle
        spec = PropSpec(
            name, ptype, required, default, description, enum, max_length, spec.min, spec.max, extra
        )
    return spec


def _fail(spec: PropSpec, message: str, code: str = "invalid_prop", **details: Any) -> PropsError:
    return PropsError(f"Prop {spec.name!r}: {message}", code=code, details={"prop": spec.name, **details})


def _image_from_bytes(spec: PropSpec, data: bytes, source: str, ref: str) -> ImageValue:
    problem = image_problem(data)
    if problem is not None:
        raise _fail(spec, problem[1], problem[0])
    return ImageValue(source, ref, data, sniff_image(data))


def _coerce_image(spec: PropSpec, value: Any, assets: Mapping[str, bytes] | None, images) -> ImageValue:
    if isinstance(value, ImageValue):  # already validated (validate_props output passed back in)
        if value.data is None and value.source == "url":
            return _coerce_image(spec, value.ref, assets, images)
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return _image_from_bytes(spec, bytes(value), "bytes", "")
    if not isinstance(value, str) or not value.strip():
        raise _fail(spec, "expected an image URL, a bundle asset path or image bytes.")
    text = value.strip()
    if text.startswith("data:"):
        m = re.fullmatch(r"data:image/[a-z0-9.+-]+;base64,([A-Za-z0-9+/=\s]+)", text, flags=re.I)
        if not m:
            raise _fail(spec, "only base64 data:image/… URIs are accepted.", "invalid_image")
        try:
            data = base64.b64decode(m.group(1), validate=False)
        except (binascii.Error, ValueError):
            raise _fail(spec, "the data URI is not valid base64.", "invalid_image") from None
        return _image_from_bytes(spec, data, "bytes", "")
    if re.match(r"https?://", text, flags=re.I):
        if len(text) > 2048 or any(c.isspace() for c in text):
            raise _fail(spec, "the image URL is not valid.", "invalid_image")
        if images is not None and text in images:
            return _image_from_bytes(spec, bytes(images[text]), "url", text)
        return ImageValue("url", text, None, None)
    if re.match(r"[a-z][a-z0-9+.-]*:", text, flags=re.I):
        raise _fail(
            spec, "only http(s) URLs, data: URIs and bundle asset paths are accepted.", "invalid_image"
        )
    path = text.removeprefix("./")
    if assets is None:  # validating a manifest default: the bundle check happens at load time
        return ImageValue("asset", path, None, None)
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if path not in assets or ext not in IMAGE_EXTENSIONS:
        raise _fail(spec, f"no image named {path!r} in the bundle.", "image_not_found", path=path)
    return _image_from_bytes(spec, assets[path], "asset", path)


def coerce_prop(spec: PropSpec, value: Any, *, assets: Mapping[str, bytes] | None, images) -> Any:
    """Validate and coerce one value for ``spec``. Raises PropsError naming the prop."""
    t = spec.type
    if t == "string":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _fail(spec, "expected a string.", "invalid_prop", expected="string")
        out: Any = value if isinstance(value, str) else str(value)
        limit = spec.max_length if spec.max_length is not None else MAX_STRING_PROP
        if len(out) > limit:
            raise _fail(spec, f"longer than {limit} characters.", "too_long", maxLength=limit)
    elif t in ("number", "integer"):
        out = _coerce_number(spec, value)
        if spec.min is not None and out < spec.min:
            raise _fail(spec, f"must be at least {spec.min}.", "out_of_range", min=spec.min)
        if spec.max is not None and out > spec.max:
            raise _fail(spec, f"must be at most {spec.max}.", "out_of_range", max=spec.max)
    elif t == "boolean":
        if isinstance(value, bool):
            out = value
        elif type(value) is int and value in (0, 1):
            out = bool(value)
        elif isinstance(value, str) and value.strip().lower() in _BOOL_STRINGS:
            out = _BOOL_STRINGS[value.strip().lower()]
        else:
            raise _fail(spec, "expected a boolean.", "invalid_prop", expected="boolean")
    elif t == "color":
        out = normalize_color(value) if isinstance(value, str) else None
        if out is None:
            raise _fail(spec, "expected a CSS color such as #f59e0b, rgb(0 0 0) or 'navy'.", "invalid_color")
    else:
        return _coerce_image(spec, value, assets, images)
    if spec.enum is not None and out not in spec.enum:
        raise _fail(spec, f"must be one of {list(spec.enum)!r}.", "not_in_enum", enum=list(spec.enum))
    return out


def _coerce_number(spec: PropSpec, value: Any) -> int | float:
    integer = spec.type == "integer"
    if isinstance(value, bool):
        raise _fail(
            spec, f"expected {'an integer' if integer else 'a number'}.", "invalid_prop", expected=spec.type
        )
    if isinstance(value, str):
        text = value.strip()
        if integer and re.fullmatch(r"[+-]?\d{1,18}", text):
            return int(text)
        if not integer and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text) and len(text) < 40:
            value = float(text)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(spec, "must be a finite number.", "invalid_prop", expected=spec.type)
        if integer:
            if not value.is_integer():
                raise _fail(spec, "expected an integer.", "invalid_prop", expected="integer")
            return int(value)
        return value
    if isinstance(value, int):
        return value
    raise _fail(
        spec, f"expected {'an integer' if integer else 'a number'}.", "invalid_prop", expected=spec.type
    )


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int, float),  # 3.0 is an integer in JSON; 3.5 is refused by the range rules
    "boolean": (bool,),
    "color": (str,),
    "image": (str, bytes, bytearray, memoryview, ImageValue),  # bytes from in-process callers
}
_EXPECTED = {"string": "a string", "number": "a number", "integer": "an integer", "boolean": "a boolean",
             "color": "a color string", "image": "an image URL or asset path"}  # fmt: skip


def _json_type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def check_json_type(spec: PropSpec, value: Any) -> None:
    """A value given as JSON must have its prop's JSON type; PropsError ``invalid_prop`` otherwise."""
    allowed = _JSON_TYPES[spec.type]
    if isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed):
        return
    expected, got = _EXPECTED[spec.type], _json_type_name(value)
    raise _fail(spec, f"expected {expected}, got {got}.", "invalid_prop", expected=spec.type, got=got)


def props_from_text(specs: Mapping[str, Any], props: Mapping[str, Any]) -> dict:
    """Props that arrived as text (a URL's query, a form field, ``--prop key=value``), typed by the
    manifest: "3" for an integer prop is 3, "true" for a boolean is True, "5" for a string stays
    "5". ``specs`` is ``Bundle.props`` or a manifest's ``props`` object. Text that is not a valid
    number or boolean is left as it is, for ``validate_props`` to refuse naming the prop."""
    out = dict(props)
    for name, value in props.items():
        raw = specs.get(name)
        ptype = raw.type if isinstance(raw, PropSpec) else _manifest_type(raw)
        if not isinstance(value, str) or ptype not in ("number", "integer", "boolean"):
            continue
        if ptype == "boolean":
            out[name] = _BOOL_STRINGS.get(value.strip().lower(), value)
            continue
        try:
            out[name] = _coerce_number(PropSpec(name=name, type=ptype), value)
        except PropsError:
            pass
    return out


def _manifest_type(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw.removesuffix("?")
    return raw.get("type") if isinstance(raw, Mapping) else None


def validate_props(
    bundle, props: Mapping[str, Any] | None, *, images: Mapping[str, bytes] | None = None
) -> dict:
    """Return the normalized props for ``bundle`` or raise PropsError naming the first bad prop.

    ``images`` maps remote image URLs to the bytes the caller fetched. Image props come back as
    ``ImageValue``; a URL not in ``images`` has ``data=None`` (``render`` then refuses it).
    """
    if props is None:
        props = {}
    if not isinstance(props, Mapping):
        raise PropsError("Props must be a JSON object.", code="invalid_props", details={})
    specs = bundle.props
    unknown = sorted(str(k) for k in props if k not in specs)
    if unknown:
        raise PropsError(
            f"Unknown prop {unknown[0]!r}; this template takes: {', '.join(specs) or 'no props'}.",
            code="unknown_prop",
            details={"prop": unknown[0], "unknown": unknown, "allowed": list(specs)},
        )
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        value = props.get(name)
        if value is not None:
            check_json_type(spec, value)
        elif spec.default is not None:  # typed when the manifest was read
            value = spec.default
        elif spec.required:
            raise PropsError(f"Missing required prop {name!r}.", code="missing_prop", details={"prop": name})
        else:
            out[name] = None
            continue
        out[name] = coerce_prop(spec, value, assets=bundle.files, images=images)
    return out


def remote_image_urls(bundle, props: Mapping[str, Any] | None) -> dict[str, str]:
    """``{prop: url}`` for image props given as http(s) URLs: what the caller must fetch first."""
    out = {}
    for name, value in validate_props(bundle, props).items():
        if isinstance(value, ImageValue) and value.source == "url":
            out[name] = value.ref
    return out


def _lenient(spec: PropSpec, value: Any) -> Any:
    if spec.type == "image":
        return value
    try:
        return coerce_prop(spec, value, assets=None, images=None)
    except PropsError:
        return value  # refused by validate_props, naming the prop


def example_props(bundle) -> dict[str, Any]:
    """Props to preview a template with: each prop's ``example``, else its default, else a placeholder
    (the prop's name for strings, ``min`` or 0 for numbers, false, black); optional images are left out."""
    out: dict[str, Any] = {}
    for name, spec in bundle.props.items():
        if "example" in spec.extra:  # an author's example is read as leniently as a default
            out[name] = _lenient(spec, spec.extra["example"])
        elif spec.default is not None:
            continue
        elif spec.enum:
            out[name] = spec.enum[0]
        elif spec.type == "string":
            out[name] = name.replace("_", " ").title()[: spec.max_length or None]
        elif spec.type in ("number", "integer"):
            out[name] = int(spec.min) if spec.min is not None else 0
        elif spec.type == "boolean":
            out[name] = False
        elif spec.type == "color":
            out[name] = "#000000"
        elif spec.type == "image" and spec.required:
            out[name] = _PLACEHOLDER_PNG
    return out


# 1x1 transparent PNG, for required image props in previews
_PLACEHOLDER_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
