"""Versions an author withdraws: deprecated (with a message) and yanked. "latest" skips both;
a version asked for by number still renders, and whoever uses it is told (Deprecation header,
the author's message in the job JSON, the SDK's and the CLI's warning, the template page)."""

from urllib.parse import unquote

import pytest

from accounts.services import tokens_for_user
from rendering.models import RenderJob
from templates_registry.models import Template
from tests.conftest import assert_error, bearer
from tests.templates_registry.helpers import example_files, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(user, user_api):
    """og-card 1.0.0 and 1.1.0 by ``user``."""
    for version in ("1.0.0", "1.1.0"):
        assert publish(user_api, files=example_files("og-card"), version=version).status_code == 201
    return f"{user.username}/og-card"


def patch(client, slug, version, body):
    return client.patch(f"/api/templates/{slug}/versions/{version}", body, format="json")


def signed_version(client, slug, **body) -> str:
    response = client.post(
        "/api/render/sign", {"template": slug, "props": {"title": "Hi"}, **body}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["version"]


def render(client, slug, **body):
    return client.post("/api/render", {"template": slug, "props": {"title": "Hi"}, **body}, format="json")


def test_deprecating_moves_latest_and_warns_who_renders_it(user_api, card):
    response = patch(user_api, card, "1.1.0", {"deprecated": "Use 1.0.0: 1.1.0 cuts long titles"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["deprecated"] == "Use 1.0.0: 1.1.0 cuts long titles" and body["deprecatedAt"]
    assert body["yanked"] is False and body["yankedAt"] is None
    assert signed_version(user_api, card) == "1.0.0"  # latest skips the deprecated one
    assert Template.objects.get().latest_version.version == "1.0.0"
    plain = render(user_api, card)
    assert plain.status_code == 200 and "Deprecation" not in plain
    pinned = render(user_api, card, version="1.1.0")
    assert pinned.status_code == 200
    assert pinned["Deprecation"].startswith("@") and int(pinned["Deprecation"][1:]) > 0
    assert unquote(pinned["X-Loopwind-Deprecation"]) == "Use 1.0.0: 1.1.0 cuts long titles"
    assert 'rel="deprecation"' in pinned["Link"] and card in pinned["Link"]
    sign = user_api.post("/api/render/sign", {"template": card, "version": "1.1.0", "props": {"title": "Hi"}},
                         format="json").json()  # fmt: skip
    assert (
        sign["deprecation"]["message"].startswith("Use 1.0.0") and sign["deprecation"]["version"] == "1.1.0"
    )
    # taken back: latest again
    assert patch(user_api, card, "1.1.0", {"deprecated": ""}).json()["deprecatedAt"] is None
    assert signed_version(user_api, card) == "1.1.0"


def test_a_non_ascii_message_travels_in_the_header(user_api, card):
    patch(user_api, card, "1.1.0", {"deprecated": "Bitte 1.0.0 nutzen — danke 🙏"})
    pinned = render(user_api, card, version="1.1.0")
    assert pinned["X-Loopwind-Deprecation"].isascii()
    assert unquote(pinned["X-Loopwind-Deprecation"]) == "Bitte 1.0.0 nutzen — danke 🙏"


def test_yanked_versions_are_never_latest_but_pinned_ones_still_render(user_api, card):
    yanked = patch(user_api, card, "1.1.0", {"yanked": True, "reason": "leaks the author's email"}).json()
    assert yanked["yanked"] is True and yanked["yankReason"] == "leaks the author's email"
    assert signed_version(user_api, card) == "1.0.0"
    pinned = render(user_api, card, version="1.1.0")  # an og:image already in pages keeps working
    assert pinned.status_code == 200
    assert unquote(pinned["X-Loopwind-Deprecation"]) == "Version 1.1.0 was yanked: leaks the author's email"
    # a deprecated release is still better than none
    patch(user_api, card, "1.0.0", {"deprecated": "old"})
    assert signed_version(user_api, card) == "1.0.0"
    patch(user_api, card, "1.0.0", {"yanked": True})
    error = assert_error(render(user_api, card), 404, "not_found")
    assert "every version was yanked" in error["message"]
    versions = user_api.get(f"/api/templates/{card}/versions").json()
    assert [(v["version"], v["yanked"]) for v in versions] == [("1.1.0", True), ("1.0.0", True)]
    patch(user_api, card, "1.1.0", {"yanked": False})
    assert signed_version(user_api, card) == "1.1.0"
    assert Template.objects.get().latest_version.yank_reason == ""


def test_async_jobs_carry_the_message(user_api, user, card):
    patch(user_api, card, "1.0.0", {"deprecated": "Use 1.1.0"})
    accepted = user_api.post("/api/render/async", {"template": card, "version": "1.0.0", "format": "png",
                                                   "props": {"title": "Hi"}}, format="json")  # fmt: skip
    assert accepted.status_code == 202, accepted.content
    assert accepted.json()["deprecation"]["message"] == "Use 1.1.0"
    job = RenderJob.objects.get()
    status = user_api.get(f"/api/render/{job.public_id}").json()
    assert status["deprecation"] == accepted.json()["deprecation"]
    latest = user_api.post("/api/render/async", {"template": card, "format": "png", "props": {"title": "Hi"}},
                           format="json")  # fmt: skip
    assert latest.json()["deprecation"] is None


def test_bad_input_and_other_people(user_api, other_user, api, card):
    assert_error(patch(user_api, card, "1.1.0", {}), 400, "validation_error")
    assert_error(patch(user_api, card, "1.1.0", {"yanked": "yes"}), 400)
    assert_error(patch(user_api, card, "1.1.0", {"deprecated": 5}), 400)
    assert_error(patch(user_api, card, "9.9.9", {"deprecated": "x"}), 404)
    assert_error(patch(user_api, card, "latest", {"deprecated": "x"}), 404)
    assert_error(patch(user_api, card, "1.1.0", {"deprecated": "x" * 501}), 400)
    stranger = bearer(api, tokens_for_user(other_user)["token"])
    assert_error(patch(stranger, card, "1.1.0", {"yanked": True}), 403)
    api.credentials()
    assert_error(patch(api, card, "1.1.0", {"yanked": True}), 401)
    assert Template.objects.get().latest_version.version == "1.1.0"


def test_the_template_page_shows_it(client, user_api, card):
    patch(user_api, card, "1.0.0", {"yanked": True, "reason": "broken fonts"})
    patch(user_api, card, "1.1.0", {"deprecated": "Moving to og-card-v2"})
    page = client.get(f"/{card}").content.decode()
    assert "yanked" in page and "broken fonts" in page
    assert "deprecated" in page and "Moving to og-card-v2" in page
