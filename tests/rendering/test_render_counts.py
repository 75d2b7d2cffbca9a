"""Issue 13 (13): a template's ``renders`` counts every completed render once (sync cache misses,
signed URLs, the website's try-it and async jobs, which were never counted), and without the hot
row: the Render rows are the record and a minute's upkeep adds them up per template."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from rendering.maintenance import render_counts_flush, render_log_flush
from rendering.models import Render, RenderJob
from rendering.worker import render_job_run
from templates_registry.models import Template

pytestmark = pytest.mark.django_db(transaction=True)
NOW = timedelta(0)  # count everything committed, however young


def renders(template) -> int:
    return Template.objects.get(pk=template.pk).renders


def job(user, template, **props):
    return RenderJob.objects.create(user=user, template=template, version=template.latest_version, format="png",
                                    props={"title": "Job", **props})  # fmt: skip


def test_every_completed_render_counts_once(user_api, user, published):
    og = published["og-card"]
    slug = f"{user.username}/og-card"
    for title in ("a", "b", "a"):  # two misses, one hit
        assert (
            user_api.post(
                "/api/render", {"template": slug, "props": {"title": title}}, format="json"
            ).status_code
            == 200
        )
    assert renders(og) == 0  # nothing written on the request path
    assert render_counts_flush(settle=NOW) == 2 and renders(og) == 2
    assert render_counts_flush(settle=NOW) == 0 and renders(og) == 2  # a second flush adds nothing

    completed = job(user, og)
    render_job_run(completed.public_id)
    render_job_run(completed.public_id)  # delivered twice (at least once): completes once
    assert RenderJob.objects.get(pk=completed.pk).status == "completed"
    assert Render.objects.filter(source="job").count() == 1
    failed = job(user, og, title=5)  # refused by the engine: no render was made
    render_job_run(failed.public_id)
    assert render_counts_flush(settle=NOW) == 1 and renders(og) == 3
    assert renders(published["quote-card"]) == 0


def test_young_renders_wait_for_the_next_flush(user_api, user, published):
    """A render still committing must not be skipped: the flush leaves the last seconds' rows."""
    user_api.post(
        "/api/render", {"template": f"{user.username}/og-card", "props": {"title": "x"}}, format="json"
    )
    assert render_counts_flush() == 0 and renders(published["og-card"]) == 0
    assert render_counts_flush(settle=NOW) == 1


def test_concurrent_flushes_count_each_render_once(user_api, user, published):
    slug = f"{user.username}/og-card"
    for n in range(5):
        user_api.post("/api/render", {"template": slug, "props": {"title": f"t{n}"}}, format="json")
    counted, errors = [], []

    def flush():
        try:
            counted.append(render_counts_flush(settle=NOW))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=flush) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sorted(counted) == [0, 0, 0, 5]
    assert renders(published["og-card"]) == 5


def test_cached_render_outputs_are_deleted_when_the_cache_forgets_them(
    user_api, user, published, settings, _media
):
    """Issue 22 (14): sync render outputs under renders/ were never deleted. Once RENDER_CACHE_TTL
    has passed since a render (hits do not extend it), its file goes, unless a newer render of the
    same key, still cached, shares it."""
    from django.core.management import call_command
    from django.utils import timezone

    from rendering.maintenance import outputs_cleanup

    slug = f"{user.username}/og-card"
    for title in ("old", "again"):
        user_api.post("/api/render", {"template": slug, "props": {"title": title}}, format="json")
    render_log_flush()
    old, again = Render.objects.order_by("pk")
    past = timezone.now() - timedelta(seconds=settings.RENDER_CACHE_TTL + 60)
    Render.objects.filter(pk__in=[old.pk, again.pk]).update(created_at=past)
    # the same image rendered again recently (its cache entry expired and came back): the file stays
    Render.objects.create(user=user, template=again.template, version=again.version, format="png",
                          cache_key=again.cache_key, output=again.output, size=again.size)  # fmt: skip
    assert (_media / old.output).exists() and (_media / again.output).exists()
    counts = outputs_cleanup()
    assert counts["renders"] == 1
    assert not (_media / old.output).exists() and (_media / again.output).exists()
    assert Render.objects.get(pk=old.pk).output_deleted_at is not None  # the log row stays
    assert Render.objects.get(pk=again.pk).output_deleted_at is None
    call_command("cleanup_outputs")  # a second run finds nothing more
    assert outputs_cleanup()["renders"] == 0
