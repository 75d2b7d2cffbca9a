"""The S3 server killed while a job renders or stores its output."""

import time

import pytest
import requests

from rendering.models import JobOutput, RenderJob
from templates_registry.services import template_publish
from tests.conftest import switch_to_s3
from tests.faults.conftest import Site, assert_clean_error, site_env
from tests.servers import MotoServer, wait_until
from tests.templates_registry.helpers import example_files


@pytest.fixture
def s3(processes, tmp_path, settings):
    """A private moto server and bucket; this process (which publishes) and the site's
    processes all store files there."""
    moto = processes.add(MotoServer(tmp_path))
    moto.start()
    _, bucket = switch_to_s3(settings, moto.url)
    return moto, bucket


@pytest.fixture
def stack(account, processes, s3, _media):
    moto, bucket = s3
    for name in ("og-card", "promo-video"):  # the account's templates, now on S3
        template_publish(user=account["user"], files=example_files(name), name=f"s3-{name}")
    redis = processes.redis()
    env = site_env(media_root=_media, redis_url=redis.url, **moto.env_for(bucket))
    web = processes.web(env)
    env["SITE_URL"] = web.url
    return {"site": Site(web.url, account["key"], account["user"].username), "env": env, "moto": moto,
            "bucket": bucket}  # fmt: skip


def output_keys(moto, bucket) -> list[str]:
    listing = moto.client().list_objects_v2(Bucket=bucket, Prefix="outputs/")
    return [item["Key"] for item in listing.get("Contents", [])]


def test_s3_down_during_a_video_then_back(stack, processes):
    site, moto, bucket = stack["site"], stack["moto"], stack["bucket"]
    worker = processes.worker(stack["env"])
    job_id = site.submit(
        template=f"{site.username}/s3-promo-video", props={"headline": "S3 outage"}, format="mp4"
    ).json()["jobId"]
    wait_until(
        lambda: (job := RenderJob.objects.get(public_id=job_id)).status == "processing" and job.current_frame > 0,
        timeout=180, interval=0.05, what="video rendering",
    )  # fmt: skip
    objects = moto.snapshot(bucket)
    moto.kill()
    # the render finishes, storing the output fails, the job is retried. The render goes on for as long
    # as the machine makes it (a minute and more with both cores busy): the wait is for the condition.
    try:
        wait_until(lambda: RenderJob.objects.get(public_id=job_id).attempts >= 2, timeout=240, what="a retry")
    except AssertionError as exc:  # once in a busy run (issue 23): what the worker was doing meanwhile
        job = RenderJob.objects.get(public_id=job_id)
        tail = worker.log_path.read_text(errors="replace")[-4000:]
        raise AssertionError(f"{exc}; job {job.status}, attempt {job.attempts}, frame {job.current_frame}; "
                             f"worker log:\n{tail}") from None  # fmt: skip
    assert RenderJob.objects.get(public_id=job_id).status == "processing"
    assert not JobOutput.objects.filter(job__public_id=job_id).exists()

    moto.start()  # S3 is back, with its objects
    moto.restore(bucket, objects)
    done = site.wait_final([job_id], timeout=120, log=worker.log_path)[job_id]
    assert done["status"] == "completed", done
    assert 2 <= RenderJob.objects.get(public_id=job_id).attempts <= 5
    assert JobOutput.objects.filter(job__public_id=job_id).count() == 1
    assert requests.get(done["outputUrl"], timeout=10).content[4:8] == b"ftyp"
    assert [key for key in output_keys(moto, bucket) if job_id in key] == [
        JobOutput.objects.get(job__public_id=job_id).name
    ]


