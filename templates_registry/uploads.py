"""Turning an upload into a ``{path: bytes}`` bundle map, safely.

Two shapes arrive: repeated multipart ``files`` parts whose filename is the path inside the
bundle, or one ``bundle`` part holding a .zip or .tar.gz. Archives are read in memory with
hard caps on entry count, on total uncompressed size (read, not trusted from headers) and on
compression ratio; links, devices and paths leaving the bundle are refused. Path rules
themselves (no ``..``, no absolute paths, allowed extensions) are the engine's, applied when
the bundle is loaded."""

from __future__ import annotations

import io
import tarfile
import zipfile

from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from rest_framework.parsers import DataAndFiles
from rest_framework.parsers import MultiPartParser as DrfMultiPartParser

from core.errors import ApiError
from loopwind.engine import limits

MAX_BUNDLE_BYTES = limits.MAX_BUNDLE_BYTES
MAX_FILES = limits.MAX_BUNDLE_FILES
MAX_RATIO = 200  # uncompressed / compressed; real bundles (fonts, PNGs) are far below
# The whole multipart request: the bundle plus form fields and part headers.
MAX_REQUEST_BYTES = MAX_BUNDLE_BYTES + 512 * 1024


class BundleTooLarge(ApiError):
    status = 413
    code = "bundle_too_large"


class InvalidArchive(ApiError):
    code = "invalid_archive"


def _too_large(what: str) -> BundleTooLarge:
    return BundleTooLarge(
        f"{what} exceeds the bundle limit of {MAX_BUNDLE_BYTES // (1024 * 1024)} MB.",
        details={"limitBytes": MAX_BUNDLE_BYTES},
    )


def _too_many() -> InvalidArchive:
    return InvalidArchive(
        f"A bundle holds at most {MAX_FILES} files.", code="too_many_files", details={"limit": MAX_FILES}
    )


def files_from_parts(parts) -> dict[str, bytes]:
    """Multipart ``files`` parts: the (path-preserving) filename is the path in the bundle."""
    if len(parts) > MAX_FILES:
        raise _too_many()
    files: dict[str, bytes] = {}
    total = 0
    for part in parts:
        total += part.size
        if total > MAX_BUNDLE_BYTES:
            raise _too_large("The upload")
        path = getattr(part, "bundle_path", part.name) or ""
        if path in files:
            raise InvalidArchive(
                f"The file {path!r} was sent twice.", code="duplicate_file", details={"file": path}
            )
        files[path] = part.read()
    return files


def files_from_archive(filename: str, data: bytes) -> dict[str, bytes]:
    lower = (filename or "").lower()
    if lower.endswith(".zip") or data[:4] == b"PK\x03\x04":
        files = _read_zip(data)
    elif lower.endswith((".tar.gz", ".tgz")) or data[:2] == b"\x1f\x8b":
        files = _read_tar(data)
    else:
        raise InvalidArchive("The bundle must be a .zip or a .tar.gz archive.", details={"file": filename})
    return strip_common_root(files)


def _check_ratio(uncompressed: int, compressed: int) -> None:
    if uncompressed > 1024 * 1024 and uncompressed > MAX_RATIO * max(compressed, 1):
        raise InvalidArchive(
            "The archive expands far more than real bundles do; refusing it as a possible zip bomb.",
            code="archive_bomb",
        )


def _read_zip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidArchive(f"The zip archive cannot be read: {exc}") from exc
    entries = [e for e in entries if not e.is_dir()]
    if len(entries) > MAX_FILES:
        raise _too_many()
    files: dict[str, bytes] = {}
    total = 0
    for entry in entries:
        mode = entry.external_attr >> 16
        if mode and (mode & 0o170000) not in (0, 0o100000):  # symlinks, devices, fifos
            raise InvalidArchive(
                f"{entry.filename!r} is a link or special file; bundles hold regular files only.",
                code="archive_link",
                details={"file": entry.filename},
            )
        budget = MAX_BUNDLE_BYTES - total
        try:
            with archive.open(entry) as handle:
                content = handle.read(budget + 1)  # never trust the declared size
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            raise InvalidArchive(f"{entry.filename!r} cannot be extracted: {exc}") from exc
        if len(content) > budget:
            raise _too_large("The unpacked archive")
        total += len(content)
        files[entry.filename] = content
    _check_ratio(total, len(data))
    return files


def _read_tar(data: bytes) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise InvalidArchive(
                        f"{member.name!r} is a link or special file; bundles hold regular files only.",
                        code="archive_link",
                        details={"file": member.name},
                    )
                if len(files) >= MAX_FILES:
                    raise _too_many()
                budget = MAX_BUNDLE_BYTES - total
                handle = archive.extractfile(member)
                content = handle.read(budget + 1) if handle else b""
                if len(content) > budget:
                    raise _too_large("The unpacked archive")
                total += len(content)
                files[member.name] = content
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InvalidArchive(f"The tar.gz archive cannot be read: {exc}") from exc
    _check_ratio(total, len(data))
    return files


def strip_common_root(files: dict[str, bytes]) -> dict[str, bytes]:
    """``og-card/loopwind.json`` → ``loopwind.json`` when every file sits in one top folder
    (what zipping a folder produces). Also drops ``./`` prefixes that tar adds."""
    files = {(p[2:] if p.startswith("./") else p): c for p, c in files.items()}
    if "loopwind.json" in files or not files:
        return files
    roots = {p.split("/", 1)[0] for p in files}
    if len(roots) == 1 and all("/" in p for p in files):
        root = roots.pop() + "/"
        return {p[len(root) :]: c for p, c in files.items()}
    return files


class _PathKeepingDjangoParser(DjangoMultiPartParser):
    """Django reduces an uploaded filename to its last segment (twice: here and in
    UploadedFile); a bundle needs the whole path (``assets/logo.png``). Each file part gets a
    placeholder name for Django and its real path is kept aside, to be checked by the engine,
    which refuses ``..``, absolute and drive paths with a clear error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paths: dict[str, str] = {}

    def sanitize_file_name(self, file_name):
        placeholder = f"part-{len(self.paths)}"
        self.paths[placeholder] = (file_name or "").replace("\0", "")
        return placeholder

    def parse(self):
        data, files = super().parse()
        for field_name in files:
            for part in files.getlist(field_name):
                part.bundle_path = self.paths.get(part.name, part.name)
        return data, files


class BundleMultiPartParser(DrfMultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        from django.http.multipartparser import MultiPartParserError
        from rest_framework.exceptions import ParseError

        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _PathKeepingDjangoParser(
                meta, stream, request.upload_handlers, parser_context.get("encoding")
            )
            data, files = parser.parse()
            return DataAndFiles(data, files)
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc


class UploadSizeLimit(FileUploadHandler):
    """Stops reading an upload as soon as its files pass the bundle limit, whether or not the
    client sent a truthful Content-Length (chunked uploads have none)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.total = 0

    def receive_data_chunk(self, raw_data, start):
        self.total += len(raw_data)
        if self.total > MAX_BUNDLE_BYTES:
            raise _too_large("The upload")
        return raw_data

    def file_complete(self, file_size):
        return None


def check_request_size(request) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_REQUEST_BYTES:
        raise _too_large("The request")
    request.upload_handlers.insert(0, UploadSizeLimit(request))
