"""Batch upkeep, with the hourly sweep (rendering/tasks.py cleanup_outputs): send again the chunks of
batches whose messages the broker lost, and delete batch outputs past OUTPUT_TTL."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core import files as stored_files
from rendering.batch import batch_chunks
from rendering.models import BatchRow, RenderBatch
from rendering.queue import RENDER_BATCH_CHUNK, enqueue, held_arguments

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=15)
Status = RenderBatch.Status


def batches_requeue_stale(*, older_than: timedelta = STALE_AFTER) -> dict[str, int]:
    """A batch with rows pending, none finished for ``older_than``, and no message of it left in
    the broker (waiting, delayed or taken) lost its messages: its pending rows are sent again, in
    chunks. Were a chunk sent twice all the same, the rows' states make it harmless."""
    cutoff = timezone.now() - older_than
    recent = BatchRow.objects.filter(batch=OuterRef("pk"), finished_at__gte=cutoff)
    pending = BatchRow.objects.filter(batch=OuterRef("pk"), status=BatchRow.Status.PENDING)
    stale = RenderBatch.objects.filter(
        status__in=[Status.QUEUED, Status.PROCESSING], created_at__lt=cutoff
    ).filter(Exists(pending), ~Exists(recent))
    if not stale.exists():
        return {"batches": 0, "chunks": 0, "stillQueued": 0}
    held = held_arguments(RENDER_BATCH_CHUNK)
    batches = chunks = still_queued = 0
    for batch in stale.iterator():
        if batch.public_id in held:
            still_queued += 1
            continue
        numbers = list(
            batch.rows.filter(status=BatchRow.Status.PENDING)
            .order_by("number")
            .values_list("number", flat=True)
        )
        for first, last in batch_chunks(numbers):
            enqueue(RENDER_BATCH_CHUNK, batch.public_id, first, last)
            chunks += 1
        batches += 1
    if batches:
        logger.warning("requeued %s chunks of %s stale batches", chunks, batches)
    return {"batches": batches, "chunks": chunks, "stillQueued": still_queued}


def batch_outputs_cleanup(*, now=None) -> int:
    """Deletes the outputs of rows finished more than OUTPUT_TTL ago (their signed URLs have expired
    too); the rows stay, with their facts, and list no URL."""
    now = now or timezone.now()
    expired = BatchRow.objects.filter(
        finished_at__lt=now - timedelta(seconds=settings.OUTPUT_TTL), status=BatchRow.Status.DONE
    ).exclude(output="")
    removed = 0
    for pk, name in expired.values_list("pk", "output").iterator():
        stored_files.file_delete(name)
        BatchRow.objects.filter(pk=pk).update(output="")
        removed += 1
    return removed
