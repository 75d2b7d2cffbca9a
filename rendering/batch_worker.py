"""Rendering a batch's chunk, in the Dramatiq worker. Delivery is at least once, so every row's
outcome commits on its own, guarded by its state: a chunk delivered again (its worker was killed)
skips the rows already done, a row is charged and counted exactly once, and a row that keeps
killing its worker fails after MAX_ROW_ATTEMPTS instead of holding the batch open."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from billing.models import Usage
from billing.plans import plan_limits
from billing.services import month_start, usage_record
from core import files as stored_files
from core.ids import public_id
from core.netsafe import FetchFailed, UnsafeUrl
from core.observability import RENDER_SECONDS
from core.renderpool.isolation import RenderTask
from core.renderpool.pools import image_pool
from loopwind import engine
from rendering import webhooks
from rendering.batch import CHUNK_ROWS
from rendering.bundles import bundle_for, version_files
from rendering.models import BatchRow, Render, RenderBatch, WebhookDelivery, new_render_id
from rendering.queue import CLEANUP_OUTPUTS, FLUSH_RENDER_COUNTS, enqueue_once
from rendering.selectors import batch_counts
from rendering.services import remote_images_fetch
from rendering.worker import TransientFailure

logger = logging.getLogger(__name__)
MAX_ROW_ATTEMPTS = 3
CANCEL_CHECK_SECONDS = 0.5  # a cancel stops a chunk within this (a row finished meanwhile is dropped)
# Every row of a chunk at the largest plan's time limit, and then some: the broker's safety net only.
CHUNK_TIME_LIMIT_MS = CHUNK_ROWS * (60 + 5) * 1000
Status = RenderBatch.Status
RowStatus = BatchRow.Status


def row_output_name(batch: RenderBatch, row: BatchRow) -> str:
    # The batch's random token keeps names unguessable; the attempt keeps a re-run from touching a
    # file another run of the same row may have committed.
    return (
        f"outputs/batches/{batch.public_id}-{batch.output_token}/{row.number}-{row.attempts}-{row.filename}"
    )


def batch_chunk_run(batch_id: str, first: int, last: int) -> None:
    batch = (
        RenderBatch.objects.select_related("user", "template", "template__owner", "version")
        .filter(public_id=batch_id)
        .first()
    )
    if batch is None or batch.is_final:
        return
    RenderBatch.objects.filter(pk=batch.pk, status=Status.QUEUED).update(
        status=Status.PROCESSING, started_at=timezone.now()
    )
    bundle = bundle_for(batch.version)
    rows = BatchRow.objects.filter(batch=batch, number__gte=first, number__lte=last, status=RowStatus.PENDING)
    chunk = _Chunk(batch, bundle, list(rows.order_by("number")))
    try:
        with _async_commits():
            finished = chunk.run()
    finally:
        chunk.cpu.record()
    if not finished:
        return  # cancelled: the rest stays as the cancel left it
    batch_complete_if_done(batch)
    enqueue_once(CLEANUP_OUTPUTS)
    enqueue_once(FLUSH_RENDER_COUNTS)


class _CpuTally:
    """The renderer's CPU for the account, added up over a chunk and recorded once."""

    def __init__(self, batch: RenderBatch):
        self.batch = batch
        self.ms = 0

    def record(self) -> None:
        if self.ms:
            usage_record(user=self.batch.user, usage_type=Usage.Type.RENDER_CPU_MS, amount=self.ms)
            self.ms = 0


@dataclass
class _Rendered:
    content: bytes
    name: str
    duration_ms: int