def test_s3_down_for_good_fails_the_job_with_a_clear_error(stack, processes):
    site, moto = stack["site"], stack["moto"]
    # accepted while S3 is up (props are checked against the template), then S3 goes away
    # before any worker runs
    job_id = site.submit(template=f"{site.username}/s3-og-card", props={"title": "never stored"}).json()[
        "jobId"
    ]
    moto.kill()
    started = time.monotonic()
    worker = processes.worker(stack["env"])
    done = site.wait_final([job_id], timeout=150, log=worker.log_path)[job_id]
    assert done["status"] == "failed", done
    assert done["error"]["code"] == "storage_unavailable" and "storage" in done["error"]["message"].lower()
    job = RenderJob.objects.get(public_id=job_id)
    assert job.attempts == 5 and job.completed_at is not None
    assert not JobOutput.objects.filter(job=job).exists()  # nothing orphaned in the database
    print(f"failed after {job.attempts} attempts in {time.monotonic() - started:.1f} s")

    # a request that needs S3 answers 503 storage_unavailable, not 500
    response = site.http.get(f"{site.url}/api/templates/{site.username}/s3-og-card/download", timeout=60)
    assert_clean_error(response, 503, "storage_unavailable")


def test_with_s3_down_a_render_answers_and_its_repeats_are_hits(stack, processes):
    """A sync render's output is stored once its response has gone out, and its render cache entry
    carries the bytes until then (rendering.services.render_image). With S3 down the render still
    answers, and a repeat in the next minute is a hit (not a second render, charged again) though
    nothing could be stored; once S3 is back a render is stored as usual."""
    site, moto, bucket = stack["site"], stack["moto"], stack["bucket"]
    web = processes.web(stack["env"], workers=1)  # one process, whose bundle cache is warmed here

    def render(title: str) -> requests.Response:
        body = {"template": f"{site.username}/s3-og-card", "props": {"title": title}}
        return site.http.post(f"{web.url}/api/render", json=body, timeout=60)

    assert render("warm").status_code == 200  # the template's files are in the process, not just S3
    objects = moto.snapshot(bucket)
    moto.kill()
    first = render("S3 is down")
    assert first.status_code == 200 and first.headers["X-Render-Cache"] == "MISS", first.text[:300]
    again = render("S3 is down")
    assert again.status_code == 200 and again.headers["X-Render-Cache"] == "HIT"
    assert again.content == first.content and again.headers["X-Render-Id"] == first.headers["X-Render-Id"]

    moto.start()
    moto.restore(bucket, objects)
    stored = render("S3 is back")
    assert stored.status_code == 200 and stored.headers["X-Render-Cache"] == "MISS"
    name = f"{stored.headers['ETag'].strip(chr(34))}.png"
    wait_until(lambda: any(key.endswith(name) for key in moto.snapshot(bucket)), timeout=30,
               what="the output stored after the response")  # fmt: skip


def test_s3_that_stops_answering_is_a_503_within_seconds(stack, processes):
    """An S3 endpoint that accepts connections and never answers (a black-holed load balancer, a
    hung proxy) must not hold a request for botocore's default 60 s × 5 attempts: the site's S3
    client has bounded timeouts (S3_CONNECT_TIMEOUT, S3_READ_TIMEOUT, S3_MAX_ATTEMPTS)."""
    import socket

    silent = socket.create_server(("127.0.0.1", 0), backlog=64)  # the kernel accepts; nobody reads
    try:
        env = {**stack["env"], "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
               "S3_CONNECT_TIMEOUT": "1", "S3_READ_TIMEOUT": "1", "S3_MAX_ATTEMPTS": "2"}  # fmt: skip
        web = processes.web(env)
        site = stack["site"]
        started = time.monotonic()
        response = site.http.get(f"{web.url}/api/templates/{site.username}/s3-og-card/download", timeout=120)
        waited = time.monotonic() - started
        assert_clean_error(response, 503, "storage_unavailable")
        # each call gives up after 2 attempts of 1 s (and a jittered backoff); the default would be
        # 5 minutes and gunicorn's 60 s timeout would kill the worker first
        assert waited < 45, f"answered after {waited:.1f} s"
        print(f"503 after {waited:.1f} s")
    finally:
        silent.close()
