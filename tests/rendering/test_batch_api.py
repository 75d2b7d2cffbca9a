"""POST /api/render/batch and its endpoints, with the chunks run in this process: JSON rows and
CSV, row checks with row numbers, skip vs reject, plan limits, quota up front and per row, a chunk
delivered twice, cancel, zip and manifest, privacy, hostile input."""

import csv
import io
import json
import zipfile

import pytest
from django.db.models import Count

from billing.models import Usage
from rendering import batch as batches
from rendering.batch_worker import batch_chunk_run
from rendering.models import BatchRow, Render, RenderBatch, WebhookDelivery
from templates_registry.services import template_publish
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

COUNTER = {
    "loopwind.json": json.dumps({
        "name": "counter", "type": "image", "engine": "svg", "entry": "template.svg",
        "size": {"width": 120, "height": 60},
        "props": {"name": {"type": "string", "maxLength": 20}, "count": {"type": "integer", "min": 0, "max": 99, "default": 0},
                  "bold": {"type": "boolean", "default": False}},
    }).encode(),
    "template.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="{{ width }}" height="{{ height }}">'
    b'<rect width="120" height="60" fill="#fff"/><text x="4" y="30" font-weight="{{ 700 if bold else 400 }}">'
    b"{{ name }} {{ count }}</text></svg>",
}  # fmt: skip


@pytest.fixture
def sent(monkeypatch):
    """The chunk messages the API sent, instead of a broker: run them with ``run_all``."""
    messages = []
    monkeypatch.setattr(batches, "enqueue", lambda actor, *args, **kw: messages.append((actor, args)))
    return messages


def run_all(sent):
    for actor, args in list(sent):
        assert actor == "render_batch_chunk"
        batch_chunk_run(*args)
    sent.clear()


@pytest.fixture
def pro(user):
    user.plan = "pro"
    user.save()
    return user


@pytest.fixture
def counter(db, pro):
    return template_publish(user=pro, files=COUNTER).template


def submit(client, template, headers=None, **body):
    return client.post("/api/render/batch", {"template": template, **body}, format="json", headers=headers)


def submit_csv(client, template, content: bytes, name="data.csv", headers=None, **fields):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(
        "/api/render/batch",
        {"template": template, "csv": upload, **fields},
        format="multipart",
        headers=headers,
    )


def usage(user) -> int:
    row = Usage.objects.filter(user=user, type=Usage.Type.IMAGE_RENDER).first()
    return row.count if row else 0


def test_json_rows_render_each_once(user_api, pro, counter, sent):
    rows = [{"name": f"n{i}", "count": i, "filename": f"card {i}"} for i in range(30)]
    response = submit(user_api, counter.slug, rows=rows, format="png")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["batchId"].startswith("bat_") and body["status"] == "queued"
    assert body["total"] == 30 and body["remaining"] == 30 and body["done"] == 0
    assert [args[1:] for _, args in sent] == [(1, 25), (26, 30)]  # two chunks
    assert usage(pro) == 0  # charged per rendered row, not up front
    run_all(sent)
    status = user_api.get(body["statusUrl"]).json()
    assert status["status"] == "completed" and status["done"] == 30 and status["remaining"] == 0
    assert status["progress"] == 1
    assert status["rows"][0]["filename"] == "card 0.png" and status["rows"][0]["url"]
    assert usage(pro) == 30
    assert Render.objects.filter(source="batch").count() == 30


def test_csv_values_are_typed_by_the_manifest(user_api, pro, counter, sent):
    content = b"name,count,bold,filename\nAda,3,true,ada\nBob,,,\n"
    response = submit_csv(user_api, counter.slug, content)
    assert response.status_code == 202, response.content
    run_all(sent)
    rows = list(BatchRow.objects.order_by("number"))
    assert rows[0].props == {"name": "Ada", "count": 3, "bold": True} and rows[0].filename == "ada.png"
    assert rows[1].props == {"name": "Bob"} and rows[1].filename == "00002.png"  # empty cells: not given
    assert all(row.status == "done" for row in rows)