class _Chunk:
    """A chunk's rows, one render in flight at a time: while the render child draws row n+1 (and a
    thread stores it), this thread commits row n. Each row's outcome still commits on its own, and a
    row's attempt is counted before its render starts: a worker killed mid-chunk leaves at most one
    row rendered and not committed (pending, rendered again), as before."""

    def __init__(self, batch: RenderBatch, bundle: engine.Bundle, rows: list[BatchRow]):
        self.batch = batch
        self.bundle = bundle
        self.rows = iter(rows)
        self.cpu = _CpuTally(batch)
        self.plan = plan_limits(batch.user)
        self.active = RenderBatch.objects.filter(pk=batch.pk, status__in=[Status.QUEUED, Status.PROCESSING])
        self.checked = 0.0
        self.cancelled = False

    def run(self) -> bool:
        """Renders the chunk's pending rows; False when the batch was cancelled meanwhile."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-render") as renderer:
            self.renderer = renderer
            current = self._start_next()
            while current is not None:
                row, task, future = current
                try:
                    rendered = future.result()
                except engine.EngineError as exc:
                    self.cpu.ms += task.cpu_ms or 0
                    if exc.code == "render_busy":
                        _transient(row, exc)
                    _row_fail(row, exc.code, exc.message)
                    current = self._start_next()
                    continue
                except (FetchFailed, UnsafeUrl) as exc:
                    _row_fail(row, exc.code, exc.message)
                    current = self._start_next()
                    continue
                except Exception as exc:  # storage: worth a retry of the chunk
                    self.cpu.ms += task.cpu_ms or 0
                    _transient(row, exc)  # raises, unless the row is out of attempts (failed)
                    current = self._start_next()
                    continue
                self.cpu.ms += task.cpu_ms or 0
                current = self._start_next()  # the next render runs while this row commits
                try:
                    _row_done(self.batch, row, rendered)
                except BaseException:
                    if current is not None:
                        current[2].cancel()  # not started yet: never rendered; else waited for below
                    raise
        return not self.cancelled

    def _start_next(self):
        """Counts the next row's attempt and starts its render: (row, task, future), or None when the
        chunk is done or cancelled."""
        for row in self.rows:
            if time.monotonic() - self.checked >= CANCEL_CHECK_SECONDS:
                self.checked = time.monotonic()
                if not self.active.exists():
                    self.cancelled = True
                    return None
            # Counted before the render: a worker killed mid-row leaves the count behind.
            BatchRow.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            row.attempts += 1
            if row.attempts > MAX_ROW_ATTEMPTS:
                _row_fail(
                    row, "render_failed", f"The row's render stopped its worker {MAX_ROW_ATTEMPTS} times."
                )
                continue
            task = RenderTask(
                self.bundle.checksum, None, row.props, format=self.batch.format, scale=self.batch.scale
            )
            return row, task, self.renderer.submit(self._render, row, task)
        return None

    def _render(self, row: BatchRow, task: RenderTask) -> _Rendered:
        """In the chunk's render thread: the render and its output's storage put (no database)."""
        batch = self.batch
        started = time.monotonic()
        task.images = remote_images_fetch(self.bundle, row.props)
        content = image_pool().run(
            task,
            files_loader=lambda: version_files(batch.version),
            wall_seconds=self.plan.render_time_limit,
            account=str(batch.user_id),
        )
        name = row_output_name(batch, row)
        if not stored_files.file_save(name, content):
            raise stored_files.StorageUnavailable("Another writer holds the output's name.")
        return _Rendered(content, name, int((time.monotonic() - started) * 1000))


def _row_done(batch: RenderBatch, row: BatchRow, rendered: _Rendered) -> None:
    name, size = rendered.name, len(rendered.content)
    if connection.vendor == "postgresql":
        updated = _row_done_statement(batch, row, rendered)
    else:
        with transaction.atomic():
            updated = BatchRow.objects.filter(pk=row.pk, status=RowStatus.PENDING).update(
                status=RowStatus.DONE, output=name, size=size, duration_ms=rendered.duration_ms,
                finished_at=timezone.now(),
            )  # fmt: skip
            if updated:
                # Charged with the row's commit: one rendered row, one unit, however often it was delivered.
                usage_record(user=batch.user, usage_type=Usage.Type.IMAGE_RENDER, amount=1)
                Render.objects.create(
                    user_id=batch.user_id, template_id=batch.template_id, version_id=batch.version_id,
                    format=batch.format, scale=batch.scale, output=name, size=size,
                    duration_ms=rendered.duration_ms, source="batch",
                )  # fmt: skip
    if not updated:  # cancelled while rendering (or done by another run): keep no second output
        stored_files.file_delete(name)
        return
    RENDER_SECONDS.labels(format=batch.format, cache="batch").observe(rendered.duration_ms / 1000)


def _columns(model, *names: str) -> str:
    return ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)


@functools.cache
def _row_done_sql() -> str:
    """Identifiers from the models' metadata; every value is a parameter."""
    q = connection.ops.quote_name
    rows, usage, renders = (q(m._meta.db_table) for m in (BatchRow, Usage, Render))
    done = (
        f"UPDATE {rows} SET {_columns(BatchRow, 'status')} = %s, {_columns(BatchRow, 'output')} = %s, "  # noqa: S608
        f"{_columns(BatchRow, 'size')} = %s, {_columns(BatchRow, 'duration_ms')} = %s, "
        f"{_columns(BatchRow, 'finished_at')} = %s WHERE {q('id')} = %s AND {_columns(BatchRow, 'status')} = %s "
        f"RETURNING {q('id')}"
    )
    count = _columns(Usage, "count")
    charged = (
        f"INSERT INTO {usage} ({_columns(Usage, 'user', 'type', 'month', 'count')}) SELECT %s, %s, %s, 1 FROM done "  # noqa: S608
        f"ON CONFLICT ({_columns(Usage, 'user', 'type', 'month')}) DO UPDATE SET {count} = {usage}.{count} + 1"
    )
    recorded_columns = _columns(
        Render, "public_id", "user", "template", "version", "format", "scale", "cache_key", "output", "size",
        "duration_ms", "source", "created_at", "counted",
    )  # fmt: skip
    recorded = (
        f"INSERT INTO {renders} ({recorded_columns}) "  # noqa: S608
        "SELECT %s, %s, %s, %s, %s, %s, '', %s, %s, %s, 'batch', %s, false FROM done"
    )
    return (
        f"WITH done AS ({done}), charged AS ({charged}), recorded AS ({recorded}) SELECT count(*) FROM done"  # noqa: S608
    )


