"""Limits applied to every bundle and render. Numbers a caller may want to show or test."""

from __future__ import annotations

# Shared with the CLI and the SDK without loading the engine; read here too.
from ..bundlefiles import ALLOWED_EXTENSIONS, MAX_BUNDLE_BYTES, MAX_BUNDLE_FILES, MAX_PATH_LENGTH  # noqa: F401
from ..formats import MAX_SCALE, MIN_SCALE  # noqa: F401

MIN_SIZE = 16
MAX_SIZE = 4096
MAX_FPS = 60
MAX_DURATION = 60.0
# Output pixels (width*scale * height*scale); 4096x4096 at scale 2 still fits.
MAX_OUTPUT_PIXELS = 8192 * 8192

IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "webp", "gif", "svg"})
AUDIO_EXTENSIONS = frozenset({"mp3", "wav", "m4a"})
FONT_EXTENSIONS = frozenset({"ttf", "otf", "woff", "woff2"})
SCRIPT_EXTENSIONS = frozenset({"tsx", "ts", "jsx", "js"})  # sources of engine "jsx"

# Template evaluation
MAX_MARKUP_BYTES = 2 * 1024 * 1024  # what one Jinja evaluation may produce
TEMPLATE_TIME_LIMIT = 2.0  # seconds for one Jinja evaluation
MAX_SEQUENCE_LENGTH = 100_000  # strings/lists built by * and ranges inside a template
MAX_INT_ARGUMENT = 100_000  # integers passed to filters and methods (width=, center(), …)
MAX_NESTING_DEPTH = 256  # element depth in html markup
VIDEO_TIME_LIMIT = 600.0  # seconds for one video render end to end
NATIVE_TIME_LIMIT = 15.0  # seconds for one rasterization (an image, or one video frame)
NATIVE_MEMORY_LIMIT = 3 * 1024 * 1024 * 1024  # address space of the SVG rasterizer's helper process

# JSX (V8 in helper processes, see jsx/_jsxd.py); a render's time limit is TEMPLATE_TIME_LIMIT
JSX_HEAP_LIMIT = 128 * 1024 * 1024  # V8 heap of one bundle's context while it loads or renders
JSX_DATA_LIMIT = 2 * 1024 * 1024 * 1024  # RLIMIT_DATA of a V8 helper process
JSX_TRANSPILE_TIME_LIMIT = 10.0  # seconds to transpile one bundle's TS/JSX
JSX_TRANSPILE_HEAP_LIMIT = 256 * 1024 * 1024
MAX_JSX_NODES = 50_000  # elements (and component calls) one render may produce

# Props
MAX_STRING_PROP = 10_000  # characters, when the manifest sets no maxLength
MAX_IMAGE_PROP_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # decoded size of one raster image (prop or asset): no decompression bombs
MAX_IMAGE_SIDE = 16384
