"""Categories (from the manifest, a fixed list, filtered on by the list endpoint) and a version's
changelog (its section of the bundle's CHANGELOG.md)."""

import json

import pytest

from templates_registry.categories import SLUGS
from templates_registry.models import Template
from tests.conftest import assert_error
from tests.templates_registry.helpers import example_files, publish

pytestmark = pytest.mark.django_db


def with_manifest(name: str, **changes) -> dict[str, bytes]:
    files = example_files(name)
    manifest = json.loads(files["loopwind.json"])
    manifest.update(changes)
    files["loopwind.json"] = json.dumps({k: v for k, v in manifest.items() if v is not None}).encode()
    return files


def test_the_manifest_category_is_stored_listed_and_filtered(user_api, api, user):
    assert publish(user_api, files=example_files("og-card")).status_code == 201
    assert publish(user_api, files=example_files("quote-card")).status_code == 201
    assert (
        publish(user_api, files=with_manifest("og-card", category=None), name="plain-card").status_code == 201
    )
    rows = dict(Template.objects.filter(owner=user).values_list("name", "category"))
    assert rows == {"og-card": "open-graph", "quote-card": "quotes", "plain-card": ""}
    body = api.get("/api/templates?category=quotes").json()
    assert [t["slug"] for t in body["templates"]] == [f"{user.username}/quote-card"] and body["total"] == 1
    assert body["templates"][0]["category"] == "quotes"
    plain = api.get(f"/api/templates/{user.username}/plain-card").json()
    assert plain["category"] is None
    assert api.get("/api/templates?category=celebrations").json()["total"] == 0
    assert_error(api.get("/api/templates?category=bogus"), 400)


def test_an_unknown_category_is_refused_naming_the_allowed_ones(user_api, user):
    response = publish(user_api, files=with_manifest("og-card", category="Cats & Dogs"))
    assert_error(response, 400, "invalid_category")
    assert response.json()["error"]["details"]["allowed"] == list(SLUGS)
    assert not Template.objects.filter(owner=user).exists()
    # A slug differing only in case is the same category.
    assert publish(user_api, files=with_manifest("og-card", category="Social")).status_code == 201
    assert Template.objects.get(owner=user, name="og-card").category == "social"


def test_a_new_version_moves_the_template_only_when_its_manifest_names_a_category(user_api, user):
    publish(user_api, files=example_files("og-card"))
    publish(user_api, files=with_manifest("og-card", category=None))
    assert Template.objects.get(owner=user, name="og-card").category == "open-graph"
    publish(user_api, files=with_manifest("og-card", category="marketing"))
    assert Template.objects.get(owner=user, name="og-card").category == "marketing"


def test_the_owner_changes_or_clears_the_category(user_api, api, user):
    publish(user_api, files=example_files("og-card"))
    url = f"/api/templates/{user.username}/og-card"
    assert user_api.patch(url, {"category": "developer"}, format="json").json()["category"] == "developer"
    assert_error(user_api.patch(url, {"category": "nope"}, format="json"), 400)
    assert user_api.patch(url, {"category": ""}, format="json").json()["category"] is None
    assert Template.objects.get(owner=user, name="og-card").category == ""


CHANGELOG = b"""# Changelog

## [Unreleased]
- Not yet.

## [1.1.0] - 2026-05-01
### Added
- A **bold** subtitle.

## 1.0.0
- First release.
"""


def test_each_version_keeps_its_section_of_the_changelog(user_api, api, user):
    files = {**example_files("og-card"), "CHANGELOG.md": CHANGELOG}
    assert publish(user_api, files=files, version="1.0.0").status_code == 201
    assert publish(user_api, files=files, version="1.1.0").status_code == 201
    assert publish(user_api, files=example_files("og-card"), version="1.2.0").status_code == 201
    versions = api.get(f"/api/templates/{user.username}/og-card/versions").json()
    notes = {v["version"]: v["changelog"] for v in versions}
    assert notes == {"1.2.0": "", "1.1.0": "### Added\n- A **bold** subtitle.", "1.0.0": "- First release."}
