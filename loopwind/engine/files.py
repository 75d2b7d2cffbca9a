"""Reading a bundle's files from a folder or a mapping, with the path and size rules."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from . import limits as L
from .errors import BundleError


def check_path(path: str) -> str:
    if not isinstance(path, str) or not path:
        raise BundleError(
            "A bundle file has an empty or non-text path.", code="invalid_path", details={"file": str(path)}
        )
    if "\\" in path or "\0" in path or len(path) > L.MAX_PATH_LENGTH:
        raise BundleError(f"Invalid file path {path!r}.", code="invalid_path", details={"file": path})
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        raise BundleError(
            f"Absolute path {path!r} is not allowed.", code="absolute_path", details={"file": path}
        )
    parts = PurePosixPath(path).parts
    if any(p in ("..", ".") for p in path.split("/")) or not parts:
        raise BundleError(
            f"Path {path!r} may not contain '.' or '..' segments.",
            code="path_traversal",
            details={"file": path},
        )
    if any(p.startswith(".") or not p for p in path.split("/")):
        raise BundleError(
            f"Hidden or empty path segment in {path!r}.", code="invalid_path", details={"file": path}
        )
    ext = path.rsplit(".", 1)[-1].lower() if "." in parts[-1] else ""
    if ext not in L.ALLOWED_EXTENSIONS:
        raise BundleError(
            f"File type of {path!r} is not allowed.",
            code="file_type_not_allowed",
            details={"file": path, "allowed": sorted(L.ALLOWED_EXTENSIONS)},
        )
    return path


def read_folder(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        raise BundleError(f"{root} is not a folder.", code="bundle_not_found", details={"file": str(root)})
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root)
        for d in list(dirnames):
            if d.startswith("."):  # .git and friends are never part of a bundle
                dirnames.remove(d)
            elif (Path(dirpath) / d).is_symlink():
                rel = (rel_dir / d).as_posix()
                raise BundleError(
                    f"Symlink {rel!r} is not allowed.", code="symlink_not_allowed", details={"file": rel}
                )
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = Path(dirpath) / name
            rel = (rel_dir / name).as_posix()
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise BundleError(
                    f"Symlink {rel!r} is not allowed.", code="symlink_not_allowed", details={"file": rel}
                )
            if not stat.S_ISREG(st.st_mode):
                raise BundleError(
                    f"{rel!r} is not a regular file.", code="invalid_path", details={"file": rel}
                )
            total += st.st_size
            if total > L.MAX_BUNDLE_BYTES:
                raise BundleError(
                    "Bundle is larger than 10 MB.",
                    code="bundle_too_large",
                    details={"limit": L.MAX_BUNDLE_BYTES},
                )
            if len(files) >= L.MAX_BUNDLE_FILES:
                raise BundleError(
                    "Bundle has more than 200 files.",
                    code="too_many_files",
                    details={"limit": L.MAX_BUNDLE_FILES},
                )
            files[rel] = full.read_bytes()
    return files


def normalize_mapping(mapping: Mapping[str, Any]) -> dict[str, bytes]:
    if len(mapping) > L.MAX_BUNDLE_FILES:
        raise BundleError(
            "Bundle has more than 200 files.", code="too_many_files", details={"limit": L.MAX_BUNDLE_FILES}
        )
    files: dict[str, bytes] = {}
    total = 0
    for path, content in mapping.items():
        if isinstance(content, str):
            content = content.encode("utf-8")
        elif isinstance(content, bytearray | memoryview):
            content = bytes(content)
        if not isinstance(content, bytes):
            raise BundleError(
                f"Content of {path!r} must be bytes.", code="invalid_file", details={"file": str(path)}
            )
        total += len(content)
        if total > L.MAX_BUNDLE_BYTES:
            raise BundleError(
                "Bundle is larger than 10 MB.", code="bundle_too_large", details={"limit": L.MAX_BUNDLE_BYTES}
            )
        files[path] = content
    return files