def test_bad_rows_are_reported_with_their_number_and_prop(user_api, pro, counter, sent):
    rows = [{"name": "ok", "count": 1}, {"name": "x", "count": "many"}, {"count": 2}, "nope",
            {"name": "y", "count": 1, "extra": 1}]  # fmt: skip
    error = assert_error(submit(user_api, counter.slug, rows=rows), 400, "invalid_rows")
    assert error["details"]["invalidRows"] == 4
    found = {(e["row"], e["prop"]) for e in error["details"]["rows"]}
    assert found == {(2, "count"), (3, "name"), (4, None), (5, "extra")}
    assert not RenderBatch.objects.exists() and not sent


def test_csv_row_errors_name_the_line(user_api, pro, counter, sent):
    content = b"name,count\nAda,3\nBob,lots\nCy,1,extra\n"
    error = assert_error(submit_csv(user_api, counter.slug, content), 400, "invalid_rows")
    assert [(e["row"], e["prop"]) for e in error["details"]["rows"]] == [(2, "count"), (3, None)]


def test_skip_renders_the_valid_rows(user_api, pro, counter, sent):
    rows = [{"name": "a", "count": 1}, {"name": "b", "count": -1}, {"name": "c", "count": 2}]
    response = submit(user_api, counter.slug, rows=rows, onInvalid="skip")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["total"] == 2 and body["skipped"] == 1
    assert body["skippedRows"][0]["row"] == 2 and body["skippedRows"][0]["prop"] == "count"
    run_all(sent)
    assert list(BatchRow.objects.values_list("number", "status")) == [(1, "done"), (3, "done")]
    assert usage(pro) == 2


def test_reject_lists_at_most_a_hundred_rows(user_api, pro, counter, sent):
    error = assert_error(submit(user_api, counter.slug, rows=[{"count": 1}] * 150), 400, "invalid_rows")
    assert error["details"]["invalidRows"] == 150 and len(error["details"]["rows"]) == 100


def test_free_plan_has_no_batches(user_api, user, published, sent):
    error = assert_error(
        submit(user_api, f"{user.username}/og-card", rows=[{"title": "x"}]), 403, "plan_limit"
    )
    assert error["details"]["maxBatchRows"] == 0


def test_pro_plan_caps_the_rows(user_api, pro, counter, sent):
    content = b"name,count\n" + b"a,1\n" * 1001
    error = assert_error(submit_csv(user_api, counter.slug, content), 403, "plan_limit")
    assert error["details"] == {"plan": "pro", "maxBatchRows": 1000, "rows": 1001}
    assert not RenderBatch.objects.exists()


def test_quota_is_checked_up_front_for_the_whole_batch(user_api, pro, counter, sent):
    from billing.services import month_start

    Usage.objects.create(user=pro, type=Usage.Type.IMAGE_RENDER, month=month_start(), count=4990)
    error = assert_error(
        submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}] * 11), 429, "quota_exceeded"
    )
    assert error["details"]["remaining"] == 10 and error["details"]["requested"] == 11
    assert submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}] * 6).status_code == 202
    # the 6 rows still waiting are promised: 4 remain for another batch
    assert_error(submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}] * 5), 429, "quota_exceeded")
    run_all(sent)
    assert usage(pro) == 4996


def test_a_chunk_delivered_twice_renders_each_row_once(user_api, pro, counter, sent):
    response = submit(user_api, counter.slug, rows=[{"name": f"r{i}", "count": i} for i in range(5)])
    args = sent[0][1]
    batch_chunk_run(*args)
    batch = RenderBatch.objects.get()
    # a worker killed mid-chunk: its message comes back, and some rows had committed
    RenderBatch.objects.filter(pk=batch.pk).update(status="processing")
    BatchRow.objects.filter(number__gt=3).update(status="pending", output="", attempts=1)
    before = {row.number: row.output for row in BatchRow.objects.filter(number__lte=3)}
    batch_chunk_run(*args)
    batch_chunk_run(*args)
    rows = {row.number: row for row in BatchRow.objects.all()}
    assert all(row.status == "done" for row in rows.values())
    assert {n: rows[n].output for n in before} == before  # done rows untouched
    assert Render.objects.filter(source="batch").count() == 7  # 5, then the 2 rows given back
    assert response.status_code == 202


