"""Time and memory limits around the native renderers (Takumi in a thread, resvg in a helper process)."""

from __future__ import annotations

import time

import pytest
from engine_helpers import make_files

from loopwind.engine import RenderError, isolate, limits, render

HEAVY_HTML = (
    '<div tw="flex w-full h-full">'
    + '<div style="width:100%;height:100%;position:absolute;box-shadow: 0 0 500px 100px black; filter: blur(300px)"></div>'
    * 3
    + "</div>"
)
HEAVY_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="4096" height="4096"><defs><filter id="f">'
    '<feGaussianBlur stdDeviation="300"/></filter></defs>'
    + '<rect width="4096" height="4096" fill="red" filter="url(#f)"/>' * 8
    + "</svg>"
)
BIG = {"size": {"width": 4096, "height": 4096}}


@pytest.fixture
def short_native_limit(monkeypatch):
    monkeypatch.setattr(limits, "NATIVE_TIME_LIMIT", 0.2)


@pytest.mark.parametrize(("engine", "template"), [("html", HEAVY_HTML), ("svg", HEAVY_SVG)])
def test_expensive_render_times_out(engine, template, short_native_limit):
    start = time.monotonic()
    with pytest.raises(RenderError) as exc:
        render(make_files(BIG, template=template, engine=engine), {"title": "x"})
    assert exc.value.code == "render_timeout"
    assert time.monotonic() - start < 5
    # the process is intact and renders again
    assert render(make_files(engine=engine), {"title": "ok"}).startswith(b"\x89PNG")


def test_rasterizer_memory_limit(monkeypatch):
    isolate.shutdown()  # new helpers pick up the lower limit
    monkeypatch.setattr(limits, "NATIVE_MEMORY_LIMIT", 400 * 1024 * 1024)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4096" height="4096"><rect width="10" height="10"/></svg>'
    try:
        with pytest.raises(RenderError) as exc:
            render(make_files(BIG, template=svg, engine="svg"), {"title": "x"}, scale=2)
        assert exc.value.code == "render_memory"
    finally:
        isolate.shutdown()
    assert render(make_files(engine="svg"), {"title": "ok"}).startswith(b"\x89PNG")


def test_forked_child_renders_with_its_own_renderer_and_helpers():
    import os

    # warm up the parent: shared renderer, a helper process, a native thread
    assert render(make_files(), {"title": "x"}).startswith(b"\x89PNG")
    assert render(make_files(engine="svg"), {"title": "x"}).startswith(b"\x89PNG")
    pid = os.fork()
    if pid == 0:  # child: must render on its own, then leave without running pytest's teardown
        try:
            ok = render(make_files(), {"title": "y"}).startswith(b"\x89PNG")
            ok = ok and render(make_files(engine="svg"), {"title": "y"}).startswith(b"\x89PNG")
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert render(make_files(engine="svg"), {"title": "z"}).startswith(b"\x89PNG")
