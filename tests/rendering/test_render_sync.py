"""POST /api/render: images in every format, the render cache, and every way to get it wrong."""

import contextlib
import json
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage

from accounts.services import api_key_create
from rendering.maintenance import render_counts_flush
from rendering.models import Render
from tests.conftest import assert_error, bearer

pytestmark = pytest.mark.django_db


def render(client, template, **body):
    return client.post("/api/render", {"template": template, **body}, format="json")


def test_png_render_then_cache_hit(user_api, user, published):
    slug = f"{user.username}/og-card"
    first = render(user_api, slug, props={"title": "Hello World", "subtitle": "My awesome post"})
    assert first.status_code == 200, first.content[:300]
    assert first["Content-Type"] == "image/png" and first.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert first["X-Render-Cache"] == "MISS"
    assert first["X-Render-Id"].startswith("rnd_")
    assert first["X-Render-Duration"].endswith("ms")
    # same props in another order, with a default spelled out: the same render
    second = render(
        user_api, slug, props={"subtitle": "My awesome post", "title": "Hello World", "accent": "#f59e0b"}
    )
    assert second["X-Render-Cache"] == "HIT"
    assert second.content == first.content and second["X-Render-Id"] == first["X-Render-Id"]
    assert Render.objects.count() == 0  # nothing written on the request path
    render_counts_flush(settle=timedelta(0))  # the worker's minute upkeep (test_render_counts.py)
    assert Render.objects.count() == 1  # one render did work; the hit is not one
    assert published["og-card"].__class__.objects.get(pk=published["og-card"].pk).renders == 1


def test_a_cached_render_needs_no_slot_and_one_whose_file_is_gone_renders_again(user_api, user, published):
    """The render cache's entry and a renders-in-flight slot are asked in one round trip
    (core.inflight, unless_present): a hit takes no slot, so it is answered with every slot busy; an
    entry whose file has gone renders again, holding a slot, and stores the file anew."""
    from billing.plans import plan_limits
    from core import files as stored_files
    from core import inflight
    from rendering import services

    slug = f"{user.username}/og-card"
    first = render(user_api, slug, props={"title": "Slots"})
    assert first["X-Render-Cache"] == "MISS"
    limit = plan_limits(user).renders_in_flight
    with contextlib.ExitStack() as busy:
        for _ in range(limit):
            busy.enter_context(inflight.in_flight(f"renders:user:{user.pk}", limit=limit, seconds=30))
        hit = render(user_api, slug, props={"title": "Slots"})
        assert hit.status_code == 200 and hit["X-Render-Cache"] == "HIT"
        assert_error(render(user_api, slug, props={"title": "Slots, uncached"}), 429, "renders_in_flight")
        name = f"renders/{hit['ETag'].strip(chr(34))[:2]}/{hit['ETag'].strip(chr(34))}.png"
        stored_files.file_delete(name)
        services._outputs.clear()  # this process's copies of served outputs
        assert_error(render(user_api, slug, props={"title": "Slots"}), 429, "renders_in_flight")
    again = render(user_api, slug, props={"title": "Slots"})
    assert again.status_code == 200 and again["X-Render-Cache"] == "MISS"
    assert again.content == first.content and stored_files.file_read(name) == first.content


def _entry(key):
    """The render cache's entry of ``key`` as stored in Redis, and its seconds left."""
    from django.core.cache import cache

    return cache.get(f"render:{key}"), cache.ttl(f"render:{key}")


