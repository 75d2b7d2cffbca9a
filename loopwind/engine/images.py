"""Image bytes: what an ``image`` prop resolves to, type sniffing, and size limits read from headers."""

from __future__ import annotations

from dataclasses import dataclass

from .limits import MAX_IMAGE_PIXELS, MAX_IMAGE_PROP_BYTES, MAX_IMAGE_SIDE


@dataclass(frozen=True)
class ImageValue:
    """A resolved ``image`` prop. ``data`` is None for a URL whose bytes were not supplied."""

    source: str  # "asset" | "url" | "bytes"
    ref: str  # asset path, URL, or "" for bytes/data URIs
    data: bytes | None
    mime: str | None

    def __repr__(self) -> str:
        size = None if self.data is None else len(self.data)
        return f"ImageValue(source={self.source!r}, ref={self.ref[:80]!r}, bytes={size})"


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes actually are, from their first bytes; None when not an image.
    (The server's fetcher uses it too, so a URL cannot pass HTML off as an image.)"""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg", b"<!--")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return None


def image_problem(data: bytes) -> tuple[str, str] | None:
    """(code, message) when ``data`` is not an acceptable image, else None."""
    if len(data) > MAX_IMAGE_PROP_BYTES:
        return "image_too_large", f"image is larger than {MAX_IMAGE_PROP_BYTES} bytes."
    mime = sniff_image(data)
    if mime is None:
        return "invalid_image", "image bytes are not PNG, JPEG, GIF, WebP or SVG."
    if mime == "image/svg+xml":
        return None
    size = raster_size(data)
    if size is None:
        return "invalid_image", "the image could not be read."
    if size[0] * size[1] > MAX_IMAGE_PIXELS or max(size) > MAX_IMAGE_SIDE:
        return (
            "image_too_large",
            f"the image is {size[0]}x{size[1]}; at most {MAX_IMAGE_PIXELS} pixels and {MAX_IMAGE_SIDE} a side.",
        )
    return None


def raster_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header (nothing is decoded), or None when unreadable."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                return img.size
    except Image.DecompressionBombError:
        return (1 << 20, 1 << 20)  # far past any limit; Pillow would not even say how far
    except (UnidentifiedImageError, OSError, ValueError):
        return None
