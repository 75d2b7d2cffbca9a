"""Helpers shared by the engine tests (a unique module name: tests/ has no packages)."""

from __future__ import annotations

import io
import json
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "loopwind" / "templates"
GOLDEN = Path(__file__).resolve().parent / "golden"
MAX_MEAN_DIFF = 1.5  # golden images: mean absolute difference per channel, 0-255
MAX_CHANGED = 0.005  # golden images: share of pixels differing by more than 48 in some channel


def compare(actual, expected) -> tuple[float, float]:
    """(mean absolute difference per channel, share of pixels off by more than 48) of two PIL images."""
    from PIL import ImageChops

    assert actual.size == expected.size
    diff = ImageChops.difference(actual.convert("RGB"), expected.convert("RGB"))
    hist = diff.histogram()
    total = actual.size[0] * actual.size[1]
    mean = sum(i * n for ch in range(3) for i, n in enumerate(hist[ch * 256 : (ch + 1) * 256])) / (3 * total)
    worst = diff.point(lambda v: 255 if v > 48 else 0).convert("L")
    changed = sum(worst.histogram()[1:]) / total
    return mean, changed


def make_files(manifest_overrides=None, *, template=None, engine="html", extra=None):
    """A minimal valid bundle as a {path: bytes} map, with overrides."""
    manifest = {
        "name": "t",
        "type": "image",
        "engine": engine,
        "size": {"width": 64, "height": 48},
        "props": {"title": "string"},
    }
    manifest.update(manifest_overrides or {})
    files = {"loopwind.json": json.dumps(manifest).encode()}
    if engine == "jsx":
        files["template.tsx"] = (
            template or 'export default ({ title }) => <div tw="flex w-full h-full bg-white">{title}</div>;'
        ).encode()
    elif engine == "html":
        files["template.html"] = (
            template or '<div tw="flex w-full h-full bg-white">{{ title }}</div>'
        ).encode()
    else:
        files["template.svg"] = (
            template
            or '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><text y="20">{{ title }}</text></svg>'
        ).encode()
    files.update(extra or {})
    return files


def png_bytes(size=(8, 8), color=(255, 0, 0, 255)):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", size, color).save(buf, "PNG")
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` in a few bytes (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
