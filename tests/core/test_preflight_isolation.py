"""Preflight runs in the render children, like every render of an untrusted template: it lays the
template out, renders it and steps through a video's frames, which in a web process would hold that
process's CPU and memory without a limit."""

import pytest

from core.renderpool import preflight as isolated
from loopwind import engine
from loopwind.engine import RenderError
from tests.templates_registry.helpers import EXAMPLES


def _in_the_parent(*args, **kwargs):
    raise AssertionError("preflight ran in the web process")


def test_lint_and_check_run_in_a_child(monkeypatch):
    # the spawned children import the engine afresh: only the parent's copy is replaced
    monkeypatch.setattr("loopwind.engine.preflight._run", _in_the_parent)
    og_card = engine.load_bundle(EXAMPLES / "og-card")
    assert isolated.preflight_lint(og_card) == []
    warnings = isolated.preflight_check(og_card, {"title": "Ω ⌘ 𝔄 \U000e0001 \U0010fffd"})
    assert [w["code"] for w in warnings] == ["missing_glyph"]


def test_a_preflight_is_held_to_the_render_time_limit(settings):
    """In the web process nothing would stop it; in a child the pool's deadline does."""
    from core.renderpool.isolation import _pools

    settings.RENDER_TIME_LIMIT = 0.05  # less than a layout of the og-card takes
    _pools.clear()  # a pool with this test's limit
    try:
        with pytest.raises(RenderError) as failure:
            isolated.preflight_check(engine.load_bundle(EXAMPLES / "og-card"), {"title": "A headline"})
        assert failure.value.code == "render_timeout"
    finally:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
