"""Batch renders, on the caller's side: read the rows (JSON or CSV), check every one before anything
is queued, accept the batch against the plan and the quota, send its chunks, cancel. The workers'
side is rendering/batch_worker.py."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from billing.models import Usage
from billing.services import batch_rows_allowed_or_raise, quota_available_or_raise, webhooks_allowed_or_raise
from core.errors import ApiError
from core.netsafe import check_url
from loopwind import engine
from rendering.bundles import bundle_for
from rendering.models import BatchRow, RenderBatch
from rendering.queue import RENDER_BATCH_CHUNK, enqueue
from templates_registry.models import Template, TemplateVersion

CHUNK_ROWS = 25  # rows a queue message renders: a few seconds of a worker, never an hour
ERRORS_LISTED = 100  # bad rows listed in a 400 (the count says how many there were)
MAX_CSV_BYTES = 16 * 1024 * 1024
FILENAME_COLUMN = "filename"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")
Status = RenderBatch.Status


class BatchInvalid(ApiError):
    code = "invalid_rows"


class InvalidCsv(ApiError):
    code = "invalid_csv"


@dataclass
class RowInput:
    number: int  # from 1: the first row of the JSON list, or the first line after the CSV header
    values: object  # a props object (or whatever the caller sent in its place)
    text: bool = False  # from a CSV: values are text, typed by the manifest


@dataclass
class CheckedRows:
    valid: list[tuple[int, str, dict]] = field(default_factory=list)  # (number, filename, props)
    errors: list[dict] = field(default_factory=list)  # {row, prop, code, message}


def rows_from_json(rows: list) -> list[RowInput]:
    return [RowInput(number, values) for number, values in enumerate(rows, start=1)]


def rows_from_csv(data: bytes) -> list[RowInput]:
    """A CSV whose header names the props (and optionally ``filename``). Empty cells are props not
    given (their defaults apply). Anything that is not UTF-8 text in CSV form is a 400 ``invalid_csv``."""
    if len(data) > MAX_CSV_BYTES:
        raise ApiError(
            f"The CSV is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB.",
            code="file_too_large",
            status=413,
            details={"maxBytes": MAX_CSV_BYTES},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidCsv("The upload is not a UTF-8 CSV file.", details={"byteOffset": exc.start}) from exc
    if "\x00" in text:
        raise InvalidCsv("The CSV contains NUL bytes; it does not look like a CSV file.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise InvalidCsv("The CSV is empty: its first line must name the props.")
        names = [cell.strip() for cell in header]
        if any(not name for name in names):
            raise InvalidCsv("A column of the CSV header has no name.", details={"header": names[:50]})
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InvalidCsv(
                f"The CSV header names {duplicates[0]!r} twice.", details={"duplicates": duplicates[:50]}
            )
        rows = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank lines are not rows
            number = len(rows) + 1
            if len(record) > len(names):
                rows.append(RowInput(number, {"__extra_cells__": len(record) - len(names)}, text=True))
                continue
            rows.append(
                RowInput(number, {n: v for n, v in zip(names, record, strict=False) if v != ""}, text=True)
            )
    except csv.Error as exc:
        raise InvalidCsv(f"The CSV could not be read at line {reader.line_num}: {exc}.",
                         details={"line": reader.line_num}) from exc  # fmt: skip
    return rows


def safe_filename(given: str | None, *, number: int, fmt: str, taken: set[str]) -> str:
    """A name for the row's output, safe in a zip and on any file system, unique in the batch, with
    the format's extension. Rows without one are named by their number."""
    stem = _UNSAFE_FILENAME.sub("-", given or "").strip(" .-")[:100]
    if stem.lower().endswith(f".{fmt}"):
        stem = stem[: -len(fmt) - 1].rstrip(" .-")
    stem = stem or f"{number:05d}"
    name = f"{stem}.{fmt}"
    if name.lower() in taken:
        name = f"{stem}-{number}.{fmt}"
    taken.add(name.lower())
    return name


