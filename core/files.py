"""Stored files (template files, previews, render outputs) and the URLs that hand them out.

Files go through Django's storage API: the filesystem by default, S3 when configured. URLs
expire: S3 presigned URLs on S3, Django-signed URLs served by ``signed_file`` otherwise, so
the same code path hands out private files safely on either backend."""

from __future__ import annotations

import mimetypes
import time
from contextlib import contextmanager

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.errors import ServiceUnavailable

DEFAULT_URL_LIFETIME = 24 * 3600
_SALT = "loopwind.files"


def using_s3() -> bool:
    return bool(settings.AWS_STORAGE_BUCKET_NAME)


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    message = "File storage is unavailable right now. Try again shortly."


@contextmanager
def _storage_call(name: str):
    """A storage backend that cannot be reached (S3 down, a full or unmounted disk) raises
    StorageUnavailable, which callers retry and the API answers with a 503; a missing file stays
    FileNotFoundError."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except FileNotFoundError:
        raise
    except (OSError, BotoCoreError) as exc:
        raise StorageUnavailable(details={"file": name.rsplit("/", 1)[-1]}) from exc
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(name) from exc
        if status >= 500:
            raise StorageUnavailable(details={"file": name.rsplit("/", 1)[-1]}) from exc
        raise


def file_save(name: str, content: bytes) -> bool:
    """Store ``content`` under ``name`` unless a file is already there. Returns True when written.
    Names are content-addressed by callers, so an existing file holds the same bytes."""
    with _storage_call(name):
        if default_storage.exists(name):
            return False
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:  # a concurrent writer won; ours got a suffixed copy
            default_storage.delete(saved)
            return False
    return True


def file_read(name: str) -> bytes:
    with _storage_call(name), default_storage.open(name, "rb") as handle:
        return handle.read()


def file_delete(name: str) -> None:
    try:
        with _storage_call(name):
            default_storage.delete(name)
    except FileNotFoundError:
        pass


def file_url(name: str, *, expires_in: int = DEFAULT_URL_LIFETIME, download_name: str | None = None) -> str:
    """An absolute URL for ``name`` that works for ``expires_in`` seconds."""
    if using_s3():
        parameters = {}
        if download_name:
            parameters["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        return default_storage.url(name, parameters=parameters or None, expire=expires_in)
    # Expiry rounded up to the hour: the same file gets the same URL for an hour, so browsers cache it.
    expires_at = (int(time.time()) // 3600 + 1) * 3600 + expires_in
    token = signing.dumps({"n": name, "x": expires_at, "d": download_name}, salt=_SALT)
    return settings.SITE_URL + reverse("signed-file", args=[token])


@require_GET
def signed_file(request, token: str):
    """Serves a file named by a signed, unexpired token (filesystem storage only)."""
    try:
        claims = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise Http404("Unknown or tampered file link.") from None
    if claims.get("x", 0) < time.time():
        raise Http404("This file link has expired.")
    name = claims["n"]
    if not default_storage.exists(name):
        raise Http404("File not found.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    if claims.get("d"):
        response["Content-Disposition"] = f'attachment; filename="{claims["d"]}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    # Bundle files may be SVG or HTML written by strangers: never let them run as a page here.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
