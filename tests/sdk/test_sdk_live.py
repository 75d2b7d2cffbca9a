"""The SDK against a live server: templates, renders, signed URLs, jobs (a real worker), typed errors,
rate limits; the sync and the async client."""

import asyncio
import io
import zipfile

import pytest
import redis
import requests

from loopwind import AsyncLoopwind, Loopwind
from loopwind.sdk import (
    AuthError,
    BadRequest,
    Conflict,
    JobCancelled,
    LoopwindError,
    NotFound,
    PermissionDenied,
    RateLimited,
    RenderFailed,
)
from tests.cli.helpers import api_key, end_other_db_sessions
from tests.rendering.worker import Worker
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def worker(live_server, settings, tmp_path, _media):
    broker = redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL)
    for key in broker.scan_iter("dramatiq:*"):
        broker.delete(key)
    process = Worker(media_root=str(_media), site_url=live_server.url, log=tmp_path / "worker.log")
    yield process
    process.stop()
    end_other_db_sessions()


def test_sync_client(account):
    user = account["username"]
    with Loopwind(api_key=account["key"], base_url=account["url"]) as lw:
        assert lw.me()["email"] == "sdk@example.com"
        page = lw.templates.list(type="image")
        assert [t["slug"] for t in page["templates"]] == [f"{user}/og-card"] and page["total"] == 1
        assert [t["slug"] for t in lw.templates.search("promo")] == [f"{user}/promo-video"]
        detail = lw.templates.get(f"{user}/og-card")
        assert {f["path"] for f in detail["files"]} == set(example_files("og-card"))
        assert [v["version"] for v in lw.templates.versions(f"{user}/og-card")] == ["1.0.0"]
        with zipfile.ZipFile(io.BytesIO(lw.templates.download(f"{user}/og-card"))) as bundle:
            assert "loopwind.json" in bundle.namelist()

        png = lw.render(f"{user}/og-card", props={"title": "SDK"}, format="png")
        assert png[:8] == PNG
        assert lw.render(f"{user}/og-card", props={"title": "SDK"}, format="webp")[8:12] == b"WEBP"
        url = lw.sign_url(f"{user}/og-card", props={"title": "Signed"})
        assert requests.get(url, timeout=30).content[:8] == PNG

        published = lw.templates.publish(example_files("quote-card"), version="2.0.0", tags=["sdk"])
        assert published["version"] == "2.0.0"
        with pytest.raises(Conflict) as conflict:
            lw.templates.publish(example_files("quote-card"), version="2.0.0")
        assert conflict.value.status == 409 and conflict.value.code == "version_exists"
        # a new version of a private template, published without saying private, stays private
        lw.templates.publish(example_files("quote-card"), name="secret-quote", private=True)
        lw.templates.publish(example_files("quote-card"), name="secret-quote")
        assert lw.templates.get(f"{user}/secret-quote")["private"] is True
        assert (
            requests.get(f"{account['url']}/api/templates/{user}/secret-quote", timeout=10).status_code == 404
        )

        with pytest.raises(NotFound) as missing:
            lw.templates.get(f"{user}/nope")
        assert missing.value.status == 404 and missing.value.message
        with pytest.raises(BadRequest) as bad:
            lw.render(f"{user}/og-card", props={"title": "x", "unknown": 1})
        assert "unknown" in str(bad.value.details) or "unknown" in bad.value.message
        with pytest.raises(ValueError):
            lw.templates.get("not-a-slug")

        # a queued job cancelled (no worker runs in this test)
        job = lw.render_video(f"{user}/promo-video", props={"headline": "Go"})
        assert job.id.startswith("job_") and job.status == "queued"
        job.cancel()
        assert job.refresh().status == "cancelled"
        with pytest.raises(JobCancelled):
            job.wait(timeout=5)

    with (
        pytest.raises(AuthError) as refused,
        Loopwind(api_key="lw_live_wrong", base_url=account["url"]) as lw,
    ):
        lw.me()
    assert refused.value.status == 401
    read_only = api_key(account["url"], account["token"], scopes=["templates:read"])["key"]
    with pytest.raises(PermissionDenied), Loopwind(api_key=read_only, base_url=account["url"]) as lw:
        lw.render(f"{user}/og-card", props={"title": "x"})


def test_video_job_waits_with_progress(account, worker):
    user = account["username"]
    seen = []
    with Loopwind(api_key=account["key"], base_url=account["url"]) as lw:
        job = lw.render_video(f"{user}/promo-video", props={"headline": "Launch"}, format="mp4")
        job.wait(timeout=120, on_progress=lambda j: seen.append((j.status, j.current_frame, j.total_frames)))
        assert job.status == "completed" and job.output_url and job.progress == 1
        assert job.download()[4:8] == b"ftyp"
        assert seen[-1] == ("completed", 90, 90)
        assert lw.job(job.id).status == "completed"

        broken = lw.render_video(f"{user}/promo-video", props={"headline": "x"}, format="mp4")
        broken.data["status"] = "failed"  # a failed job raises RenderFailed from wait()
        broken.data["error"] = {"code": "render_failed", "message": "boom"}
        with pytest.raises(RenderFailed, match="boom"):
            broken.wait(timeout=1)


