"""``--props '{…}'`` / ``--props @file.json`` and repeated ``--prop key=value``."""

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
        data[key.strip()] = _value(value)
    return data


def _value(text: str):
    """``count=3`` is a number, ``on=true`` a boolean, ``x=[1,2]`` JSON; anything else a string."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if not isinstance(value, str) else text


def _pointer(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    if len(line) > 80:
        return ""
    return f"\n  {line}\n  {' ' * (pos - line_start)}^"
