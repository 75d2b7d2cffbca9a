"""The hostile JSX corpus (tests/engine/hostile_jsx/) pushed through the public API, as the Jinja
corpus is in test_hostile_api.py.

Each file is published as a jsx template's entry: the publish preview (in the render children)
must refuse it with a 4xx error JSON, never a 500, within the time limit. The same file is also
published behind a prop guard (an entry that calls it only when ``mode`` is "attack"), so the publish
passes, and then rendered with ``mode=attack`` through POST /api/render: again a 4xx error JSON
within time, and the server renders normally afterwards (the V8 helper was replaced or reused).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_error
from tests.security.conftest import assert_no_leak, timed_request
from tests.templates_registry.helpers import publish

pytestmark = pytest.mark.django_db

HOSTILE = Path(__file__).resolve().parents[1] / "engine" / "hostile_jsx"
CORPUS = sorted(p.name for p in HOSTILE.iterdir())
RENDERS = {"regexp-statics.tsx"}  # neutralized by the runtime: renders, and holds nothing of others
GUARD = """import Hostile from "./hostile";
export default function Template(props, helpers) {
  return props.mode === "attack" ? Hostile(props, helpers) : <div tw="flex w-full h-full bg-white">{props.title}</div>;
}
"""


def bundle(entry: bytes, *, guarded: bool) -> dict[str, bytes]:
    props: dict = {"title": {"type": "string", "default": "hi"}}
    if guarded:
        props["mode"] = {"type": "string", "default": "safe"}
    manifest = {
        "name": "t",
        "type": "image",
        "engine": "jsx",
        "size": {"width": 64, "height": 48},
        "props": props,
    }
    files = {"loopwind.json": json.dumps(manifest).encode()}
    if guarded:
        files.update({"template.tsx": GUARD.encode(), "hostile.tsx": entry})
    else:
        files["template.tsx"] = entry
    return files


@pytest.mark.parametrize("name", CORPUS)
def test_jsx_corpus_through_publish_and_render(business, name):
    entry = (HOSTILE / name).read_bytes()
    stem = Path(name).stem[:40]
    raw = timed_request(lambda: publish(business, files=bundle(entry, guarded=False), name=f"raw-{stem}"))
    if name in RENDERS:
        assert raw.status_code == 201, raw.content[:300]
    else:
        error = assert_error(raw, raw.status_code)
        assert 400 <= raw.status_code < 500 and error["code"], error
        assert_no_leak(json.dumps(error).encode())
        assert "lw-runtime" not in error["message"] and "_jsxd" not in error["message"]

    guarded = timed_request(lambda: publish(business, files=bundle(entry, guarded=True), name=f"g-{stem}"))
    if guarded.status_code != 201:
        # refused while loading (a syntax error, a forbidden import, binary garbage): a clear 4xx
        assert_error(guarded, guarded.status_code)
        assert 400 <= guarded.status_code < 500
        return
    slug = f"{guarded.json()['author']}/g-{stem}"
    body = {"template": slug, "props": {"mode": "attack"}, "format": "png"}
    rendered = timed_request(lambda: business.post("/api/render", body, format="json"))
    if name in RENDERS:
        assert rendered.status_code == 200, rendered.content[:300]
    else:
        error = assert_error(rendered, rendered.status_code)
        assert rendered.status_code in (400, 422), error
        assert_no_leak(json.dumps(error).encode())
    ok = business.post("/api/render", {"template": slug, "props": {"mode": "safe"}}, format="json")
    assert ok.status_code == 200 and ok.content.startswith(b"\x89PNG")