def test_async_client(account, worker):
    user = account["username"]

    async def main():
        async with AsyncLoopwind(api_key=account["key"], base_url=account["url"]) as lw:
            me, found = await asyncio.gather(lw.me(), lw.templates.search("og"))
            assert me["username"] == user and found[0]["slug"] == f"{user}/og-card"
            png = await lw.render(f"{user}/og-card", props={"title": "Async"})
            assert png[:8] == PNG
            assert (await lw.sign_url(f"{user}/og-card", props={"title": "A"})).startswith(account["url"])
            job = await lw.render_video(f"{user}/promo-video", props={"headline": "Async"}, format="gif")
            await job.wait(timeout=120)
            assert (await job.download())[:6] == b"GIF89a"
            with pytest.raises(NotFound):
                await lw.templates.versions(f"{user}/missing")

    asyncio.run(main())


def test_rate_limited_after_bounded_retries(account, settings):
    settings.RATE_LIMITS_ENABLED = True
    from accounts.models import User

    User.objects.filter(pk=account["user"].pk).update(plan="free")  # 10 requests a minute
    with Loopwind(api_key=account["key"], base_url=account["url"], max_retry_wait=2) as lw:
        with pytest.raises(RateLimited) as limited:
            # a fixed window: the 11th call in a minute is refused (21 if the minute turned over); its
            # Retry-After is beyond max_retry_wait, so RateLimited comes at once
            for _ in range(21):
                lw.me()
    assert limited.value.status == 429 and limited.value.code == "rate_limited"
    assert 0 < limited.value.retry_after <= 60


def test_every_other_endpoint(account, worker, settings):
    """The methods issue 13 (16) added, each against the live server (tests/sdk/test_sdk_coverage.py
    checks that every operation of the schema has one)."""
    user = account["username"]
    slug = f"{user}/og-card"
    with Loopwind(api_key=account["key"], base_url=account["url"]) as lw:
        assert lw.update_me(name="Ann", bio="Designs cards")["bio"] == "Designs cards"
        usage = lw.usage()
        assert usage["plan"]["code"] == "pro" and usage["templates"]["used"] == 2
        assert lw.templates.update(slug, description="Cards", tags=["og"])["description"] == "Cards"
        lw.templates.star(slug)
        assert lw.templates.get(slug)["stats"]["stars"] == 1
        lw.templates.unstar(slug)
        assert lw.users.get(user)["username"] == user
        assert {t["slug"] for t in lw.templates.mine()} == {slug, f"{user}/promo-video"}
        lw.templates.publish(example_files("og-card"), version="1.1.0")
        assert lw.templates.deprecate(slug, "1.1.0", "Use 1.0.0")["deprecated"] == "Use 1.0.0"
        assert lw.templates.yank(slug, "1.0.0", reason="broken")["yanked"] is True
        assert lw.templates.yank(slug, "1.0.0", yanked=False)["yanked"] is False
        first = lw.webhooks.secret()["secret"]
        assert lw.webhooks.rotate_secret()["secret"] != first
        assert lw.rotate_signing_secret()["rotatedAt"]
        assert lw.webhooks.deliveries() == []

        job = lw.render_video(f"{user}/promo-video", props={"headline": "Events"}, format="gif")
        events = [(update["event"], update["job"].current_frame) for update in job.events()]
        assert events[-1] == ("completed", 90) and job.status == "completed"
        assert all(name == "progress" for name, _ in events[:-1])

        lw.templates.unpublish(f"{user}/promo-video")
        with pytest.raises(NotFound):
            lw.templates.get(f"{user}/promo-video")

    with Loopwind(base_url=account["url"]) as anonymous:
        session = anonymous.auth_api.register("new@example.com", "a long passphrase nobody guesses 7")
        assert session["user"]["email"] == "new@example.com"
        again = anonymous.auth_api.login("new@example.com", "a long passphrase nobody guesses 7")
        assert anonymous.auth_api.logout(again["refreshToken"]) is None
        with pytest.raises(AuthError):
            anonymous.auth_api.refresh(again["refreshToken"])
    with Loopwind(api_key=account["key"], base_url=account["url"]) as lw, pytest.raises(LoopwindError) as off:
        lw.billing.checkout("business")
    assert off.value.code == "billing_disabled"  # Stripe is tested in tests/billing/test_stripe.py


def test_analytics(account):
    """lw.analytics: the series, the CSV and the error log of this account's own calls."""
    from analytics.collector import collector
    from analytics.services import analytics_flush

    collector.take()  # the fixture's own calls (publishing the examples)
    with Loopwind(api_key=account["key"], base_url=account["url"]) as lw:
        lw.usage()
        with pytest.raises(NotFound):
            lw.templates.get(f"{account['username']}/no-such-card")
        collector.flush()
        analytics_flush()
        report = lw.analytics.get(group_by="status")
        assert report["interval"] == "day" and report["totals"]["requests"] == 2
        assert {s["group"]: s["totals"]["requests"] for s in report["series"]} == {"2xx": 1, "4xx": 1}
        assert lw.analytics.csv(group_by="route").startswith(b"start,group,requests")
        [error] = lw.analytics.errors()
        assert error["status"] == 404 and error["code"] == "not_found" and error["requestId"]
        with pytest.raises(PermissionDenied):  # a Free account sees days only
            lw.analytics.get(interval="minute")
