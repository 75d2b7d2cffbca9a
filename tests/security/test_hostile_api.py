"""The engine's hostile corpus (tests/engine/hostile/) pushed through the public API.

Each file is published as a template's entry: the publish smoke render must refuse it with a 4xx
error JSON (never a 500) within the time limit. The same file is also published behind a prop guard
(``{% if mode == "attack" %}…{% else %}harmless{% endif %}``), so the publish passes, and then
rendered with ``mode=attack`` through POST /api/render: again a 4xx error JSON within time, and the
server renders normally afterwards. The two files that are meant to render (one neutralized SSTI,
one SVG declaring a huge size) must answer with an image and leak nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_error
from tests.security.conftest import assert_no_leak, timed_request
from tests.templates_registry.helpers import publish

pytestmark = pytest.mark.django_db

HOSTILE = Path(__file__).resolve().parents[1] / "engine" / "hostile"
CORPUS = sorted(p.name for p in HOSTILE.iterdir())
# These render (the engine neutralizes them); everything else must be refused.
RENDERS = {"ssti-attr-format-map.html", "svg-huge-declared.svg"}
SAFE_HTML = '<div tw="flex w-full h-full bg-white">{{ title }}</div>'
SAFE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><text y="20">{{ title }}</text></svg>'
)


def bundle(entry: str, engine: str, *, guarded: bool) -> dict[str, bytes]:
    props: dict = {"title": {"type": "string", "default": "hi"}}
    if guarded:
        safe = SAFE_SVG if engine == "svg" else SAFE_HTML
        entry = f'{{% if mode == "attack" %}}{entry}{{% else %}}{safe}{{% endif %}}'
        props["mode"] = {"type": "string", "default": "safe"}
    manifest = {
        "name": "t",
        "type": "image",
        "engine": engine,
        "size": {"width": 64, "height": 48},
        "props": props,
    }
    name = "template.svg" if engine == "svg" else "template.html"
    return {"loopwind.json": json.dumps(manifest).encode(), name: entry.encode()}


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_through_publish_and_render(business, name):
    path = HOSTILE / name
    engine = "svg" if path.suffix == ".svg" else "html"
    stem = path.stem[:40]
    text = path.read_text()

    raw = timed_request(
        lambda: publish(business, files=bundle(text, engine, guarded=False), name=f"raw-{stem}")
    )
    if name in RENDERS:
        assert raw.status_code == 201, raw.content[:300]
    else:
        error = assert_error(raw, raw.status_code)
        assert 400 <= raw.status_code < 500 and error["code"], error

    guarded = timed_request(
        lambda: publish(business, files=bundle(text, engine, guarded=True), name=f"g-{stem}")
    )
    if guarded.status_code != 201:
        # refused before any render (a syntax error, a forbidden SVG construct): a clear 4xx
        assert_error(guarded, guarded.status_code)
        assert 400 <= guarded.status_code < 500
        return
    slug = f"{guarded.json()['author']}/g-{stem}"
    body = {"template": slug, "props": {"mode": "attack"}, "format": "png"}
    rendered = timed_request(lambda: business.post("/api/render", body, format="json"))
    if name in RENDERS:
        assert rendered.status_code == 200, rendered.content[:300]
        assert_no_leak(rendered.content)
    else:
        error = assert_error(rendered, rendered.status_code)
        assert rendered.status_code in (400, 422), error
        assert_no_leak(json.dumps(error).encode())
    # the server still renders
    ok = business.post("/api/render", {"template": slug, "props": {"mode": "safe"}}, format="json")
    assert ok.status_code == 200 and ok.content.startswith(b"\x89PNG")
