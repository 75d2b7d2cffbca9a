"""Remote video renders from the installed CLI with a real Dramatiq worker: progress in frames, the
output downloaded, and ctrl-c cancelling the job on the server."""

import json
import signal
import time

import pytest
import redis
import requests

from tests.cli.helpers import Cli, api_key, end_other_db_sessions, register
from tests.rendering.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def env(live_server, settings, tmp_path, _media, loopwind_exe):
    settings.SITE_URL = live_server.url
    broker = redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL)
    for key in broker.scan_iter("dramatiq:*"):
        broker.delete(key)
    account = register(live_server.url, "video@example.com", plan="pro")
    key = api_key(live_server.url, account["token"])["key"]
    (tmp_path / "work").mkdir()
    cli = Cli(
        loopwind_exe, url=live_server.url, home=tmp_path / ".loopwind", cwd=tmp_path / "work", api_key=key
    )
    worker = Worker(media_root=str(_media), site_url=live_server.url, log=tmp_path / "worker.log")
    yield {"cli": cli, "user": account["username"], "key": key, "url": live_server.url}
    worker.stop()
    end_other_db_sessions()


def test_remote_video_with_progress_then_ctrl_c_cancels(env):
    cli, user = env["cli"], env["user"]
    cli("init", "--video", "clip")
    cli("publish", "clip")
    result = cli(
        "render", f"{user}/clip", "--remote", "--prop", "title=Launch", "--out", "clip.mp4", timeout=180
    )
    assert "frames)" in result.stderr and "Job job_" in result.stderr, result.stderr
    assert "Output URL: " in result.stdout
    assert (cli.cwd / "clip.mp4").read_bytes()[4:8] == b"ftyp"

    # a long video, interrupted: the CLI cancels the job before exiting with 130
    manifest = json.loads((cli.cwd / "clip" / "loopwind.json").read_text())
    manifest["video"] = {"fps": 30, "duration": 60}
    (cli.cwd / "clip" / "loopwind.json").write_text(json.dumps(manifest))
    cli("publish", "clip")
    process = cli.popen("render", "clip", "--remote", "--format", "gif", "--prop", "title=Long")
    job_id = None
    while job_id is None:
        line = process.stderr.readline()
        assert line, process.communicate()
        if line.startswith("Job "):
            job_id = line.split()[1]
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"job {job_id} cancelled" in stderr
    status = requests.get(
        f"{env['url']}/api/render/{job_id}", headers={"Authorization": f"Bearer {env['key']}"}, timeout=10
    ).json()
    assert status["status"] == "cancelled", status
