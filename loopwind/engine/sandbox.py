"""Sandboxed Jinja2 evaluation of untrusted templates.

- ``ImmutableSandboxedEnvironment`` (Jinja2 >= 3.1.6: the ``|attr('format')`` and stored
  ``str.format`` escapes, CVE-2024-56326 / CVE-2025-27516, are closed), autoescape on, and a
  loader that only sees the bundle's own text files.
- ``*``, ``**``, ``+`` and ``%`` are intercepted so a template cannot build huge strings, lists or
  numbers; width-like arguments to filters and methods are capped (``center(10**9)``…).
- Output is streamed and capped at ``MAX_MARKUP_BYTES``; a watchdog interrupts evaluation that
  runs past ``TEMPLATE_TIME_LIMIT`` (pure-Python loops with no output included).
"""

from __future__ import annotations

import ctypes
import functools
import operator
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
import jinja2.nodes
import jinja2.runtime
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from . import limits as L
from .errors import TemplateError

_TEXT_EXTENSIONS = (".html", ".svg", ".css", ".txt", ".md", ".json")


class _Timeout(BaseException):
    """Raised asynchronously inside the evaluating thread; BaseException so templates' code cannot swallow it."""


class Deadline:
    """Interrupt the current thread's Python code after ``seconds`` (raises ``_Timeout`` in it)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self._lock = threading.Lock()
        self._active = False
        self._tid = 0
        self._timer: threading.Timer | None = None

    def _fire(self) -> None:
        with self._lock:
            if self._active:
                self.fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._tid), ctypes.py_object(_Timeout)
                )

    def __enter__(self) -> Deadline:
        self._tid = threading.get_ident()
        self._active = True
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._active = False
        if self._timer is not None:
            self._timer.cancel()


def _check_size(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple) and len(value) > L.MAX_SEQUENCE_LENGTH:
        raise SecurityError(f"value longer than {L.MAX_SEQUENCE_LENGTH} is not allowed in templates")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        raise SecurityError("integer too large")
    return value


_FORMAT_WIDTH = re.compile(r"\d{6,}")
_DYNAMIC_WIDTH = re.compile(r"\{[^{}]*\{|%[^%a-zA-Z]*\*")
MAX_AMPLIFICATION = 10_000_000  # len(input) x largest argument, for filters and methods


def _check_args(subject: Any, args: tuple, kwargs: Mapping[str, Any], *, formatting: bool = False) -> None:
    """Refuse calls whose output could be huge before C code allocates it (center(10**9), indent…).

    Integers are widths or counts for most filters and methods (capped, and multiplied by the length
    of the value); for formatting calls (``format``, ``%``) they are values and pass.
    """
    if formatting and isinstance(subject, str) and _DYNAMIC_WIDTH.search(subject):
        formatting = False  # "{:>{}}" and "%*d" take widths from the arguments, maybe inside a mapping
        for a in (*args, *kwargs.values()):
            items = a.values() if isinstance(a, dict) else a if isinstance(a, list | tuple) else ()
            if any(
                isinstance(v, int) and not isinstance(v, bool) and abs(v) > L.MAX_INT_ARGUMENT for v in items
            ):
                raise SecurityError(f"integer argument above {L.MAX_INT_ARGUMENT} is not allowed")
    factor = 1
    for a in (*args, *kwargs.values()):
        if isinstance(a, str) and ("%" in a or "{" in a) and _FORMAT_WIDTH.search(a):
            raise SecurityError("format widths above 99999 are not allowed")
        if isinstance(a, int) and not isinstance(a, bool):
            if formatting:
                continue
            if abs(a) > L.MAX_INT_ARGUMENT:
                raise SecurityError(f"integer argument above {L.MAX_INT_ARGUMENT} is not allowed")
            factor = max(factor, abs(a))
        elif isinstance(a, str | bytes | list | tuple | dict):
            factor = max(factor, len(a))
    if isinstance(subject, str) and ("%" in subject or "{" in subject) and _FORMAT_WIDTH.search(subject):
        raise SecurityError("format widths above 99999 are not allowed")
    if isinstance(subject, str | bytes | list | tuple | dict) and len(subject) * factor > MAX_AMPLIFICATION:
        raise SecurityError("this call would produce too much output")


def _guard_filter(name: str, fn: Callable) -> Callable:
    formatting = name == "format"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Filters get (value, …) or (env/context, value, …) depending on pass_* decorators.
        rest = [
            a
            for a in args
            if not isinstance(a, jinja2.Environment | jinja2.runtime.Context | jinja2.nodes.EvalContext)
        ]
        _check_args(rest[0] if rest else None, tuple(rest[1:]), kwargs, formatting=formatting)
        return _check_size(fn(*args, **kwargs))

    return wrapper


class TemplateSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > 64 and not (isinstance(left, int) and abs(left) <= 1):
                raise SecurityError("exponent too large")
            return _check_size(operator.pow(left, right))
        if operator_name == "%":
            if isinstance(left, str):
                _check_args(left, right if isinstance(right, tuple) else (right,), {}, formatting=True)
            return _check_size(operator.mod(left, right))
        if operator_name == "*":
            for seq, n in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(n, int)
                    and len(seq) * n > L.MAX_SEQUENCE_LENGTH
                ):
                    raise SecurityError(f"sequence longer than {L.MAX_SEQUENCE_LENGTH} is not allowed")
            return _check_size(operator.mul(left, right))
        if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            if len(left) + len(right) > L.MAX_SEQUENCE_LENGTH:
                raise SecurityError(f"sequence longer than {L.MAX_SEQUENCE_LENGTH} is not allowed")
        return _check_size(operator.add(left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        inner = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by the sandbox
        subject = getattr(__obj, "__self__", None)
        if subject is None:
            subject = getattr(inner, "__self__", None)
        formatting = getattr(inner, "__name__", "") in ("format", "format_map")
        _check_args(subject, args, kwargs, formatting=formatting)
        return _check_size(super().call(__context, __obj, *args, **kwargs))


def make_environment(files: Mapping[str, bytes]) -> TemplateSandbox:
    """A sandbox whose loader sees only the bundle's text files (for ``{% include %}``)."""
    sources = {}
    for path, data in files.items():
        if path.lower().endswith(_TEXT_EXTENSIONS):
            try:
                sources[path] = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
    env = TemplateSandbox(
        loader=jinja2.DictLoader(sources),
        autoescape=True,
        auto_reload=False,
        cache_size=50,
        extensions=[],
    )
    env.filters = {name: _guard_filter(name, fn) for name, fn in env.filters.items()}
    env.globals.pop("lipsum", None)  # cheap to call with huge n; nothing templates need
    env.globals.pop("cycler", None)
    env.globals.pop("joiner", None)
    env.globals.pop("namespace", None)
    return env


