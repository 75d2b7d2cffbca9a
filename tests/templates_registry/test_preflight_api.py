"""Preflight over HTTP: POST /api/templates/lint, the lint warnings of publish, POST /api/render/check."""

import json

import pytest

from billing.models import Usage
from core.netsafe import FetchFailed
from rendering.models import Render
from templates_registry.services import template_publish
from tests.conftest import assert_error
from tests.factories import UserFactory
from tests.templates_registry.helpers import example_files, multipart, publish, zip_bytes

pytestmark = pytest.mark.django_db

UNDRAWABLE = "\U00010000"


def _design(**props) -> dict[str, bytes]:
    """A card whose headline overflows at its maxLength, with an emoji-less font stack and an image prop."""
    manifest = {
        "name": "preflight-card",
        "type": "image",
        "engine": "html",
        "size": {"width": 600, "height": 300},
        "props": {
            "title": {"type": "string", "maxLength": 60, "example": "Hi"},
            "logo": {"type": "image", "required": False, **props},
        },
    }
    html = (
        '<div tw="flex w-full h-full bg-white p-4"><div tw="flex w-[200px] text-4xl">{{ title }}</div>'
        f'{{% if logo %}}<img src="{{{{ logo }}}}" tw="w-8 h-8" />{{% endif %}} {UNDRAWABLE}</div>'
    )
    return {"loopwind.json": json.dumps(manifest).encode(), "template.html": html.encode()}


def lint(client, files=None, bundle=None):
    body, content_type = multipart({}, files, bundle)
    return client.generic("POST", "/api/templates/lint", body, content_type=content_type)


@pytest.fixture
def dead_images(monkeypatch):
    def fetch(url, **kwargs):
        raise FetchFailed(
            "Fetching the image failed: HTTP 404.", details={"url": url, "reason": "http_status"}
        )

    monkeypatch.setattr("core.netsafe.fetch_image", fetch)
    monkeypatch.setattr("core.renderpool.preflight.fetch_image", fetch)  # the parent fetches for the child
    monkeypatch.setattr("rendering.services.fetch_image", fetch)


class TestLint:
    def test_three_warnings_for_overflow_glyph_and_dead_image(self, user_api, dead_images):
        files = _design(example="https://img.test/dead.png")
        response = lint(user_api, files=files)
        assert response.status_code == 200, response.content
        warnings = response.json()["warnings"]
        assert [w["code"] for w in warnings] == ["missing_glyph", "image_unavailable", "text_overflow"]
        glyph, image, overflow = warnings
        assert glyph["chars"] == [UNDRAWABLE] and "prop" not in glyph
        assert image["prop"] == "logo" and image["url"] == "https://img.test/dead.png"
        assert overflow["prop"] == "title" and set(overflow["position"]) == {"x", "y", "width", "height"}
        # a zip is the same upload
        zipped = lint(user_api, bundle=("card.zip", zip_bytes(files)))
        assert zipped.json() == response.json()

    def test_unsupported_class_keeps_its_fields(self, user_api):
        files = _design()
        files["template.html"] = (
            b'<div tw="flex w-full h-full bg-white">\n<p class="text-black hover:underline">Hi</p></div>'
        )
        response = lint(user_api, files=files)
        assert response.status_code == 200, response.content
        (w,) = response.json()["warnings"]
        assert {k: v for k, v in w.items() if k not in ("message", "reason")} == {
            "code": "unsupported_class",
            "class": "hover:underline",
            "element": "p",
            "count": 1,
            "file": "template.html",
            "line": 2,
        }

    def test_official_example_lints_clean(self, user_api):
        response = lint(user_api, files=example_files("og-card"))
        assert response.status_code == 200 and response.json() == {"warnings": []}

    def test_nothing_is_stored_or_charged(self, user_api, user):
        lint(user_api, files=example_files("og-card"))
        assert not Usage.objects.filter(user=user).exists()
        assert not Render.objects.exists()

    @pytest.mark.parametrize(
        "files, status",
        [
            ({"loopwind.json": b"{not json"}, 400),
            ({"template.html": b"<div>no manifest</div>"}, 400),
            ({"loopwind.json": json.dumps({"name": "x", "engine": "html"}).encode(),
              "template.html": b"{% for %}"}, 400),
            ({"loopwind.json": json.dumps({"name": "x", "engine": "html"}).encode(),
              "template.html": b"{{ 1 // 0 }}"}, 422),
        ],
    )  # fmt: skip
    def test_hostile_bundles_are_4xx_error_json(self, user_api, files, status):
        response = lint(user_api, files=files)
        assert 400 <= response.status_code < 500, response.content
        assert "error" in response.json()

    def test_neither_files_nor_bundle(self, user_api):
        assert_error(lint(user_api), 400, "no_files")

    def test_needs_a_key(self, api):
        assert lint(api, files=example_files("og-card")).status_code in (401, 403)


