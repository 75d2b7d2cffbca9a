"""Template versions as engine bundles, for the processes that render.

Parsed bundles are cached per process by checksum (versions are immutable, so a checksum
never changes meaning). Files are read from storage only when a version is first needed."""

from __future__ import annotations

import threading
from collections import OrderedDict

from core import files as stored_files
from loopwind import engine
from templates_registry.models import TemplateVersion
from templates_registry.services import blob_name

_MAX_CACHED_BYTES = 128 * 1024 * 1024
_cache: OrderedDict[str, engine.Bundle] = OrderedDict()
_cache_bytes = 0
_lock = threading.Lock()


def version_files(version: TemplateVersion) -> dict[str, bytes]:
    return {row["path"]: stored_files.file_read(blob_name(row["checksum"])) for row in version.files}


def bundle_for(version: TemplateVersion) -> engine.Bundle:
    global _cache_bytes
    with _lock:
        bundle = _cache.get(version.checksum)
        if bundle is not None:
            _cache.move_to_end(version.checksum)
            return bundle
    bundle = engine.load_bundle(version_files(version))
    size = sum(len(content) for content in bundle.files.values())
    with _lock:
        _cache[version.checksum] = bundle
        _cache_bytes += size
        while _cache_bytes > _MAX_CACHED_BYTES and len(_cache) > 1:
            _, dropped = _cache.popitem(last=False)
            _cache_bytes -= sum(len(content) for content in dropped.files.values())
    return bundle
