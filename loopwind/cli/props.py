"""``--props '{…}'`` / ``--props @file.json`` and repeated ``--prop key=value``.

``--props`` is JSON and keeps its types (the API holds props to them: ``{"title": 5}`` is refused
for a string prop). ``--prop`` values are text, typed by the template's manifest once it is known
(``typed_props``): ``count=3`` is 3 for an integer prop, ``title=2024`` stays "2024" for a string."""

from __future__ import annotations

import json
from pathlib import Path

from .output import UsageProblem


def parse_props(props: str | None, pairs: tuple[str, ...] = ()) -> dict:
    data: dict = {}
    if props:
        source, text = "--props", props
        if props.startswith("@"):
            path = Path(props[1:])
            try:
                text = path.read_text()
            except OSError as exc:
                raise UsageProblem(f"Cannot read {path}: {exc.strerror}.", code="props_file") from None
            source = str(path)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            pointer = _pointer(text, exc.pos)
            raise UsageProblem(
                f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}{pointer}",
                code="bad_props_json",
                details={"line": exc.lineno, "column": exc.colno},
            ) from None
        if not isinstance(data, dict):
            raise UsageProblem(
                f'{source} must be a JSON object, like \'{{"title": "Hello"}}\'.', code="bad_props"
            )
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageProblem(f"--prop takes key=value, not {pair!r}.", code="bad_prop")
        data[key.strip()] = TextValue(value)
    return data


class TextValue(str):
    """A ``--prop`` value, until ``typed_props`` reads it by the manifest's type."""


def typed_props(props: dict, specs) -> dict:
    """``props`` with the ``--prop`` values typed by ``specs`` (a bundle's props, or the manifest's
    ``props`` object of a published template), as the server types a signed URL's query."""
    text = {name: str(value) for name, value in props.items() if isinstance(value, TextValue)}
    if not text:
        return props
    from ..engine import props_from_text

    return {**props, **props_from_text(specs, text)}


def has_text(props: dict) -> bool:
    return any(isinstance(value, TextValue) for value in props.values())


def _pointer(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    if len(line) > 80:
        return ""
    return f"\n  {line}\n  {' ' * (pos - line_start)}^"
