"""The bundle reader (``loopwind.bundlefiles``, shared with the SDK), raising the engine's BundleError."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from .. import bundlefiles
from .errors import BundleError

T = TypeVar("T")


def _bundle_errors(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except bundlefiles.BundleFileError as exc:
            raise BundleError(exc.message, code=exc.code, details=exc.details) from None

    return wrapper


check_path = _bundle_errors(bundlefiles.check_path)
read_folder = _bundle_errors(bundlefiles.read_folder)
normalize_mapping = _bundle_errors(bundlefiles.normalize_mapping)
