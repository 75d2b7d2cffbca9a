"""Idempotency-Key on POSTs that create work (Stripe's rules): the same key with the same body
gets the first answer again, and one job; the same key with another body is a 409. Keys live
24 hours."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict
from rendering.models import IdempotencyRecord

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used with a different request body."


def request_hash(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def begin(*, user, endpoint: str, key: str, body) -> IdempotencyRecord | None:
    """Claims ``key``. Returns None when the caller should do the work (and then ``finish``), or
    the record holding the earlier answer to replay."""
    if len(key) > MAX_KEY_LENGTH:
        raise Conflict(
            "Idempotency-Key is longer than 255 characters.", code="invalid_idempotency_key", status=400
        )
    digest = request_hash(body)
    IdempotencyRecord.objects.filter(
        user=user, endpoint=endpoint, key=key, created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(user=user, endpoint=endpoint, key=key, request_hash=digest)
        return None
    except IntegrityError:
        record = IdempotencyRecord.objects.get(user=user, endpoint=endpoint, key=key)
    if record.request_hash != digest:
        raise IdempotencyConflict()
    if record.status_code is None:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed.",
            code="idempotency_key_in_use",
            headers={"Retry-After": "1"},
        )
    return record


def run_once(*, user, endpoint: str, key: str | None, body, work: Callable[[], tuple[int, dict]]):
    """Runs ``work() -> (status, payload)`` once per Idempotency-Key and body, and returns
    ``(status, payload, replayed)``: the first answer again for a repeated request, work done
    only once. Without a key, ``work`` just runs. A failure (an exception) frees the key."""
    if not key:
        return (*work(), False)
    record = begin(user=user, endpoint=endpoint, key=key, body=body)
    if record is not None:
        return record.status_code, record.response, True
    try:
        status_code, payload = work()
    except BaseException:
        abandon(user=user, endpoint=endpoint, key=key)
        raise
    finish(user=user, endpoint=endpoint, key=key, status_code=status_code, response=payload)
    return status_code, payload, False


def finish(*, user, endpoint: str, key: str, status_code: int, response: dict) -> None:
    IdempotencyRecord.objects.filter(user=user, endpoint=endpoint, key=key).update(
        status_code=status_code, response=response
    )


def abandon(*, user, endpoint: str, key: str) -> None:
    """The work failed with an error: the key may be used again (errors are not replayed)."""
    IdempotencyRecord.objects.filter(user=user, endpoint=endpoint, key=key, status_code=None).delete()
