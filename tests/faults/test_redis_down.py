"""Redis (cache, rate limits and the job queue) stopped for 30 s with jobs queued."""

import time

from rendering.models import JobOutput, RenderJob
from tests.faults.conftest import Site, assert_clean_error, manage, site_env

OUTAGE_SECONDS = 30


def test_redis_down_for_30_seconds_with_jobs_queued(account, processes, _media):
    redis = processes.redis()
    env = site_env(media_root=_media, redis_url=redis.url)
    web = processes.web(env)
    site = Site(web.url, account["key"], account["user"].username)
    env["SITE_URL"] = web.url
    worker = processes.worker(env)

    # One video keeps the worker busy while six image jobs wait in the queue behind it.
    video = site.submit(template=f"{site.username}/promo-video", props={"headline": "Outage"}, format="mp4")
    accepted = [video.json()["jobId"]]
    accepted += [site.submit(props={"title": f"queued {n}"}).json()["jobId"] for n in range(6)]
    assert site.render("before the outage").status_code == 200

    redis.stop()
    outage_started = time.monotonic()
    sync_ok, refused = 0, 0
    while time.monotonic() - outage_started < OUTAGE_SECONDS:
        rendered = site.render(f"during the outage {sync_ok}")
        assert rendered.status_code == 200, rendered.text
        assert rendered.content[:4] == b"\x89PNG"
        sync_ok += 1
        assert_clean_error(site.submit(expect=None), 503, "queue_unavailable")
        refused += 1
        assert site.job(accepted[-1])["status"] in ("queued", "processing", "completed")
        time.sleep(0.5)
    assert sync_ok >= 10 and refused >= 10
    # a refused submission left nothing behind: no job row, no quota spent
    assert RenderJob.objects.count() == len(accepted)

    redis.start()  # same port, same append-only file: the queue comes back with its messages
    back = time.monotonic()
    done = site.wait_final(accepted, timeout=120, log=worker.log_path)
    recovered_in = time.monotonic() - back
    assert {status["status"] for status in done.values()} == {"completed"}, done
    assert JobOutput.objects.filter(job__public_id__in=accepted).count() == len(accepted)
    for job in RenderJob.objects.filter(public_id__in=accepted):
        assert job.attempts >= 1
    # the same web and worker processes carry on: nothing was restarted
    assert worker.process.poll() is None and web.running
    after = site.submit(props={"title": "after the outage"}).json()["jobId"]
    assert site.wait_final([after], timeout=60)[after]["status"] == "completed"
    print(f"outage {OUTAGE_SECONDS} s: {sync_ok} sync renders served, {refused} submissions refused "
          f"with 503; {len(accepted)} queued jobs final {recovered_in:.1f} s after Redis returned")  # fmt: skip


def test_jobs_lost_with_an_unpersisted_redis_are_sent_again(account, processes, _media):
    """Redis restarted without its append-only file loses the queue; the jobs are still in the
    database, and the stale-job sweep (hourly in the worker, or `manage.py requeue_stale_jobs`)
    sends them again."""
    redis = processes.redis(persist=False)
    env = site_env(media_root=_media, redis_url=redis.url)
    web = processes.web(env)
    env["SITE_URL"] = web.url
    site = Site(web.url, account["key"], account["user"].username)
    accepted = [site.submit(props={"title": f"lost {n}"}).json()["jobId"] for n in range(3)]
    # no worker yet: the messages wait in Redis, so the sweep leaves them there
    swept = manage(env, "requeue_stale_jobs", "--older-than", "0")
    assert "Requeued 0 jobs" in swept and "3 more are still in the broker's queue" in swept, swept
    redis.stop()
    redis.start()  # empty: the three messages are gone
    worker = processes.worker(env)
    time.sleep(3)
    assert {site.job(job_id)["status"] for job_id in accepted} == {"queued"}

    swept = manage(env, "requeue_stale_jobs", "--older-than", "0")
    assert "Requeued 3 jobs" in swept and "0 more are still" in swept, swept
    done = site.wait_final(accepted, timeout=60, log=worker.log_path)
    assert {status["status"] for status in done.values()} == {"completed"}
    assert JobOutput.objects.filter(job__public_id__in=accepted).count() == 3