def test_a_storage_failure_stops_the_chunk_for_a_retry_and_loses_nothing(
    user_api, pro, counter, sent, monkeypatch
):
    from core import files as stored_files
    from rendering.worker import TransientFailure

    submit(user_api, counter.slug, rows=[{"name": f"r{i}", "count": i} for i in range(6)])
    save = stored_files.file_save
    failed = []

    def flaky(name, content):  # row 3's first attempt cannot be stored
        if name.rsplit("/", 1)[-1].startswith("3-1-") and not failed:
            failed.append(name)
            raise stored_files.StorageUnavailable("storage down")
        return save(name, content)

    monkeypatch.setattr(stored_files, "file_save", flaky)
    with pytest.raises(TransientFailure):
        run_all(list(sent))
    rows = {row.number: row for row in BatchRow.objects.all()}
    # rows 1-2 committed; row 3 failed to store (pending, one attempt); nothing after it was committed
    assert [rows[n].status for n in range(1, 7)] == [
        "done",
        "done",
        "pending",
        "pending",
        "pending",
        "pending",
    ]
    assert rows[3].attempts == 1 and rows[4].attempts == 0 and failed
    run_all(sent)  # the message comes back
    rows = {row.number: row for row in BatchRow.objects.all()}
    assert all(row.status == "done" for row in rows.values())
    assert Render.objects.filter(source="batch").count() == 6 and usage(pro) == 6  # each row once
    # the Render records are whole (the row's commit writes them in one statement on PostgreSQL)
    outputs = {row.output: row for row in rows.values()}
    for render in Render.objects.filter(source="batch"):
        row = outputs[render.output]
        assert render.public_id.startswith("rnd_") and render.size == row.size > 0 and not render.counted
        assert (render.user_id, render.format, render.scale, render.cache_key) == (pro.pk, "png", 1, "")
    assert RenderBatch.objects.get().status == "completed"


def test_the_next_render_runs_while_a_row_commits(user_api, pro, counter, sent, monkeypatch):
    import threading

    from rendering import batch_worker

    submit(user_api, counter.slug, rows=[{"name": f"r{i}", "count": i} for i in range(4)])
    started = {n: threading.Event() for n in range(1, 6)}
    overlapped = []
    render, done = batch_worker._Chunk._render, batch_worker._row_done

    def rendering(self, row, task):
        started[row.number].set()
        return render(self, row, task)

    def committing(batch, row, rendered):
        # row n commits once row n+1's render has begun (sequential rows would wait here in vain)
        overlapped.append(started[row.number + 1].wait(timeout=5) if row.number < 4 else None)
        return done(batch, row, rendered)

    monkeypatch.setattr(batch_worker._Chunk, "_render", rendering)
    monkeypatch.setattr(batch_worker, "_row_done", committing)
    run_all(sent)
    assert overlapped == [True, True, True, None]  # the last row has no next one
    assert BatchRow.objects.filter(status="done").count() == 4 and usage(pro) == 4


def test_a_row_that_keeps_killing_its_worker_fails(user_api, pro, counter, sent):
    submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}, {"name": "b", "count": 2}])
    BatchRow.objects.filter(number=1).update(attempts=3)
    run_all(sent)
    rows = list(BatchRow.objects.order_by("number"))
    assert [r.status for r in rows] == ["failed", "done"]
    assert RenderBatch.objects.get().status == "completed"
    assert usage(pro) == 1


def test_cancel_keeps_what_is_done(user_api, pro, counter, sent):
    body = submit(user_api, counter.slug, rows=[{"name": f"r{i}", "count": i} for i in range(30)]).json()
    batch_chunk_run(*sent[0][1])  # the first 25 rows
    cancelled = user_api.post(f"{body['statusUrl']}/cancel")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["done"] == 25
    batch_chunk_run(*sent[1][1])  # the second chunk arrives after the cancel: renders nothing
    counts = dict(BatchRow.objects.order_by().values_list("status").annotate(n=Count("pk")))
    assert counts == {"done": 25, "cancelled": 5}
    assert usage(pro) == 25
    assert_error(user_api.post(f"{body['statusUrl']}/cancel"), 409, "batch_final")


