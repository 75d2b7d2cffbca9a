"""The render log: a sync render's Render row, written off the request.

A cache miss pushes one compact JSON record onto a Redis list (one RPUSH) instead of an INSERT
and its commit; the worker's minute upkeep (maintenance.render_counts_flush) turns what is
queued into Render rows with one bulk INSERT and adds them to the templates' counters.

Never lost: the list lives in the job queue's Redis (run with ``appendonly yes``, never with an
evicting ``maxmemory-policy``; the cache's Redis may evict), so a web process killed after its
response has already handed its record over. A flush claims a batch by moving it, atomically, to
a claim list of its own and deletes that list only after its INSERT has committed; a flush that
dies leaves its claim for the next one, and inserting a record twice is harmless (``public_id``
is unique, the INSERT skips conflicts). Without a Redis broker (the embedded setup) or when Redis
does not answer, the row is written at once, as before.

A record also carries the render's CPU time (``cpu_ms``), added to its account's usage by the flush
that inserts the row (the one that finds it new, under the flush's lock): exactly once, and one
commit fewer on the request."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import UTC, date, datetime

from django.db import transaction

from accounts.models import User
from billing.models import Usage
from billing.services import month_start, usage_record
from core.durablelog import BATCH, DurableLog
from core.inflight import ReleaseBatch
from rendering.models import Render

logger = logging.getLogger(__name__)
_FIELDS = ("public_id", "user_id", "template_id", "version_id", "format", "scale", "cache_key", "output",
           "size", "duration_ms", "source")  # fmt: skip
LOG = DurableLog("renderlog")


def render_log(*, cpu_ms: int = 0, **fields) -> str:
    """Records one render (the Render model's fields, ids as ``*_id``) and the CPU it used, in
    milliseconds, for its account's usage; returns its public id."""
    public_id, record = render_record(cpu_ms=cpu_ms, **fields)
    render_record_log(record)
    return public_id


def render_record_log(record: str, batch: ReleaseBatch | None = None) -> None:
    """Queues ``record`` for the flush: with ``batch``'s round trip when it goes to the log's Redis
    (LOG.push_command), else with an RPUSH of its own; when neither answers, the row is written now."""
    command = LOG.push_command(batch.client, record) if batch is not None else None
    if command is not None:
        batch.add(*command, on_error=lambda exc: _written_instead(record, exc))
    elif not LOG.push(record):
        render_record_write(record)


def _written_instead(record: str, exc: Exception) -> None:
    logger.warning("render log unavailable; the row is written at once: %r", exc)
    render_record_write(record)


def render_record(*, cpu_ms: int = 0, **fields) -> tuple[str, str]:
    """The render's public id and its log record (render_record_log queues it)."""
    fields.setdefault("public_id", Render._meta.get_field("public_id").default())
    fields["created_at"] = datetime.now().astimezone().isoformat()
    return fields["public_id"], json.dumps({**fields, "cpu_ms": cpu_ms}, separators=(",", ":"))


def render_record_write(record: str) -> None:
    """No Redis broker, or it did not answer: the row is written now rather than lost."""
    row, cpu_ms = _row(record)
    with transaction.atomic():
        row.save(force_insert=True)
        _cpu_record({(row.user_id, month_start(row.created_at.astimezone(UTC))): cpu_ms})


def _cpu_record(per_account_month: dict[tuple[int, date], int]) -> None:
    for (user_id, month), amount in per_account_month.items():
        usage_record(user=User(pk=user_id), usage_type=Usage.Type.RENDER_CPU_MS, amount=amount, month=month)


def _row(raw: bytes) -> tuple[Render, int]:
    record = json.loads(raw)
    row = Render(
        **{name: record[name] for name in _FIELDS if name in record},
        created_at=datetime.fromisoformat(record["created_at"]),
    )
    return row, int(record.get("cpu_ms") or 0)


def claim() -> list[str]:
    """Claims what is queued (core.durablelog): every claim list to insert."""
    return LOG.claim()


def insert(claim_lists: list[str]) -> int:
    """Inserts the claimed records as Render rows, in bulk, skipping those already there, and adds
    the CPU time of the rows it inserted to their accounts' usage. Runs under the flush's lock
    (maintenance.render_counts_flush), so "not there yet" means "inserted by this flush": a claim
    inserted twice (a flush that died after its commit) adds nothing the second time."""
    inserted = 0
    for name in claim_lists:
        records = [_row(raw) for raw in LOG.records(name)]
        there = set(
            Render.objects.filter(public_id__in=[row.public_id for row, _ in records]).values_list(
                "public_id", flat=True
            )
        )
        new = sorted((record for record in records if record[0].public_id not in there),
                     key=lambda record: record[0].created_at)  # fmt: skip
        Render.objects.bulk_create([row for row, _ in new], batch_size=BATCH, ignore_conflicts=True)
        cpu: dict[tuple[int, date], int] = defaultdict(int)
        for row, cpu_ms in new:
            if cpu_ms > 0:
                cpu[(row.user_id, month_start(row.created_at.astimezone(UTC)))] += cpu_ms
        _cpu_record(cpu)
        inserted += len(records)
    return inserted


def release(claim_lists: list[str]) -> None:
    """After the rows committed: the claims are done."""
    LOG.release(claim_lists)
