"""Typed engine errors.

Every error carries a machine ``code`` (snake_case), a human ``message`` and a
``details`` dict naming what was wrong (the prop, the file, the field). The
server maps them onto ``{"error": {"code", "message", "details"}}``:
``BundleError`` and ``PropsError`` are 400s, ``TemplateError`` and ``RenderError``
are 422s (``render_cancelled`` is the one a worker may treat as a cancellation).
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""

    default_code = "engine_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message
        self.details = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """The error as the API's error body: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, details={self.details!r})"
        )


class BundleError(EngineError):
    """The bundle (files or manifest) is invalid. ``details`` names ``file`` and/or ``field``."""

    default_code = "invalid_bundle"


class PropsError(EngineError):
    """The props given for a render are invalid. ``details`` names the ``prop``."""

    default_code = "invalid_props"


class TemplateError(EngineError):
    """The template failed or misbehaved while being evaluated (sandbox, limits, syntax)."""

    default_code = "template_error"


class RenderError(EngineError):
    """The rasterizer, encoder or an output limit failed the render."""

    default_code = "render_failed"
