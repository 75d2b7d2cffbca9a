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
    child = pool._idle[0]
    assert child.process.pid != os.getpid()
    run(pool, og_card, "Again")
    assert pool._idle[0] is child


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="Linux scheduling policy")
def test_a_child_is_batch_work_so_its_wakeups_do_not_preempt_its_parent(pool, og_card):
    run(pool, og_card)
    assert os.sched_getscheduler(pool._idle[0].process.pid) == os.SCHED_BATCH
    assert os.sched_getscheduler(0) != os.SCHED_BATCH  # the parent keeps its own


def test_work_overlapped_with_a_render_runs_once_and_its_failure_keeps_the_child(pool, og_card):
    """``while_rendering`` (the quota's upsert, issue 14) runs while the child renders; when it
    fails, its exception is raised once the render is done, and the warm child is kept."""
    ran = []
    assert run(pool, og_card, while_rendering=lambda: ran.append(1))[:4] == b"\x89PNG"
    assert ran == [1]
    child = pool._idle[0]

    def refuse():
        raise ValueError("over quota")

    with pytest.raises(ValueError, match="over quota"):
        run(pool, og_card, "Dropped", while_rendering=refuse)
    assert pool._idle == [child] and child.process.is_alive()


def test_overrunning_render_is_killed_and_the_pool_recovers(pool, og_card):
    run(pool, og_card)  # warm
    first_child = pool._idle[0]
    with pytest.raises(RenderError) as info:
        run(pool, og_card, "Slow", wall_seconds=0.001)
    assert info.value.code == "render_timeout"
    assert not first_child.process.is_alive()
    assert run(pool, og_card, "After")[:4] == b"\x89PNG"


def test_a_child_that_dies_mid_render_is_replaced(pool, og_card, slow):
    run(pool, og_card)
    child = pool._idle[0]
    task = RenderTask(slow.checksum, None, {"title": "x", "octaves": 10})  # seconds of work
    killer = threading.Timer(0.5, lambda: os.kill(child.process.pid, signal.SIGKILL))
    killer.start()
    with pytest.raises(RenderError) as info:
        pool.run(task, files_loader=lambda: dict(slow.files))
    killer.join()
    assert info.value.code in ("render_too_large", "render_failed")
    assert run(pool, og_card, "Replaced")[:4] == b"\x89PNG"


def test_a_child_that_died_while_idle_is_replaced_without_failing_a_render(pool, og_card):
    run(pool, og_card)
    child = pool._idle[0]
    os.kill(child.process.pid, signal.SIGKILL)
    child.process.join(timeout=10)  # dead before the next render asks for it
    assert run(pool, og_card, "Next")[:4] == b"\x89PNG"
    assert pool._idle[0] is not child and pool._started == 1


def test_engine_errors_cross_the_pipe_with_their_type(pool, og_card):
    task = RenderTask(og_card.checksum, None, {"title": 5, "bogus": 1})
    with pytest.raises(engine.PropsError) as info:
        pool.run(task, files_loader=lambda: dict(og_card.files))
    assert info.value.code and "bogus" in str(info.value.details) + info.value.message


def test_cancel(pool, og_card):
    with pytest.raises(RenderError) as info:
        run(pool, og_card, should_cancel=lambda: True)
    assert info.value.code == "render_cancelled"


SLOW_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="{{ width }}" height="{{ height }}"><defs><filter id="f">'
    '<feTurbulence baseFrequency="0.01" numOctaves="{{ octaves }}"/></filter></defs>'
    '<rect width="100%" height="100%" filter="url(#f)"/><text y="40">{{ title }}</text></svg>'
)


@pytest.fixture(scope="module")
def slow():
    """A template whose cost grows with a prop (the attack of issue 22: feTurbulence octaves)."""
    import json

    manifest = {"name": "slow", "type": "image", "engine": "svg", "size": {"width": 1200, "height": 1200},
                "props": {"title": "string", "octaves": {"type": "integer", "default": 1}}}  # fmt: skip
    return engine.load_bundle({"loopwind.json": json.dumps(manifest), "template.svg": SLOW_SVG})


def test_the_child_measures_what_each_render_costs(pool, og_card, slow):
    """CPU time of the render itself and of its helper processes (the SVG rasterizer here)."""
    task = RenderTask(slow.checksum, None, {"title": "x", "octaves": 8})
    pool.run(task, files_loader=lambda: dict(slow.files))
    heavy = task.cpu_ms
    task = RenderTask(slow.checksum, None, {"title": "x", "octaves": 1})
    pool.run(task, files_loader=lambda: dict(slow.files))
    # eight octaves do about four times the work of one (a fixed part is the PNG of 1200×1200); CPU
    # time, unlike wall time, hardly moves with the machine's load, but a busy core's caches do: a
    # margin, not the exact ratio
    assert heavy > task.cpu_ms > 0 and heavy > 1.5 * task.cpu_ms, (heavy, task.cpu_ms)
    failed = RenderTask(og_card.checksum, None, {"title": 5})
    with pytest.raises(engine.PropsError):
        pool.run(failed, files_loader=lambda: dict(og_card.files))
    assert failed.cpu_ms is not None  # failures are measured (and charged) too
    timed_out = RenderTask(slow.checksum, None, {"title": "x", "octaves": 10})
    with pytest.raises(RenderError):
        pool.run(timed_out, files_loader=lambda: dict(slow.files), wall_seconds=0.3)
    assert timed_out.cpu_ms == 300  # killed at its deadline: charged the whole budget


def test_waiting_takes_turns_between_accounts(og_card, slow):
    """One child; account A queues six slow renders, then B one: B's render is the next to run, not the
    seventh (issue 22: one account flooding slow renders starved everyone behind it)."""
    pool = RenderPool(1, Limits(wall_seconds=120, cpu_seconds=120, memory_mb=2048))
    run(pool, og_card)  # a warm child
    order, lock = [], threading.Lock()

    def render(account, label, octaves):
        task = RenderTask(slow.checksum, None, {"title": label, "octaves": octaves})
        pool.run(task, files_loader=lambda: dict(slow.files), account=account)
        with lock:
            order.append(label)

    def wait_for(condition):
        while not condition():
            threading.Event().wait(0.01)

    try:
        threads = [threading.Thread(target=render, args=("A", f"a{n}", 3)) for n in range(6)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(pool._waiting.get("A", ())) == 5)  # one running, five in line
        b = threading.Thread(target=render, args=("B", "b", 1))
        b.start()
        wait_for(lambda: "B" in pool._waiting)
        for thread in [*threads, b]:
            thread.join()
    finally:
        pool.close()
    assert order.index("b") <= 1, order  # after at most the render that was running when B asked