def test_zip_and_manifest(user_api, pro, counter, sent):
    rows = [{"name": "a", "count": 1, "filename": "first"}, {"name": "b", "count": 2, "filename": "../../etc/x"},
            {"name": "c", "count": 3, "filename": "first"}]  # fmt: skip
    body = submit(user_api, counter.slug, rows=rows, format="svg").json()
    run_all(sent)
    BatchRow.objects.filter(number=3).update(status="failed", output="", error_code="render_failed",
                                              error_message="=HYPERLINK(1)")  # fmt: skip
    response = user_api.get(body["zipUrl"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["etc-x.svg", "first.svg", "manifest.csv"]
    assert archive.read("first.svg").startswith(b"<svg")
    manifest = user_api.get(body["manifestUrl"])
    assert manifest.status_code == 200 and manifest["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(manifest.streaming_content).decode())))
    assert lines[0] == ["row", "filename", "url", "status", "error"]
    assert [line[0:2] + line[3:4] for line in lines[1:]] == [
        ["1", "first.svg", "done"], ["2", "etc-x.svg", "done"], ["3", "first-3.svg", "failed"]
    ]  # fmt: skip
    assert lines[1][2].startswith("http") and lines[3][2] == ""
    assert lines[3][4] == "render_failed: =HYPERLINK(1)"
    output = user_api.get(lines[1][2].split("testserver", 1)[-1])
    assert output.status_code == 200


def test_webhook_on_completion(user_api, pro, counter, sent, monkeypatch):
    import rendering.batch_worker as bw

    queued = []
    monkeypatch.setattr(bw.webhooks, "webhook_enqueue", lambda pk: queued.append(pk))
    monkeypatch.setattr(batches, "check_url", lambda url: None)
    submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}], webhook="https://hooks.example.com/x")
    run_all(sent)
    delivery = WebhookDelivery.objects.get(event="render.batch.completed")
    assert delivery.payload["batchId"].startswith("bat_") and delivery.payload["done"] == 1
    batch_chunk_run(RenderBatch.objects.get().public_id, 1, 1)  # delivered again: still one webhook
    assert WebhookDelivery.objects.count() == 1


def test_another_users_batch_is_not_found(user_api, api, other_user, pro, counter, sent):
    body = submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}]).json()
    from tests.conftest import bearer

    other = bearer(api, _token(other_user))
    for path in ("", "/zip", "/manifest.csv"):
        assert_error(other.get(body["statusUrl"] + path), 404, "not_found")
    assert_error(other.post(body["statusUrl"] + "/cancel"), 404, "not_found")
    assert_error(user_api.get("/api/render/batch/bat_nothing"), 404, "not_found")


def _token(user):
    from accounts.services import tokens_for_user

    return tokens_for_user(user)["token"]


@pytest.mark.parametrize(
    "content, code",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "invalid_csv"),
        (b"name,count\nA\x00,1\n", "invalid_csv"),
        (b"name,count\n" + b"x" * 200_000 + b",1\n", "invalid_csv"),
        (b"", "validation_error"),  # an empty upload
        (b"name,name\na,b\n", "invalid_csv"),
        (b'name,count\n"unterminated,1\n', "invalid_csv"),
        (b"\xff\xfe\x00n\x00a", "invalid_csv"),
    ],
)
def test_hostile_csv_is_a_400(user_api, pro, counter, sent, content, code):
    assert_error(submit_csv(user_api, counter.slug, content), 400, code)
    assert not RenderBatch.objects.exists()


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"rows": "not a list"}, 400, "validation_error"),
        ({"rows": [{"name": "a", "count": 1}], "format": "mp4"}, 400, "validation_error"),
        ({"rows": [{"name": "a", "count": 1}], "onInvalid": "maybe"}, 400, "validation_error"),
        ({}, 400, "validation_error"),
        ({"rows": []}, 400, "empty_batch"),
        ({"rows": [None, 5, [1]]}, 400, "invalid_rows"),
        ({"rows": [{"name": "a", "count": 1, "filename": 7}]}, 400, "invalid_rows"),
        ({"rows": [{"name": "a\x00b", "count": 1}]}, None, None),
    ],
)
def test_hostile_json_is_a_4xx(user_api, pro, counter, sent, body, status, code):
    response = submit(user_api, counter.slug, **body)
    assert response.status_code < 500, response.content
    if status:
        assert_error(response, status, code)