def test_an_uncached_output_is_stored_after_the_response_and_a_repeat_meanwhile_is_a_hit(user, published):
    """Inside a request (core.afterresponse) the output is stored once the response has gone out; until
    then the render cache's entry carries the bytes, so a repeat (any process: it reads Redis) is a hit
    with the same render id, never a second render and charge. Then the entry names the stored file."""
    from billing.models import Usage
    from core import afterresponse
    from core import files as stored_files
    from rendering import services

    template = published["og-card"]
    kwargs = dict(user=user, template=template, version=template.latest_version, props={"title": "Later"},
                  fmt="png")  # fmt: skip
    with afterresponse.deferred() as pending:
        first = services.render_image(**kwargs)
        assert not first.cache_hit and pending  # handed over: the release's replies, the store
    assert not default_storage.exists(first.output_name)
    entry, ttl = _entry(first.cache_key)
    assert entry["body"] == first.content and 0 < ttl <= services.STORED_WITHIN_SECONDS
    services._outputs.clear()  # as another process would: nothing in memory
    repeat = services.render_image(**kwargs)
    assert repeat.cache_hit and repeat.content == first.content and repeat.render_id == first.render_id
    assert Usage.objects.get(user=user, type="image_render").count == 1

    afterresponse.run(pending)  # the response has gone out
    assert stored_files.file_read(first.output_name) == first.content
    entry, ttl = _entry(first.cache_key)
    assert (
        entry == {"name": first.output_name, "rid": first.render_id} and ttl > services.STORED_WITHIN_SECONDS
    )
    services._outputs.clear()
    assert services.render_image(**kwargs).content == first.content


def test_outside_a_request_or_too_large_to_carry_the_output_is_stored_first(user, published, monkeypatch):
    """A queue worker or a shell has no response to send first; an output larger than the entry may
    carry (STORE_LATER_MAX_BYTES) is stored before the answer, as the caller waits."""
    from core import afterresponse
    from rendering import services

    template = published["og-card"]
    outside = services.render_image(user=user, template=template, version=template.latest_version,
                                     props={"title": "Worker"}, fmt="png")  # fmt: skip
    assert default_storage.exists(outside.output_name) and "body" not in _entry(outside.cache_key)[0]
    monkeypatch.setattr(services, "STORE_LATER_MAX_BYTES", 100)
    with afterresponse.deferred() as pending:
        large = services.render_image(user=user, template=template, version=template.latest_version,
                                       props={"title": "Large"}, fmt="png")  # fmt: skip
        assert default_storage.exists(large.output_name)
    afterresponse.run(pending)  # only the release's replies were left
    assert _entry(large.cache_key)[0] == {"name": large.output_name, "rid": large.render_id}


def test_an_output_storage_refused_is_answered_from_its_entry_until_that_expires(user, published, settings,
                                                                                 tmp_path):  # fmt: skip
    """Storage down after the response (here a media folder that cannot be made: OSError, as a full
    or unmounted disk): the output is not stored, the entry carrying it stays for its short life and
    answers repeats meanwhile; after it the render runs again (nothing names a file that is not there)."""
    from core import afterresponse
    from rendering import services

    template = published["og-card"]
    kwargs = dict(user=user, template=template, version=template.latest_version, props={"title": "No disk"},
                  fmt="png")  # fmt: skip
    services.render_image(**{**kwargs, "props": {"title": "warm"}})  # the bundle is in the render child
    (tmp_path / "not-a-folder").write_text("")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "not-a-folder" / "media")},
    }}  # fmt: skip
    with afterresponse.deferred() as pending:
        first = services.render_image(**kwargs)
    afterresponse.run(pending)
    entry, ttl = _entry(first.cache_key)
    assert entry["body"] == first.content and 0 < ttl <= services.STORED_WITHIN_SECONDS
    services._outputs.clear()
    assert services.render_image(**kwargs).cache_hit


@pytest.mark.parametrize(
    "fmt, content_type, magic",
    [("jpg", "image/jpeg", b"\xff\xd8"), ("webp", "image/webp", b"RIFF"), ("svg", "image/svg+xml", b"<svg"),
     ("pdf", "application/pdf", b"%PDF")],
)  # fmt: skip
def test_other_formats(user_api, user, published, fmt, content_type, magic):
    response = render(user_api, f"{user.username}/og-card", props={"title": "Formats"}, format=fmt)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == content_type
    assert magic in response.content[:200]
    if fmt == "svg":
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"


def test_scale_two_doubles_the_size(user_api, user, published):
    import io

    from PIL import Image

    response = render(user_api, f"{user.username}/og-card", props={"title": "Retina"}, scale=2)
    assert Image.open(io.BytesIO(response.content)).size == (2400, 1260)


def test_by_template_id_and_version(user_api, published):
    template = published["quote-card"]
    response = render(user_api, template.public_id, version="1.0.0", props={"quote": "Less is more."})
    assert response.status_code == 200, response.content[:300]


