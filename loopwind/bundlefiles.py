"""Reading a bundle's files from a folder or a mapping, with the path and size rules: the one
reader for a local render (the engine), a publish (the SDK and the CLI) and the server.

Kept apart from ``loopwind.engine`` so the SDK can read a folder without loading the renderer;
the engine re-raises ``BundleFileError`` as its ``BundleError``."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

MAX_BUNDLE_BYTES = 10 * 1024 * 1024
MAX_BUNDLE_FILES = 200
MAX_PATH_LENGTH = 200
ALLOWED_EXTENSIONS = frozenset(
    {
        "json", "html", "svg", "css", "md", "txt",
        "png", "jpg", "jpeg", "webp", "gif",
        "mp3", "wav", "m4a",
        "ttf", "otf", "woff", "woff2",
        "tsx", "ts", "jsx", "js",
    }
)  # fmt: skip

# Never part of a bundle: hidden files and folders (.git, .DS_Store, .loopwind) and tool output.
SKIP_FOLDERS = frozenset({"node_modules", "__pycache__"})


class BundleFileError(ValueError):
    """A path, a file or the bundle's size breaks the rules; ``code`` as the engine's BundleError."""

    def __init__(self, message: str, *, code: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message, self.code, self.details = message, code, dict(details or {})


def check_path(path: str) -> str:
    if not isinstance(path, str) or not path:
        raise BundleFileError(
            "A bundle file has an empty or non-text path.", code="invalid_path", details={"file": str(path)}
        )
    if "\\" in path or "\0" in path or len(path) > MAX_PATH_LENGTH:
        raise BundleFileError(f"Invalid file path {path!r}.", code="invalid_path", details={"file": path})
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        raise BundleFileError(
            f"Absolute path {path!r} is not allowed.", code="absolute_path", details={"file": path}
        )
    parts = PurePosixPath(path).parts
    if any(p in ("..", ".") for p in path.split("/")) or not parts:
        raise BundleFileError(
            f"Path {path!r} may not contain '.' or '..' segments.",
            code="path_traversal",
            details={"file": path},
        )
    if any(p.startswith(".") or not p for p in path.split("/")):
        raise BundleFileError(
            f"Hidden or empty path segment in {path!r}.", code="invalid_path", details={"file": path}
        )
    ext = path.rsplit(".", 1)[-1].lower() if "." in parts[-1] else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise BundleFileError(
            f"File type of {path!r} is not allowed.",
            code="file_type_not_allowed",
            details={"file": path, "allowed": sorted(ALLOWED_EXTENSIONS)},
        )
    return path


def is_template_folder(root: Path) -> bool:
    """A folder with loopwind.json, or a jsx template whose top-level .tsx/.jsx file exports its
    manifest as ``meta`` (the engine picks the entry; see docs/engine.md)."""
    if (root / "loopwind.json").is_file():
        return True
    return root.is_dir() and any(p.suffix.lower() in (".tsx", ".jsx") and p.is_file() for p in root.iterdir())


def read_folder(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        raise BundleFileError(
            f"{root} is not a folder.", code="bundle_not_found", details={"file": str(root)}
        )
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root)
        for d in list(dirnames):
            if d.startswith(".") or d in SKIP_FOLDERS:
                dirnames.remove(d)
            elif (Path(dirpath) / d).is_symlink():
                rel = (rel_dir / d).as_posix()
                raise BundleFileError(
                    f"Symlink {rel!r} is not allowed.", code="symlink_not_allowed", details={"file": rel}
                )
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = Path(dirpath) / name
            rel = (rel_dir / name).as_posix()
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise BundleFileError(
                    f"Symlink {rel!r} is not allowed.", code="symlink_not_allowed", details={"file": rel}
                )
            check_path(rel)
            if not stat.S_ISREG(st.st_mode):
                raise BundleFileError(
                    f"{rel!r} is not a regular file.", code="invalid_path", details={"file": rel}
                )
            total += st.st_size
            if total > MAX_BUNDLE_BYTES:
                raise BundleFileError(
                    "Bundle is larger than 10 MB.",
                    code="bundle_too_large",
                    details={"limit": MAX_BUNDLE_BYTES},
                )
            if len(files) >= MAX_BUNDLE_FILES:
                raise BundleFileError(
                    "Bundle has more than 200 files.",
                    code="too_many_files",
                    details={"limit": MAX_BUNDLE_FILES},
                )
            files[rel] = full.read_bytes()
    return files


def normalize_mapping(mapping: Mapping[str, Any]) -> dict[str, bytes]:
    if len(mapping) > MAX_BUNDLE_FILES:
        raise BundleFileError(
            "Bundle has more than 200 files.", code="too_many_files", details={"limit": MAX_BUNDLE_FILES}
        )
    files: dict[str, bytes] = {}
    total = 0
    for path, content in mapping.items():
        if isinstance(content, str):
            content = content.encode("utf-8")
        elif isinstance(content, bytearray | memoryview):
            content = bytes(content)
        if not isinstance(content, bytes):
            raise BundleFileError(
                f"Content of {path!r} must be bytes.", code="invalid_file", details={"file": str(path)}
            )
        total += len(content)
        if total > MAX_BUNDLE_BYTES:
            raise BundleFileError(
                "Bundle is larger than 10 MB.", code="bundle_too_large", details={"limit": MAX_BUNDLE_BYTES}
            )
        files[path] = content
    return files