def test_missing_template_and_video_template(user_api, pro, published_video, sent):
    assert_error(submit(user_api, "nobody/nothing", rows=[{}]), 404)
    error = assert_error(submit(user_api, f"{pro.username}/promo-video", rows=[{"headline": "x"}]), 400)
    assert error["code"] == "video_not_supported"


def test_private_template_of_someone_else(user_api, pro, private_template, sent):
    assert_error(submit(user_api, private_template.slug, rows=[{"title": "x"}]), 404)


def test_safe_filenames():
    taken: set[str] = set()
    assert batches.safe_filename("../a/b.png", number=1, fmt="png", taken=taken) == "a-b.png"
    assert batches.safe_filename("A/B.PNG", number=2, fmt="png", taken=taken) == "A-B-2.png"
    assert batches.safe_filename("a-b", number=3, fmt="png", taken=taken) == "a-b-3.png"
    assert batches.safe_filename("", number=4, fmt="png", taken=taken) == "00004.png"
    assert batches.safe_filename("-=cmd", number=5, fmt="png", taken=taken) == "cmd.png"


def test_lost_chunks_are_sent_again_and_old_outputs_deleted(user_api, pro, counter, sent, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from core import files as stored_files
    from rendering import batch_maintenance

    monkeypatch.setattr(batch_maintenance, "enqueue", lambda actor, *args, **kw: sent.append((actor, args)))
    body = submit(user_api, counter.slug, rows=[{"name": f"r{i}", "count": i} for i in range(30)]).json()
    batch_chunk_run(*sent[0][1])  # the first chunk ran; the second message was lost
    sent.clear()
    assert batch_maintenance.batches_requeue_stale()["batches"] == 0  # not stale yet
    an_hour_ago = timezone.now() - timedelta(hours=1)
    RenderBatch.objects.update(created_at=an_hour_ago)
    BatchRow.objects.update(finished_at=an_hour_ago)
    assert batch_maintenance.batches_requeue_stale() == {"batches": 1, "chunks": 1, "stillQueued": 0}
    assert [args for _, args in sent] == [(body["batchId"], 26, 30)]
    run_all(sent)
    assert RenderBatch.objects.get().status == "completed" and usage(pro) == 30

    name = BatchRow.objects.get(number=1).output
    BatchRow.objects.filter(number=1).update(finished_at=timezone.now() - timedelta(days=2))
    assert batch_maintenance.batch_outputs_cleanup() == 1
    with pytest.raises(FileNotFoundError):
        stored_files.file_read(name)
    rows = user_api.get(body["statusUrl"]).json()["rows"]
    assert rows[0]["url"] is None and rows[1]["url"]


def test_admin_lists_batches(user_api, pro, counter, sent, client):
    from tests.factories import UserFactory

    submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}])
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    batch = RenderBatch.objects.get()
    assert batch.public_id in client.get("/admin/rendering/renderbatch/").content.decode()
    assert client.get(f"/admin/rendering/renderbatch/{batch.pk}/change/").status_code == 200


def test_a_json_body_past_the_limit_is_a_413(user_api, pro, counter, sent):
    rows = [{"name": "x" * 20, "count": 1}] * 10_000  # about 400 KB: a batch this size is sent as a CSV
    assert_error(submit(user_api, counter.slug, rows=rows), 413)
    assert not RenderBatch.objects.exists()


def test_a_csv_past_its_limit_is_a_413(user_api, pro, counter, sent, monkeypatch):
    monkeypatch.setattr(batches, "MAX_CSV_BYTES", 1000)
    assert_error(
        submit_csv(user_api, counter.slug, b"name,count\n" + b"abc,1\n" * 200), 413, "file_too_large"
    )


def _sse(response) -> list[tuple[str, dict | str]]:
    """The events of a finished stream: (name, data), and ("retry", ms) for retry lines."""
    out = []
    for block in b"".join(response.streaming_content).decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if "retry" in fields:
            out.append(("retry", fields["retry"]))
        if "event" in fields:
            out.append((fields["event"], json.loads(fields["data"])))
    return out


