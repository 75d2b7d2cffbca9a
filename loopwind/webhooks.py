"""Verify loopwind.dev webhooks (the Standard Webhooks scheme) without extra dependencies.

``verify(payload, headers, secret)`` checks ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` of
``"{webhook-id}.{webhook-timestamp}.{payload}"`` keyed with the decoded ``whsec_`` secret; several
space-separated signatures are allowed during secret rotation) and that ``webhook-timestamp`` is within
``tolerance`` seconds of now; returns the parsed JSON payload. Interoperates with the
``standardwebhooks`` library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from .sdk.errors import WebhookVerificationError

__all__ = ["WebhookVerificationError", "sign", "verify"]
DEFAULT_TOLERANCE = 300


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError as exc:
        raise WebhookVerificationError(
            "The webhook secret is not a whsec_ base64 secret.", code="bad_secret"
        ) from exc


def sign(payload: bytes | str, *, msg_id: str, timestamp: int, secret: str) -> str:
    """The ``webhook-signature`` header value for this payload (useful in tests)."""
    body = payload.encode() if isinstance(payload, str) else payload
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    payload: bytes | str, headers: Mapping[str, str], secret: str, *, tolerance: int = DEFAULT_TOLERANCE
):
    """The JSON payload if the headers verify it, else WebhookVerificationError."""
    lower = {str(k).lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = (
        lower.get(n) for n in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError(
            "Missing webhook-id, webhook-timestamp or webhook-signature.", code="missing_headers"
        )
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number.", code="bad_timestamp") from None
    if abs(time.time() - timestamp) > tolerance:
        raise WebhookVerificationError(
            "The webhook timestamp is too old or in the future.", code="stale_timestamp"
        )
    expected = sign(payload, msg_id=msg_id, timestamp=timestamp, secret=secret).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            body = payload.decode() if isinstance(payload, bytes) else payload
            return json.loads(body)
    raise WebhookVerificationError("No webhook signature matches the secret.", code="bad_signature")