class TestPublishWarnings:
    def test_publish_returns_the_lint_warnings(self, user_api, dead_images):
        response = publish(user_api, files=_design(), dryRun="true")
        assert response.status_code == 200, response.content
        body = response.json()
        assert [w["code"] for w in body["lint"]] == ["missing_glyph", "text_overflow"]
        assert any(w.startswith("text_overflow: ") for w in body["warnings"])

    def test_official_example_publishes_without_warnings(self, user_api):
        body = publish(user_api, files=example_files("og-card"), dryRun="true").json()
        assert body["lint"] == [] and body["warnings"] == []


class TestRenderCheck:
    @pytest.fixture
    def card(self, user):
        return template_publish(user=user, files=_design()).template

    def check(self, client, template, **body):
        return client.post("/api/render/check", {"template": template, **body}, format="json")

    def test_warnings_and_no_charge(self, user_api, user, card, dead_images):
        slug = f"{user.username}/preflight-card"
        usage_before = list(Usage.objects.filter(user=user).values_list("type", "month", "count"))
        response = self.check(
            user_api, slug, props={"title": "Wonderfully long headline", "logo": "https://img.test/x.png"}
        )
        assert response.status_code == 200, response.content
        codes = [w["code"] for w in response.json()["warnings"]]
        assert codes == ["missing_glyph", "image_unavailable", "text_overflow"]
        assert list(Usage.objects.filter(user=user).values_list("type", "month", "count")) == usage_before
        assert not Render.objects.exists()
        ok = self.check(user_api, slug, props={"title": "Hi"})
        assert [w["code"] for w in ok.json()["warnings"]] == ["missing_glyph"]  # the template's own text

    def test_refused_hosts_are_never_fetched(self, user_api, user, card):
        response = self.check(
            user_api,
            f"{user.username}/preflight-card",
            props={"title": "Hi", "logo": "http://127.0.0.1/x.png"},
        )
        (image,) = [w for w in response.json()["warnings"] if w["code"] == "image_unavailable"]
        assert image["prop"] == "logo"

    def test_bad_props_are_400_naming_the_prop(self, user_api, user, card):
        response = self.check(user_api, f"{user.username}/preflight-card", props={"title": "x" * 61})
        body = assert_error(response, 400)
        assert "title" in json.dumps(body)

    def test_another_users_private_template_is_404(self, user_api):
        owner = UserFactory(plan="pro")
        template_publish(user=owner, files=example_files("og-card"), name="secret-card", private=True)
        assert_error(self.check(user_api, f"{owner.username}/secret-card", props={"title": "x"}), 404)

    @pytest.mark.parametrize("props", [[1, 2], "text", {"nope": 1}])
    def test_hostile_props_are_4xx(self, user_api, user, card, props):
        response = self.check(user_api, f"{user.username}/preflight-card", props=props)
        assert 400 <= response.status_code < 500 and "error" in response.json()


class TestTemplatePage:
    def test_the_owner_sees_the_warnings_others_do_not(self, user, dead_images):
        from django.test import Client

        template_publish(user=user, files=_design())
        owner = Client()
        owner.force_login(user)
        page = owner.get(f"/{user.username}/preflight-card").content.decode()
        assert "Preflight warnings" in page and "text_overflow" in page and "missing_glyph" in page
        other = Client()
        other.force_login(UserFactory())
        page = other.get(f"/{user.username}/preflight-card").content.decode()
        assert "Preflight warnings" not in page and "text_overflow" not in page

    def test_a_clean_template_shows_no_section(self, user):
        from django.test import Client

        template_publish(user=user, files=example_files("og-card"))
        owner = Client()
        owner.force_login(user)
        assert "Preflight warnings" not in owner.get(f"/{user.username}/og-card").content.decode()


@pytest.mark.django_db
def test_the_publish_lint_gets_what_the_preview_left_of_the_time_limit(monkeypatch, settings):
    """Preview and lint share one render's time limit: a slow machine or a hostile template that
    takes most of it in the preview leaves the lint the rest (at least a second), so a publish answers
    within the limit plus that second, not twice the limit (tests/security's hostile corpus)."""
    import time

    from templates_registry import services

    settings.RENDER_TIME_LIMIT = 3
    real_still, granted = services.render_still, []

    def slow_still(bundle):
        still = real_still(bundle)
        time.sleep(1.2)
        return still

    def lint(bundle, *, account, wall_seconds=None):
        granted.append(wall_seconds)
        return []

    monkeypatch.setattr(services, "render_still", slow_still)
    monkeypatch.setattr(services, "preflight_lint", lint)
    template_publish(user=UserFactory(), files=example_files("og-card"))
    assert granted and services.LINT_MIN_SECONDS <= granted[0] <= 3 - 1.2