def test_api_key_needs_render_write(api, user, published):
    _, read_only = api_key_create(user=user, name="ro", scopes=["render:read"])
    assert_error(render(bearer(api, read_only), f"{user.username}/og-card"), 403, "insufficient_scope")
    _, writer = api_key_create(user=user, name="rw", scopes=["render:write"])
    assert render(bearer(api, writer), f"{user.username}/og-card", props={"title": "k"}).status_code == 200


def test_anonymous_is_401(api, user, published):
    assert_error(render(api, f"{user.username}/og-card"), 401)


class TestBadInput:
    def test_unknown_template_and_version(self, user_api, user, published):
        assert_error(render(user_api, "nobody/nothing"), 404)
        assert_error(render(user_api, "tpl_doesnotexist"), 404)
        assert_error(render(user_api, "no-slash"), 404)
        assert_error(render(user_api, f"{user.username}/og-card", version="9.9.9"), 404)

    def test_someone_elses_private_template_is_404(self, user_api, private_template):
        assert_error(render(user_api, private_template.slug, props={"title": "x"}), 404, "not_found")
        assert_error(render(user_api, private_template.public_id, props={"title": "x"}), 404, "not_found")

    def test_video_template_points_at_the_async_endpoint(self, user_api, user, published_video):
        error = assert_error(render(user_api, f"{user.username}/promo-video"), 400, "video_template")
        assert error["details"]["asyncEndpoint"] == "/api/render/async"

    @pytest.mark.parametrize(
        "props, prop",
        [({}, "title"), ({"title": 5, "nope": 1}, "nope"), ({"title": "x", "accent": "not-a-color"}, "accent"),
         ({"title": "x" * 201}, "title"), ({"title": ["a"]}, "title")],
    )  # fmt: skip
    def test_props_are_validated_before_rendering(self, user_api, user, published, props, prop):
        error = assert_error(render(user_api, f"{user.username}/og-card", props=props), 400)
        assert prop in json.dumps(error)
        assert Render.objects.count() == 0

    @pytest.mark.parametrize(
        "body",
        [{"format": "bmp"}, {"scale": 10}, {"scale": 0}, {"scale": "big"}, {"props": "title=x"}, {"props": [1]},
         {"quality": 0}],
    )  # fmt: skip
    def test_bad_fields(self, user_api, user, published, body):
        assert_error(render(user_api, f"{user.username}/og-card", **body), 400, "validation_error")

    def test_missing_template_field(self, user_api):
        assert_error(user_api.post("/api/render", {"props": {}}, format="json"), 400, "validation_error")

    def test_five_megabyte_props(self, user_api, user, published):
        body = json.dumps({"template": f"{user.username}/og-card", "props": {"title": "x" * 5_000_000}})
        response = user_api.generic("POST", "/api/render", body, content_type="application/json")
        assert_error(response, 413, "payload_too_large")


def test_a_still_of_a_video_template(user, published_video):
    """The website's live preview of a video template: one frame, cached under its time; the API's
    sync render still refuses videos (use /api/render/async)."""
    from rendering import services

    version = published_video.latest_version
    with pytest.raises(services.UseAsyncEndpoint):
        services.render_image(user=user, template=published_video, version=version, props={}, fmt="png")
    kwargs = dict(
        user=user, template=published_video, version=version, props={"headline": "Still"}, fmt="png"
    )
    at_one = services.render_image(**kwargs, still_at=1.0)
    assert at_one.content[:8] == b"\x89PNG\r\n\x1a\n" and not at_one.cache_hit
    assert services.render_image(**kwargs, still_at=1.0).cache_hit
    assert not services.render_image(**kwargs, still_at=2.0).cache_hit  # another frame, another key
    # before_rendering runs for renders that cost something only (the try-it and /i/ rate limits)
    misses = []
    hit = services.render_image(**kwargs, still_at=2.0, before_rendering=lambda: misses.append(1))
    assert hit.cache_hit and misses == []
    services.render_image(
        **{**kwargs, "props": {"headline": "x"}}, still_at=2.0, before_rendering=lambda: misses.append(1)
    )
    assert misses == [1]