def rows_check(*, bundle: engine.Bundle, rows: list[RowInput], fmt: str) -> CheckedRows:
    """Every row checked as a single render's props would be; a bad row is reported with its
    number and the prop at fault. A ``filename`` value names the output, unless the template has a
    prop of that name."""
    checked = CheckedRows()
    taken: set[str] = set()
    for row in rows:
        values = row.values
        if not isinstance(values, dict):
            checked.errors.append({"row": row.number, "prop": None, "code": "invalid_row",
                                   "message": "Each row must be a JSON object of props."})  # fmt: skip
            continue
        if "__extra_cells__" in values and row.text:
            checked.errors.append({"row": row.number, "prop": None, "code": "invalid_row",
                                   "message": "The row has more cells than the header has columns."})  # fmt: skip
            continue
        props = dict(values)
        filename = None
        if FILENAME_COLUMN in props and FILENAME_COLUMN not in bundle.props:
            filename = props.pop(FILENAME_COLUMN)
            if filename is not None and not isinstance(filename, str):
                checked.errors.append({"row": row.number, "prop": FILENAME_COLUMN, "code": "invalid_filename",
                                       "message": "filename must be a string."})  # fmt: skip
                continue
        if row.text:
            props = engine.props_from_text(bundle.props, props)
        try:
            engine.validate_props(bundle, props)
        except engine.EngineError as exc:
            checked.errors.append({"row": row.number, "prop": exc.details.get("prop"), "code": exc.code,
                                   "message": exc.message})  # fmt: skip
            continue
        checked.valid.append(
            (row.number, safe_filename(filename, number=row.number, fmt=fmt, taken=taken), props)
        )
    return checked


def _reserved_rows(user) -> int:
    """Rows of the user's batches still waiting: promised quota, not yet charged."""
    return BatchRow.objects.filter(
        batch__user=user, batch__status__in=[Status.QUEUED, Status.PROCESSING], status=BatchRow.Status.PENDING
    ).count()


def render_batch_create(
    *,
    user,
    template: Template,
    version: TemplateVersion,
    rows: list[RowInput],
    fmt: str,
    scale: int = 1,
    on_invalid: str = "reject",
    webhook: str | None = None,
) -> tuple[RenderBatch, list[dict]]:
    """Accepts a batch: the plan allows its size, every row is valid (or the invalid ones are
    skipped), and the month's remaining quota covers every row. Nothing is charged here: each row
    is charged when it renders. Returns the batch and the skipped rows' errors."""
    bundle = bundle_for(version)
    if bundle.type == "video":
        raise ApiError(
            "Batch renders are for image templates; render a video with POST /api/render/async.",
            code="video_not_supported",
            details={"asyncEndpoint": "/api/render/async"},
        )
    if not rows:
        raise BatchInvalid("The batch has no rows.", code="empty_batch")
    batch_rows_allowed_or_raise(user, len(rows))
    if webhook:
        webhooks_allowed_or_raise(user)
        check_url(webhook)
    checked = rows_check(bundle=bundle, rows=rows, fmt=fmt)
    if checked.errors and (on_invalid == "reject" or not checked.valid):
        raise BatchInvalid(
            f"{len(checked.errors)} of {len(rows)} rows are invalid; "
            + ("nothing was queued." if on_invalid == "reject" else "no row is left to render."),
            details={"invalidRows": len(checked.errors), "rows": checked.errors[:ERRORS_LISTED]},
        )
    quota_available_or_raise(
        user=user,
        usage_type=Usage.Type.IMAGE_RENDER,
        amount=len(checked.valid),
        reserved=_reserved_rows(user),
    )
    with transaction.atomic():
        batch = RenderBatch.objects.create(
            user=user, template=template, version=version, format=fmt, scale=scale, webhook_url=webhook or "",
            total_rows=len(checked.valid), skipped_rows=len(checked.errors),
        )  # fmt: skip
        BatchRow.objects.bulk_create(
            [BatchRow(batch=batch, number=n, filename=name, props=props) for n, name, props in checked.valid],
            batch_size=1000,
        )
    return batch, checked.errors


def batch_chunks(numbers: list[int], size: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """(first, last) row numbers of each chunk of ``size`` rows."""
    return [(numbers[i], numbers[min(i + size, len(numbers)) - 1]) for i in range(0, len(numbers), size)]


def render_batch_enqueue(*, batch: RenderBatch) -> None:
    """Sends the batch's chunks to the workers. A broker that is down means the batch was not
    accepted: it is removed (nothing was charged) and the caller gets a 503 ``queue_unavailable``."""
    numbers = list(batch.rows.order_by("number").values_list("number", flat=True))
    try:
        for first, last in batch_chunks(numbers):
            enqueue(RENDER_BATCH_CHUNK, batch.public_id, first, last)
    except ApiError:
        batch.delete()
        raise


def render_batch_cancel(*, batch: RenderBatch) -> RenderBatch:
    """Stops the rows not yet rendered; the rendered ones (and their charges) stay."""
    with transaction.atomic():
        updated = RenderBatch.objects.filter(
            pk=batch.pk, status__in=[Status.QUEUED, Status.PROCESSING]
        ).update(status=Status.CANCELLED, completed_at=timezone.now())
        if not updated:
            raise ApiError(
                f"The batch is already {batch.status}; only queued or processing batches can be cancelled.",
                code="batch_final",
                status=409,
            )
        BatchRow.objects.filter(batch=batch, status=BatchRow.Status.PENDING).update(
            status=BatchRow.Status.CANCELLED, finished_at=timezone.now()
        )
    batch.refresh_from_db()
    return batch
