"""loopwind.webhooks.verify interoperates with the standardwebhooks library and the server's signer."""

import base64
import json
import time

import pytest
from standardwebhooks import Webhook

from loopwind import webhooks
from loopwind.sdk import WebhookVerificationError
from rendering.webhooks import sign as server_sign

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
BODY = json.dumps({"type": "render.completed", "data": {"jobId": "job_1"}})


def headers(msg_id="msg_1", ts=None, signature=None):
    ts = int(time.time()) if ts is None else ts
    signature = signature or webhooks.sign(BODY, msg_id=msg_id, timestamp=ts, secret=SECRET)
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_ours_verifies_what_standardwebhooks_signs():
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    signature = Webhook(SECRET).sign("msg_2", now, BODY)
    sent = {
        "Webhook-Id": "msg_2",
        "Webhook-Timestamp": str(int(now.timestamp())),
        "Webhook-Signature": signature,
    }
    assert webhooks.verify(BODY.encode(), sent, SECRET)["data"]["jobId"] == "job_1"


def test_standardwebhooks_verifies_what_ours_signs():
    assert Webhook(SECRET).verify(BODY, headers())["type"] == "render.completed"


def test_server_signatures_verify():
    from datetime import UTC, datetime

    sent = server_sign(SECRET, "msg_3", datetime.now(UTC), BODY)
    assert webhooks.verify(BODY, sent, SECRET)["type"] == "render.completed"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda h: {**h, "webhook-signature": "v1,AAAA"}, "bad_signature"),
        (lambda h: {**h, "webhook-id": "msg_other"}, "bad_signature"),
        (lambda h: {k: v for k, v in h.items() if k != "webhook-id"}, "missing_headers"),
        (lambda h: headers(ts=int(time.time()) - 3600), "stale_timestamp"),
        (lambda h: {**h, "webhook-timestamp": "soon"}, "bad_timestamp"),
    ],
)
def test_refused(change, code):
    with pytest.raises(WebhookVerificationError) as refused:
        webhooks.verify(BODY, change(headers()), SECRET)
    assert refused.value.code == code


def test_rotation_lists_several_signatures_and_tampered_bodies_fail():
    good = headers()
    rotated = {**good, "webhook-signature": "v1,b2xk " + good["webhook-signature"]}
    assert webhooks.verify(BODY, rotated, SECRET)
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(BODY.replace("job_1", "job_2"), good, SECRET)
