"""Render children: a render that overruns is killed and the pool keeps serving."""

import os
import signal
import threading

import pytest

from core.renderpool.isolation import Limits, RenderPool, RenderTask
from loopwind import engine
from loopwind.engine import RenderError
from tests.templates_registry.helpers import EXAMPLES


@pytest.fixture(scope="module")
def og_card():
    return engine.load_bundle(EXAMPLES / "og-card")


@pytest.fixture
def pool():
    pool = RenderPool(1, Limits(wall_seconds=20, cpu_seconds=20, memory_mb=2048))
    yield pool
    pool.close()


def run(pool, bundle, title="Hi", **kwargs):
    task = RenderTask(bundle.checksum, None, {"title": title})
    return pool.run(task, files_loader=lambda: dict(bundle.files), **kwargs)


def test_renders_in_a_child_and_reuses_it(pool, og_card):
    assert run(pool, og_card)[:8] == b"\x89PNG\r\n\x1a\n"
    child = pool._idle.queue[0]
    assert child.process.pid != os.getpid()
    run(pool, og_card, "Again")
    assert pool._idle.queue[0] is child


def test_overrunning_render_is_killed_and_the_pool_recovers(pool, og_card):
    run(pool, og_card)  # warm
    first_child = pool._idle.queue[0]
    with pytest.raises(RenderError) as info:
        run(pool, og_card, "Slow", wall_seconds=0.001)
    assert info.value.code == "render_timeout"
    assert not first_child.process.is_alive()
    assert run(pool, og_card, "After")[:4] == b"\x89PNG"


def test_a_child_that_dies_mid_render_is_replaced(pool, og_card):
    run(pool, og_card)
    child = pool._idle.queue[0]
    killer = threading.Timer(0.0, lambda: os.kill(child.process.pid, signal.SIGKILL))
    killer.start()
    killer.join()
    with pytest.raises(RenderError) as info:
        run(pool, og_card, "Dead")
    assert info.value.code in ("render_too_large", "render_failed")
    assert run(pool, og_card, "Replaced")[:4] == b"\x89PNG"


def test_engine_errors_cross_the_pipe_with_their_type(pool, og_card):
    task = RenderTask(og_card.checksum, None, {"title": 5, "bogus": 1})
    with pytest.raises(engine.PropsError) as info:
        pool.run(task, files_loader=lambda: dict(og_card.files))
    assert info.value.code and "bogus" in str(info.value.details) + info.value.message


def test_cancel(pool, og_card):
    with pytest.raises(RenderError) as info:
        run(pool, og_card, should_cancel=lambda: True)
    assert info.value.code == "render_cancelled"
