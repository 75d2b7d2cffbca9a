"""Publishing the examples over real HTTP (live_server + requests), in files mode and zip mode,
on the filesystem and on S3 (a moto server): stored, found, read, downloaded, starred."""

import io
import time
import zipfile

import dramatiq
import pytest
import requests

from tests.templates_registry.helpers import example_files, zip_bytes

PASSWORD = "a long passphrase nobody guesses 7"


def _session(live_server, email):
    body = requests.post(
        f"{live_server.url}/api/auth/register", json={"email": email, "password": PASSWORD}, timeout=10
    ).json()
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {body['token']}"
    return http, body["user"]["username"]


def _publish_all(live_server, http):
    for name, mode in (("og-card", "files"), ("quote-card", "zip"), ("promo-video", "files")):
        files = example_files(name)
        if mode == "files":
            parts = [("files", (path, content)) for path, content in files.items()]
        else:
            parts = [("bundle", (f"{name}.zip", zip_bytes(files, root=f"{name}/")))]
        response = http.post(
            f"{live_server.url}/api/templates/publish", files=parts, data={"tags": "demo"}, timeout=60
        )
        assert response.status_code == 201, response.text


def _when_the_video_preview_is_rendered(live_server, http, username, timeout=180):
    """A video's MP4 preview comes from the worker after the publish (the `queue_worker` fixture):
    its detail has no previewVideoUrl until then."""
    deadline = time.monotonic() + timeout
    while True:
        video = http.get(f"{live_server.url}/api/templates/{username}/promo-video", timeout=10).json()
        if video["previewVideoUrl"] or time.monotonic() > deadline:
            assert video["previewVideoUrl"], "the worker rendered no MP4 preview"
            return video
        time.sleep(0.2)


def _check_everything(live_server, http, username):
    found = http.get(f"{live_server.url}/api/templates", params={"q": "quote"}, timeout=10).json()
    assert [t["slug"] for t in found["templates"]] == [f"{username}/quote-card"]
    detail = http.get(f"{live_server.url}/api/templates/{username}/og-card", timeout=10).json()
    for file in detail["files"]:
        content = requests.get(file["url"], timeout=10)
        assert content.status_code == 200, file
        assert content.content == example_files("og-card")[file["path"]]
    preview = requests.get(detail["previewUrl"], timeout=10)
    assert preview.status_code == 200 and preview.content[:8] == b"\x89PNG\r\n\x1a\n"
    video = _when_the_video_preview_is_rendered(live_server, http, username)
    assert requests.get(video["previewVideoUrl"], timeout=10).content[4:8] == b"ftyp"

    download = http.get(f"{live_server.url}/api/templates/{username}/quote-card/download", timeout=10)
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert sorted(archive.namelist()) == sorted(example_files("quote-card"))
    star = http.post(f"{live_server.url}/api/templates/{username}/quote-card/star", timeout=10)
    assert star.status_code == 201 and star.json()["stars"] == 1


@pytest.fixture(autouse=True)
def _site_url(live_server, settings):
    settings.SITE_URL = live_server.url  # signed file URLs point at this server


@pytest.fixture(autouse=True)
def queue_worker():
    """The render queue's worker, in this process so that it shares the test's storage settings."""
    worker = dramatiq.Worker(dramatiq.get_broker(), queues={"render"}, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


@pytest.mark.django_db(transaction=True)
def test_publish_and_discover_on_the_filesystem(live_server):
    http, username = _session(live_server, "fs@example.com")
    _publish_all(live_server, http)
    _check_everything(live_server, http, username)


@pytest.mark.django_db(transaction=True)
def test_publish_and_discover_on_s3(live_server, s3_storage):
    client, bucket = s3_storage
    http, username = _session(live_server, "s3@example.com")
    _publish_all(live_server, http)
    _check_everything(live_server, http, username)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert any(k.startswith("blobs/") for k in keys) and any(k.startswith("previews/") for k in keys)
    detail = http.get(f"{live_server.url}/api/templates/{username}/og-card", timeout=10).json()
    assert "X-Amz-Signature=" in detail["previewUrl"]  # presigned, expiring


@pytest.mark.django_db(transaction=True)
def test_private_template_is_hidden_over_http(live_server):
    owner, owner_name = _session(live_server, "owner@example.com")
    from accounts.models import User

    User.objects.filter(username=owner_name).update(plan="pro")
    parts = [("files", (p, c)) for p, c in example_files("og-card").items()]
    response = owner.post(
        f"{live_server.url}/api/templates/publish",
        files=parts,
        data={"private": "true", "name": "hidden"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    stranger, _ = _session(live_server, "stranger@example.com")
    url = f"{live_server.url}/api/templates/{owner_name}/hidden"
    assert stranger.get(url, timeout=10).status_code == 404
    assert requests.get(url, timeout=10).status_code == 404
    assert owner.get(url, timeout=10).status_code == 200
