"""Videos on the website (issue 21, item 2): a signed-in visitor starts the render from the template
page (billed like POST /api/render/async), follows it on a page that refreshes itself without script,
and the render history links every output while it lives, downloads named after the template."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import Usage
from core.files import file_save
from rendering.models import JobOutput, Render, RenderJob
from templates_registry.services import template_publish
from tests.factories import UserFactory
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def video(official):
    owner, _ = official
    return template_publish(user=owner, files=example_files("promo-video")).template


def complete(job, *, expires_in=timedelta(hours=1), content=b"\x00\x00\x00\x18ftypmp42"):
    name = f"outputs/test/{job.public_id}-abcdef0123.mp4"
    file_save(name, content)
    job.status = RenderJob.Status.COMPLETED
    job.progress = 1
    job.completed_at = timezone.now()
    job.save()
    return JobOutput.objects.create(
        job=job,
        name=name,
        size=len(content),
        content_type="video/mp4",
        expires_at=timezone.now() + expires_in,
    )


def test_starting_a_video_without_script_charges_the_visitor_and_shows_the_job_page(
    video, member, member_client
):
    response = member_client.post("/loopwind/promo-video/render-video", {"headline": "From the site"})
    job = RenderJob.objects.get(user=member)
    assert response.status_code == 302 and response["Location"] == f"/dashboard/renders/{job.public_id}"
    assert job.props["headline"] == "From the site" and job.format == "mp4"
    assert Usage.objects.get(user=member, type=Usage.Type.VIDEO_RENDER).count == 1  # their own quota
    page = member_client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert '<meta http-equiv="refresh" content="2">' in body and "Waiting for a worker" in body
    complete(job)
    body = member_client.get(response["Location"]).content.decode()
    assert "http-equiv" not in body  # done: no more refreshing
    assert 'id="job-video"' in body and 'download="promo-video.mp4"' in body


def test_job_page_is_the_owners_only(video, member, member_client):
    member_client.post("/loopwind/promo-video/render-video", {"headline": "x"})
    job = RenderJob.objects.get(user=member)
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/dashboard/renders/{job.public_id}").status_code == 404
    assert Client().get(f"/dashboard/renders/{job.public_id}").status_code == 302


def test_job_status_json_carries_a_named_download(video, member, member_client):
    member_client.post("/loopwind/promo-video/render-video", {"headline": "x"})
    job = RenderJob.objects.get(user=member)
    assert member_client.get(f"/dashboard/jobs/{job.public_id}").json()["downloadUrl"] is None
    complete(job)
    data = member_client.get(f"/dashboard/jobs/{job.public_id}").json()
    assert data["filename"] == "promo-video.mp4" and data["downloadUrl"] != data["outputUrl"]
    download = member_client.get(data["downloadUrl"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="promo-video.mp4"'


def test_history_links_outputs_while_they_live(video, official, member, member_client):
    owner, templates = official
    member_client.post("/loopwind/promo-video/render-video", {"headline": "x"})
    live = RenderJob.objects.get(user=member)
    complete(live)
    member_client.post("/loopwind/promo-video/render-video", {"headline": "y"})
    expired = RenderJob.objects.exclude(pk=live.pk).get(user=member)
    complete(expired, expires_in=timedelta(seconds=-1))
    og = templates["og-card"]
    file_save("renders/test/abc.png", b"\x89PNG\r\n\x1a\n")
    image = Render.objects.create(
        user=member,
        template=og,
        version=og.latest_version,
        format="png",
        cache_key="k",
        output="renders/test/abc.png",
    )
    body = member_client.get("/dashboard/renders").content.decode()
    assert 'alt="Output of og-card"' in body and 'download="og-card.png"' in body
    assert body.count('<video src="') == 1 and 'download="promo-video.mp4"' in body
    assert "Expired or not ready" in body
    assert f'href="/dashboard/renders/{live.public_id}"' in body
    link = body.split('download="og-card.png"')[0].rsplit('href="', 1)[1].split('"')[0]
    response = member_client.get(link)
    assert response["Content-Disposition"] == 'attachment; filename="og-card.png"'
    assert b"abc" not in response["Content-Disposition"].encode()
    Render.objects.filter(pk=image.pk).update(output_deleted_at=timezone.now())
    assert 'download="og-card.png"' not in member_client.get("/dashboard/renders").content.decode()


def test_a_jobs_render_row_links_its_output_only_while_the_job_output_lives(video, member, member_client):
    member_client.post("/loopwind/promo-video/render-video", {"headline": "x"})
    job = RenderJob.objects.get(user=member)
    output = complete(job)
    Render.objects.create(user=member, template=job.template, version=job.version, format="mp4", cache_key="j",
                          output=output.name, source="job")  # fmt: skip
    assert member_client.get("/dashboard/renders").content.decode().count('download="promo-video.mp4"') == 2
    JobOutput.objects.filter(pk=output.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    body = member_client.get("/dashboard/renders").content.decode()
    assert 'download="promo-video.mp4"' not in body and body.count("Expired or not ready") == 2
