"""A batch's outputs as one download: a zip streamed a piece at a time (memory stays flat whatever
the batch's size: the zip is written to a sink that is emptied after every piece, never kept whole),
and a CSV manifest of every row."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import QuerySet

from core import files as stored_files
from rendering.models import BatchRow

PIECE = 64 * 1024
MANIFEST_COLUMNS = ("row", "filename", "url", "status", "error")


class _Sink:
    """A write-only, unseekable file for ZipFile (it then writes data descriptors after each entry)."""

    def __init__(self):
        self.pieces: list[bytes] = []

    def write(self, data) -> int:
        self.pieces.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out = b"".join(self.pieces)
        self.pieces.clear()
        return out


def row_url(row: BatchRow) -> str | None:
    if row.status != BatchRow.Status.DONE or not row.output:
        return None
    return stored_files.file_url(row.output, expires_in=settings.OUTPUT_TTL, download_name=row.filename)


def _cell(value) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: an error message quoting a
    # prop's value must not.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def manifest_lines(rows: Iterable[BatchRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(MANIFEST_COLUMNS)
    for row in rows:
        error = f"{row.error_code}: {row.error_message}" if row.error_code else ""
        writer.writerow([row.number, _cell(row.filename), row_url(row) or "", row.status, _cell(error)])
        if buffer.tell() > PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def zip_pieces(rows: QuerySet[BatchRow]) -> Iterator[bytes]:
    """The zip of every rendered row's output under its filename, and manifest.csv."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True) as zf:
        for row in rows.iterator(chunk_size=500):
            if row.status != BatchRow.Status.DONE or not row.output:
                continue
            try:
                source = default_storage.open(row.output, "rb")
            except (FileNotFoundError, OSError):
                continue  # expired or lost: the manifest still lists the row
            with source, zf.open(row.filename, "w") as entry:
                while piece := source.read(PIECE):
                    entry.write(piece)
                    yield sink.drain()
            yield sink.drain()
        zf.writestr("manifest.csv", "".join(manifest_lines(rows.iterator(chunk_size=500))))
    yield sink.drain()