def test_events_follow_the_batch_to_completion(user_api, pro, counter, sent, monkeypatch):
    from rendering import events

    body = submit(user_api, counter.slug, rows=[{"name": f"r{i}", "count": i} for i in range(30)]).json()
    pending = list(sent)
    sent.clear()
    # each poll's pause renders the next chunk: the stream sees the rows finish
    monkeypatch.setattr(events.time, "sleep", lambda s: pending and batch_chunk_run(*pending.pop(0)[1]))
    response = user_api.get(f"{body['statusUrl']}/events")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    stream = _sse(response)
    assert stream[0] == ("retry", "1000")
    names = [name for name, _ in stream[1:]]
    assert names == ["progress", "progress", "completed"]
    first, middle, last = (data for _, data in stream[1:])
    assert (first["done"], first["failed"], first["remaining"]) == (0, 0, 30)  # starts with the current state
    assert (middle["done"], middle["remaining"]) == (25, 5)
    assert last["status"] == "completed" and last["done"] == 30 and last["remaining"] == 0
    assert last["batchId"] == body["batchId"] and "rows" not in last


def test_events_end_with_cancelled(user_api, pro, counter, sent):
    body = submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}]).json()
    user_api.post(f"{body['statusUrl']}/cancel")
    stream = _sse(user_api.get(f"{body['statusUrl']}/events"))
    assert [name for name, _ in stream] == ["retry", "cancelled"]
    assert stream[1][1]["cancelled"] == 1


def test_events_end_cleanly_after_the_stream_time(user_api, pro, counter, sent, settings, monkeypatch):
    from rendering import events

    settings.SSE_STREAM_SECONDS = 0.3
    monkeypatch.setattr(events, "POLL_SECONDS", 0.05)
    body = submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}]).json()
    stream = _sse(user_api.get(f"{body['statusUrl']}/events"))
    assert [name for name, _ in stream] == ["retry", "progress"]  # no final event: the client reconnects


def test_events_are_private(user_api, api, other_user, pro, counter, sent):
    from tests.conftest import bearer

    body = submit(user_api, counter.slug, rows=[{"name": "a", "count": 1}]).json()
    assert_error(bearer(api, _token(other_user)).get(f"{body['statusUrl']}/events"), 404, "not_found")
    from rest_framework.test import APIClient

    assert_error(APIClient().get(f"{body['statusUrl']}/events"), 401)
    assert_error(user_api.get("/api/render/batch/bat_nothing/events"), 404, "not_found")


def test_idempotency_key_on_a_csv_upload(user_api, pro, counter, sent):
    content = b"name,count,filename\nAda,1,ada\nBob,2,bob\n"
    key = {"Idempotency-Key": "csv-batch-1"}
    first = submit_csv(user_api, counter.slug, content, headers=key)
    assert first.status_code == 202, first.content
    again = submit_csv(user_api, counter.slug, content, name="renamed.csv", headers=key)  # same bytes
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert RenderBatch.objects.count() == 1 and BatchRow.objects.count() == 2
    assert len(sent) == 1  # the chunk was sent once
    run_all(sent)
    assert usage(pro) == 2  # charged once per row, not per request

    # another file (or other fields) under the same key is refused, and creates nothing
    assert_error(
        submit_csv(user_api, counter.slug, content + b"Cy,3,cy\n", headers=key), 409, "idempotency_key_reused"
    )
    assert_error(
        submit_csv(user_api, counter.slug, content, headers=key, format="svg"), 409, "idempotency_key_reused"
    )
    assert_error(
        submit(user_api, counter.slug, rows=[{"name": "Ada", "count": 1}], headers=key),
        409,
        "idempotency_key_reused",
    )
    assert RenderBatch.objects.count() == 1 and not sent and usage(pro) == 2

    # without a key, the same CSV is a new batch
    assert submit_csv(user_api, counter.slug, content).status_code == 202
    assert RenderBatch.objects.count() == 2


def test_idempotency_key_on_json_rows(user_api, pro, counter, sent):
    rows = [{"name": "Ada", "count": 1}]
    key = {"Idempotency-Key": "json-batch-1"}
    first = submit(user_api, counter.slug, rows=rows, headers=key)
    again = submit(user_api, counter.slug, rows=rows, headers=key)
    assert again.status_code == 202 and again.json()["batchId"] == first.json()["batchId"]
    assert RenderBatch.objects.count() == 1 and len(sent) == 1
    assert_error(submit(user_api, counter.slug, rows=rows * 2, headers=key), 409, "idempotency_key_reused")