def compile_template(env: TemplateSandbox, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{exc.filename or name}:{exc.lineno}: {exc.message}",
            code="template_syntax_error",
            details={"file": exc.filename or name, "line": exc.lineno},
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"Template {exc.name!r} is not in the bundle.",
            code="template_not_found",
            details={"file": exc.name},
        ) from None


def evaluate(
    template: jinja2.Template, context: Mapping[str, Any], *, time_limit: float | None = None
) -> str:
    """Render ``template`` with ``context`` under the sandbox's size and time limits."""
    limit = L.TEMPLATE_TIME_LIMIT if time_limit is None else time_limit
    parts: list[str] = []
    size = 0
    name = template.name or "template"
    try:
        with Deadline(limit):
            for chunk in template.generate(context):
                size += len(chunk)
                if size > L.MAX_MARKUP_BYTES:
                    raise TemplateError(
                        f"Template output is larger than {L.MAX_MARKUP_BYTES} bytes.",
                        code="markup_too_large",
                        details={"file": name, "limit": L.MAX_MARKUP_BYTES},
                    )
                parts.append(chunk)
    except _Timeout:
        raise TemplateError(
            f"Template evaluation took longer than {limit:g} s.",
            code="template_timeout",
            details={"file": name, "limit": limit},
        ) from None
    except TemplateError:
        raise
    except SecurityError as exc:
        raise TemplateError(
            f"Template is not allowed to do that: {exc}",
            code="template_security_error",
            details={"file": name},
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(
            f"Template error: {exc}", code="template_runtime_error", details={"file": name}
        ) from None
    except RecursionError:
        raise TemplateError(
            "Template recursion is too deep.", code="template_recursion", details={"file": name}
        ) from None
    except MemoryError:
        raise TemplateError(
            "Template used too much memory.", code="template_memory", details={"file": name}
        ) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise TemplateError(
            f"Template error: {type(exc).__name__}: {exc}",
            code="template_runtime_error",
            details={"file": name},
        ) from None
    return "".join(parts)
