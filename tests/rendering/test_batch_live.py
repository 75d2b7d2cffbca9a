"""A batch over HTTP with a real Dramatiq worker (in this process, on Redis): the CLI's
`render --batch data.csv --out dir/` renders every row into the folder, a second run resumes without
a new batch or a download, and the Python SDK follows the same batch and reads its zip."""

import io
import json
import zipfile

import dramatiq
import pytest
import redis

from billing.models import Usage
from loopwind import Loopwind
from loopwind.cli import main
from rendering.models import BatchRow, RenderBatch
from templates_registry.services import template_publish
from tests.cli.helpers import api_key, register
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def env(live_server, settings, tmp_path, monkeypatch):
    settings.SITE_URL = live_server.url
    broker = redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL)
    for key in broker.scan_iter("dramatiq:*"):
        broker.delete(key)
    worker = dramatiq.Worker(dramatiq.get_broker(), queues={"render"}, worker_threads=2)
    worker.start()
    account = register(live_server.url, "batch@example.com", plan="pro")
    from accounts.models import User

    user = User.objects.get(email="batch@example.com")
    template_publish(user=user, files=example_files("og-card"))
    key = api_key(live_server.url, account["token"])["key"]
    monkeypatch.setenv("LOOPWIND_API_URL", live_server.url)
    monkeypatch.setenv("LOOPWIND_API_KEY", key)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield {
        "url": live_server.url,
        "user": user,
        "key": key,
        "slug": f"{user.username}/og-card",
        "tmp": tmp_path,
    }
    worker.stop()
    from tests.cli.helpers import end_other_db_sessions

    end_other_db_sessions()  # the worker threads' connections, so the test database can be dropped


def test_cli_batch_into_a_folder_and_resume(env, capsys, monkeypatch):
    streams = []
    follow = Loopwind.batch_events
    monkeypatch.setattr(
        Loopwind, "batch_events", lambda self, batch_id: streams.append(batch_id) or follow(self, batch_id)
    )
    rows = ["title,subtitle,filename"] + [f"Card {i},Sub {i},card-{i}" for i in range(40)]
    (env["tmp"] / "data.csv").write_text("\n".join(rows) + "\n")
    code = main(["render", env["slug"], "--batch", "data.csv", "--out", "cards", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert result["status"] == "completed" and result["done"] == 40 and result["downloaded"] == 40
    assert streams == [result["batchId"]]  # progress came from the event stream
    files = sorted(p.name for p in (env["tmp"] / "cards").glob("*.png"))
    assert files == sorted(f"card-{i}.png" for i in range(40))
    assert (env["tmp"] / "cards" / "card-7.png").read_bytes()[:8] == PNG
    usage = Usage.objects.get(user=env["user"], type=Usage.Type.IMAGE_RENDER).count
    assert usage == 40 and BatchRow.objects.filter(status="done").count() == 40

    (env["tmp"] / "cards" / "card-3.png").unlink()  # resumable: only the missing file is fetched
    assert main(["render", env["slug"], "--batch", "data.csv", "--out", "cards", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["resumed"] and again["batchId"] == result["batchId"]
    assert again["downloaded"] == 1 and again["alreadyThere"] == 39
    assert RenderBatch.objects.count() == 1
    assert Usage.objects.get(user=env["user"], type=Usage.Type.IMAGE_RENDER).count == 40

    lw = Loopwind(env["key"], base_url=env["url"])
    status = lw.batch(result["batchId"], limit=10, page=4)
    assert status["done"] == 40 and [r["row"] for r in status["rows"]] == list(range(31, 41))
    with zipfile.ZipFile(io.BytesIO(lw.batch_zip(result["batchId"]))) as archive:
        assert len(archive.namelist()) == 41 and archive.read("card-0.png")[:8] == PNG
    assert lw.batch_manifest(result["batchId"]).splitlines()[0] == "row,filename,url,status,error"


def test_sdk_render_batch_with_rows(env):
    lw = Loopwind(env["key"], base_url=env["url"])
    accepted = lw.render_batch(
        env["slug"], rows=[{"title": "A"}, {"title": "B", "filename": "b"}], format="jpg"
    )
    assert accepted["total"] == 2
    updates = list(lw.batch_events(accepted["batchId"]))  # follows the batch to its end, over SSE
    assert updates[-1]["event"] == "completed" and updates[-1]["batch"]["done"] == 2
    assert all(u["event"] == "progress" for u in updates[:-1])
    assert [u["batch"]["remaining"] for u in updates] == sorted(u["batch"]["remaining"] for u in updates)[
        ::-1
    ]
    status = lw.batch(accepted["batchId"])
    assert status["status"] == "completed"
    assert [r["filename"] for r in status["rows"]] == ["00001.jpg", "b.jpg"]
    assert all(r["url"] for r in status["rows"])


def test_async_sdk_follows_a_batch(env):
    import asyncio

    from loopwind import AsyncLoopwind

    async def follow():
        async with AsyncLoopwind(env["key"], base_url=env["url"]) as lw:
            accepted = await lw.render_batch(env["slug"], csv=b"title\nA\nB\nC\n", format="png")
            return [update async for update in lw.batch_events(accepted["batchId"])]

    updates = asyncio.run(follow())
    assert updates[-1]["event"] == "completed" and updates[-1]["batch"]["done"] == 3
    assert updates[-1]["batch"]["remaining"] == 0


def test_cli_batch_polls_when_the_stream_cannot_be_used(env, capsys, monkeypatch):
    from loopwind.sdk import NotFound

    def no_stream(self, batch_id):
        raise NotFound("No such endpoint.", code="not_found")
        yield  # a generator, as the real one

    monkeypatch.setattr(Loopwind, "batch_events", no_stream)
    (env["tmp"] / "data.csv").write_text("title\n" + "".join(f"Card {i}\n" for i in range(5)))
    code = main(["render", env["slug"], "--batch", "data.csv", "--out", "cards", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert result["status"] == "completed" and result["downloaded"] == 5
    assert len(list((env["tmp"] / "cards").glob("*.png"))) == 5
