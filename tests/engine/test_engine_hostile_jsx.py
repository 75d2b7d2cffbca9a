"""The hostile JSX corpus (tests/engine/hostile_jsx/): each file is an untrusted template entry.

Every case ends in the right EngineError subclass with a code and a message, within the time limit, and
the next render works (the V8 helper was reused or replaced). Load-time problems (syntax, imports) are
BundleErrors; what the component does when called is a TemplateError (RenderError for markup limits).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from engine_helpers import make_files

from loopwind.engine import BundleError, RenderError, TemplateError, load_bundle, render

HOSTILE = Path(__file__).resolve().parent / "hostile_jsx"
SEC = "template_security_error"
RUNTIME = "template_runtime_error"
EXPECTED = {
    "loop-forever.tsx": (TemplateError, "template_timeout"),
    "recursion.tsx": (TemplateError, "template_recursion"),
    "component-recursion.tsx": (TemplateError, "template_recursion"),
    "huge-array.tsx": (TemplateError, ("template_memory", "template_timeout")),  # whichever limit is first
    "huge-string.tsx": (TemplateError, RUNTIME),  # RangeError: Invalid string length
    "constructor-escape.tsx": (TemplateError, SEC),
    "function-this.tsx": (TemplateError, SEC),
    "eval.tsx": (TemplateError, SEC),
    "import-fs.tsx": (BundleError, "module_not_allowed"),
    "require-child-process.tsx": (BundleError, "module_not_allowed"),
    "import-package.tsx": (BundleError, "module_not_allowed"),
    "import-missing-file.tsx": (BundleError, "module_not_found"),
    "prototype-pollution.tsx": (TemplateError, SEC),
    "global-write.tsx": (TemplateError, SEC),
    "ten-million-nodes.tsx": (TemplateError, ("template_memory", "template_timeout")),
    "many-nodes-lazy.tsx": (
        TemplateError,
        ("markup_too_large", "template_timeout"),
    ),  # whichever limit is first
    "non-element.tsx": (TemplateError, "invalid_return"),
    "throws.tsx": (TemplateError, RUNTIME),
    "promise.tsx": (TemplateError, "template_async"),
    "hooks.tsx": (TemplateError, "hooks_not_supported"),
    "timers.tsx": (TemplateError, RUNTIME),  # setTimeout is not a function
    "fetch.tsx": (TemplateError, RUNTIME),  # fetch is not defined
    "object-child.tsx": (TemplateError, "invalid_child"),
    "dangerously.tsx": (TemplateError, "invalid_element"),
    "deep-nesting.tsx": (RenderError, "markup_too_deep"),
    "img-file.tsx": (TemplateError, "resource_not_allowed"),
    "css-url-metadata.tsx": (TemplateError, "resource_not_allowed"),
    "svg-external-image.tsx": (TemplateError, "resource_not_allowed"),
    "html-comment-escape.tsx": (BundleError, "syntax_error"),
    "syntax-error.tsx": (BundleError, "syntax_error"),
    "binary-garbage.tsx": (BundleError, None),  # not UTF-8: invalid_encoding
    "regexp-statics.tsx": None,  # neutralized: renders, and holds nothing of earlier renders
}
TIME_BUDGET = 8.0  # seconds per case, with the template time limit lowered to 0.5 s


def _files(name: str) -> dict[str, bytes]:
    files = make_files(engine="jsx")
    files["template.tsx"] = (HOSTILE / name).read_bytes()
    return files


def test_every_corpus_file_has_an_expectation():
    assert {p.name for p in HOSTILE.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_jsx(name, fast_template_timeout):
    start = time.monotonic()
    if EXPECTED[name] is None:
        from loopwind.engine.pipeline import Job

        bundle = load_bundle(_files(name))
        Job(bundle, {"title": "secret of the previous caller"}).markup()
        assert Job(bundle, {"title": "x"}).markup() == "<div>undefined|undefined</div>"
        return
    cls, code = EXPECTED[name]
    with pytest.raises(cls) as exc:
        render(_files(name), {"title": "hi"})
    elapsed = time.monotonic() - start
    if code is not None:
        assert exc.value.code in ((code,) if isinstance(code, str) else code), exc.value
    assert exc.value.message
    assert "lw-runtime" not in exc.value.message and "_jsxd" not in exc.value.message
    assert elapsed < TIME_BUDGET, elapsed
    # the next render works
    assert render(make_files(engine="jsx"), {"title": "ok"}).startswith(b"\x89PNG")


def test_thrown_error_shows_the_authors_message_and_line():
    with pytest.raises(TemplateError) as exc:
        render(_files("throws.tsx"), {"title": "long title"})
    assert exc.value.message == "template.tsx:3: Error: title must be shorter than 3 characters"
    assert exc.value.details == {"file": "template.tsx", "line": 3}


def test_syntax_error_names_file_line_and_column():
    with pytest.raises(BundleError) as exc:
        load_bundle(_files("syntax-error.tsx"))
    assert exc.value.details["file"] == "template.tsx"
    assert exc.value.details["line"] == 2
    column = exc.value.details["column"]
    assert exc.value.message.startswith(f"template.tsx:2:{column}: ")


def test_forbidden_import_names_the_module():
    with pytest.raises(BundleError) as exc:
        load_bundle(_files("require-child-process.tsx"))
    assert exc.value.details["module"] == "child_process"
    assert '"child_process"' in exc.value.message
    with pytest.raises(BundleError) as exc:
        load_bundle(_files("import-fs.tsx"))
    assert exc.value.details["module"] == "fs"


def test_killing_the_v8_helper_mid_render_fails_that_render_only(monkeypatch):
    """A helper that dies (OOM kill, crash) mid-render: that render is a TemplateError, the next works."""
    import os
    import signal
    import threading

    from loopwind.engine import limits
    from loopwind.engine.jsx import helper_pids

    monkeypatch.setattr(limits, "TEMPLATE_TIME_LIMIT", 30.0)
    before = set(helper_pids())
    result = {}

    def work():
        try:
            render(_files("loop-forever.tsx"), {"title": "x"})
        except TemplateError as exc:
            result["error"] = exc

    started = time.monotonic()
    t = threading.Thread(target=work)
    t.start()
    victim = None
    while victim is None and time.monotonic() - started < 10:
        busy = set(helper_pids())
        new_or_busy = sorted(busy - before) or sorted(busy)
        victim = new_or_busy[0] if new_or_busy and time.monotonic() - started > 1.0 else None
        time.sleep(0.05)
    os.kill(victim, signal.SIGKILL)
    t.join(10)
    assert not t.is_alive()
    assert time.monotonic() - started < 10  # not the 30 s deadline
    assert result["error"].code == "template_memory"
    assert victim not in helper_pids()
    assert render(make_files(engine="jsx"), {"title": "ok"}).startswith(b"\x89PNG")
