"""Issue 21 in a real browser: a video rendered and played from the website (with script: the
template page follows the job; without: the job page refreshes itself), its history row and named
download, and the account settings (profile with avatar, email change through the mailed link,
password change, sign out everywhere)."""

import io
import re

import dramatiq
import pytest
from django.core import mail
from PIL import Image

from accounts.models import User
from tests.browser.axe import axe_violations
from tests.browser.conftest import Console
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(site):
    """The render queue's worker, in this process so that it shares the test's storage settings."""
    broker = dramatiq.get_broker()
    for queue in ("render", "render-priority"):
        broker.flush(queue) if hasattr(broker, "flush") else None
    worker = dramatiq.Worker(broker, queues={"render", "render-priority"}, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def video_site(site):
    from templates_registry.services import template_publish
    from tests.templates_registry.helpers import example_files

    owner = User.objects.get(username="loopwind")
    template_publish(user=owner, files=example_files("promo-video"))
    return site


def signed_in(browser, site, *, email="viewer@example.com", username="viewer", **options):
    User.objects.create_user(email, username, PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(site + "/login")
    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site + "/")
    return context, page


def test_a_video_rendered_and_played_from_the_website(video_site, worker, browser, shots):
    site = video_site
    context, page = signed_in(browser, site)
    console = Console(page)
    page.goto(site + "/loopwind/promo-video")
    page.get_by_label("headline", exact=True).fill("Made on the website")
    page.get_by_role("button", name="Render video (MP4)").click()
    result = page.locator("#video-result")
    result.wait_for(state="visible", timeout=120_000)
    assert "Done in" in page.locator("#video-status").inner_text()
    download = page.locator("#video-download")
    assert download.get_attribute("download") == "promo-video.mp4"
    assert download.inner_text() == "Download promo-video.mp4"
    played = page.evaluate(
        """async () => {
            const v = document.getElementById("video-result");
            if (v.readyState < 2) await new Promise(r => v.addEventListener("loadeddata", r, {once: true}));
            v.muted = true;
            await v.play();
            await new Promise(r => setTimeout(r, 400));
            return {duration: v.duration, time: v.currentTime, width: v.videoWidth};
        }"""
    )
    assert played["duration"] > 0 and played["time"] > 0 and played["width"] > 0, played
    shots(page, "video-rendered-on-the-site")
    assert axe_violations(page) == []  # the video template page with its finished job

    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == "promo-video.mp4"

    page.goto(site + "/dashboard/renders")
    row = page.locator("tbody tr").filter(has_text="promo-video").first
    assert row.locator("video").count() == 1
    assert row.get_by_role("link", name="Download promo-video.mp4").is_visible()
    shots(page, "render-history-with-outputs")
    assert axe_violations(page) == []
    page.locator("tbody tr a[href^='/dashboard/renders/job_']").first.click()
    page.locator("#job-video").wait_for()
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # done: no more refreshing
    assert axe_violations(page) == []
    assert console.problems() == []
    context.close()


def test_without_script_the_job_page_refreshes_until_the_video_plays(video_site, worker, browser, shots):
    site = video_site
    context, page = signed_in(browser, site, java_script_enabled=False)
    page.goto(site + "/loopwind/promo-video")
    page.get_by_label("headline", exact=True).fill("No script needed")
    page.get_by_role("button", name="Render video (MP4)").click()
    page.wait_for_url(re.compile(r".*/dashboard/renders/job_\w+"))
    assert page.locator('meta[http-equiv="refresh"]').count() in (0, 1)
    page.locator("#job-video").wait_for(state="attached", timeout=120_000)  # after a few refreshes
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert page.locator("#job-download").get_attribute("download") == "promo-video.mp4"
    shots(page, "video-job-page-no-script")
    context.close()


def avatar_png(path):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "#f59e0b").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_settings_changes(site, browser, shots, tmp_path, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    context, page = signed_in(browser, site)
    console = Console(page)
    other, other_page = None, None
    page.goto(site + "/dashboard")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Settings").click()
    page.wait_for_url(site + "/dashboard/settings")

    # Profile: name, bio and an avatar, shown on the public profile
    page.get_by_label("Name").fill("Viewer Person")
    page.get_by_label("Bio").fill("Renders cards from the website.")
    page.get_by_label("Avatar").set_input_files(str(avatar_png(tmp_path / "me.png")))
    page.get_by_role("button", name="Save profile").click()
    assert "Your profile is saved." in page.locator(".messages").inner_text()
    assert page.locator("img[alt='Your current avatar']").evaluate("i => i.naturalWidth") == 64
    page.goto(site + "/viewer")
    assert "Viewer Person" in page.content() and "Renders cards from the website." in page.content()
    page.goto(site + "/dashboard/settings")

    # Email: changes only when the link mailed to the new address is opened
    page.get_by_label("New email").fill("moved@example.com")
    page.locator("#email-form").get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Send confirmation link").click()
    assert "We sent a confirmation link to moved@example.com" in page.locator(".messages").inner_text()
    assert page.locator("#current-email").inner_text() == "viewer@example.com"
    link = re.search(r"https?://\S+/account/email/\S+", mail.outbox[-1].body).group(0)
    assert mail.outbox[-1].to == ["moved@example.com"]
    page.goto(link)
    assert "Your email is now moved@example.com." in page.locator(".messages").inner_text()
    assert page.locator("#current-email").inner_text() == "moved@example.com"

    # Password: this session stays, another browser is signed out
    other = browser.new_context()
    other_page = other.new_page()
    other_page.goto(site + "/login")
    other_page.get_by_label("Email or username").fill("viewer")
    other_page.get_by_label("Password").fill(PASSWORD)
    other_page.get_by_role("button", name="Sign in").click()
    other_page.wait_for_url(site + "/")
    page.locator("#password-form").get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("another long passphrase 81")
    page.get_by_label("New password confirmation").fill("another long passphrase 81")
    page.get_by_role("button", name="Change password").click()
    assert "Your password is changed" in page.locator(".messages").inner_text()
    assert page.url == site + "/dashboard/settings"
    other_page.goto(site + "/dashboard")
    assert "/login" in other_page.url
    shots(page, "settings-after-changes", full_page=True)

    # Sign out everywhere else: the other browser, signed in again, is signed out; this one stays
    other_page.get_by_label("Email or username").fill("viewer")
    other_page.get_by_label("Password").fill("another long passphrase 81")
    other_page.get_by_role("button", name="Sign in").click()
    other_page.wait_for_url(site + "/dashboard")
    page.get_by_role("button", name="Sign out everywhere else").click()
    assert "Signed out everywhere else" in page.locator(".messages").inner_text()
    other_page.goto(site + "/dashboard/keys")
    assert "/login" in other_page.url
    page.goto(site + "/dashboard/keys")
    assert page.url == site + "/dashboard/keys"
    assert console.problems() == []
    other.close()
    context.close()