def _row_done_statement(batch: RenderBatch, row: BatchRow, rendered: _Rendered) -> int:
    """The row's commit as one statement (one round trip, atomic as any statement): the row marked done
    if it is still pending, and only then its charge (this month's usage upsert, as usage_record) and its
    Render record (as Render.objects.create). 1 when the row was committed here, 0 when it was not pending."""
    now = timezone.now()
    size = len(rendered.content)
    params = [
        RowStatus.DONE, rendered.name, size, rendered.duration_ms, now, row.pk, RowStatus.PENDING,
        batch.user_id, Usage.Type.IMAGE_RENDER, month_start(now),
        new_render_id(), batch.user_id, batch.template_id, batch.version_id, batch.format, batch.scale,
        rendered.name, size, rendered.duration_ms, now,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_row_done_sql(), params)
        return cursor.fetchone()[0]


@contextlib.contextmanager
def _async_commits():
    """The chunk's row commits do not wait for their WAL flush (PostgreSQL's synchronous_commit off,
    for this session while the chunk runs; set once, not per transaction): two a row would otherwise
    spend most of a worker's time on fsync. Exactness holds: a database crash can lose only the last
    few of these commits, each whole (the row's state, its charge and its Render record together), and
    a lost row is pending again and rendered once more, charged once. The batch's completion (and its
    webhook) commits after this, synchronously."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:  # a broken connection: Django replaces it (and the setting goes with it)
            logger.warning("could not reset synchronous_commit", exc_info=True)


def _transient(row: BatchRow, exc: Exception) -> None:
    if row.attempts >= MAX_ROW_ATTEMPTS:
        logger.error("batch row %s failed after %s attempts: %r", row, row.attempts, exc, exc_info=exc)
        _row_fail(row, "render_failed", "The row's render failed repeatedly.")
        return
    logger.warning("batch row %s attempt %s failed, will retry the chunk: %r", row, row.attempts, exc)
    raise TransientFailure(str(exc)) from exc


def _row_fail(row: BatchRow, code: str, message: str) -> None:
    BatchRow.objects.filter(pk=row.pk, status=RowStatus.PENDING).update(
        status=RowStatus.FAILED, error_code=code[:64], error_message=message[:500], finished_at=timezone.now()
    )


def batch_complete_if_done(batch: RenderBatch) -> bool:
    """Completes the batch once no row is pending. Every chunk asks after its own rows committed,
    so the last one to finish sees them all; the conditional update lets only one complete it
    (and create its one webhook)."""
    with transaction.atomic():
        if BatchRow.objects.filter(batch=batch, status=RowStatus.PENDING).exists():
            return False
        updated = RenderBatch.objects.filter(
            pk=batch.pk, status__in=[Status.QUEUED, Status.PROCESSING]
        ).update(status=Status.COMPLETED, completed_at=timezone.now())
        if not updated:
            return False
        batch.refresh_from_db()
        logger.info("batch %s completed", batch.public_id)
        if batch.webhook_url:
            delivery = WebhookDelivery.objects.create(
                user_id=batch.user_id, job=None, event="render.batch.completed", url=batch.webhook_url,
                payload=batch_webhook_payload(batch), message_id=public_id("msg", 24),
            )  # fmt: skip
            transaction.on_commit(lambda: webhooks.webhook_enqueue(delivery.pk))
    return True


def batch_webhook_payload(batch: RenderBatch) -> dict:
    counts = batch_counts(batch=batch)
    base = f"{settings.SITE_URL}/api/render/batch/{batch.public_id}"
    return {
        "event": "render.batch.completed",
        "batchId": batch.public_id,
        "status": batch.status,
        "template": batch.template.slug,
        "format": batch.format,
        "total": batch.total_rows,
        "done": counts["done"],
        "failed": counts["failed"],
        "statusUrl": base,
        "zipUrl": f"{base}/zip",
        "manifestUrl": f"{base}/manifest.csv",
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
    }
