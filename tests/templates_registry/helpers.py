"""Building publish requests: multipart bodies whose filenames are bundle paths (Django's test
client would cut them to the last segment), zips and tarballs of the examples."""

import io
import json
import tarfile
import zipfile
from pathlib import Path

from urllib3 import encode_multipart_formdata

from loopwind import engine

EXAMPLES = Path(engine.__file__).resolve().parent.parent / "templates"


def example_files(name: str) -> dict[str, bytes]:
    root = EXAMPLES / name
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def zip_bytes(files: dict[str, bytes], root: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(root + path, content)
    return buffer.getvalue()


def tar_gz_bytes(files: dict[str, bytes], root: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, content in files.items():
            info = tarfile.TarInfo(root + path)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def multipart(fields: dict | None = None, files: dict[str, bytes] | None = None, bundle: tuple | None = None):
    parts: list = []
    for key, value in (fields or {}).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            parts.append((key, json.dumps(item) if isinstance(item, dict) else str(item)))
    for path, content in (files or {}).items():
        parts.append(("files", (path, content, "application/octet-stream")))
    if bundle:
        parts.append(("bundle", (bundle[0], bundle[1], "application/octet-stream")))
    body, content_type = encode_multipart_formdata(parts)
    return body, content_type


def publish(client, files=None, bundle=None, **fields):
    body, content_type = multipart(fields, files, bundle)
    return client.generic("POST", "/api/templates/publish", body, content_type=content_type)
