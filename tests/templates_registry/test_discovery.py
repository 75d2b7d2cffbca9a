"""Discovery and everything after publishing: search, filters, sort, pages, the template page,
versions, download, stars, profiles, edits, unpublish; private templates stay invisible."""

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import tokens_for_user
from templates_registry.models import Template
from tests.conftest import assert_error, bearer
from tests.factories import UserFactory
from tests.templates_registry.helpers import example_files, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(user, other_user, user_api):
    """user publishes og-card (public) and quote-card; other_user (pro) a private promo."""
    assert publish(user_api, files=example_files("og-card"), tags="og,social").status_code == 201
    assert publish(user_api, files=example_files("quote-card"), tags="quote,social").status_code == 201
    other_user.plan = "pro"
    other_user.save()
    other_api = bearer(type(user_api)(), tokens_for_user(other_user)["token"])
    response = publish(other_api, files=example_files("og-card"), name="secret-card", private="true")
    assert response.status_code == 201, response.content
    return {"user": user, "other": other_user, "other_api": other_api}


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [t["slug"] for t in response.json()["templates"]]


class TestList:
    def test_shape(self, api, catalog):
        body = api.get("/api/templates").json()
        assert set(body) == {"templates", "total", "page", "pages"}
        assert body["total"] == 2 and body["page"] == 1 and body["pages"] == 1
        item = body["templates"][0]
        for key in ("id", "name", "slug", "version", "description", "author", "meta", "stats", "private", "tags",
                    "previewUrl", "createdAt", "updatedAt", "publishedAt"):  # fmt: skip
            assert key in item, key
        assert set(item["stats"]) == {"downloads", "renders", "stars"}
        assert item["meta"]["type"] in ("image", "video") and "props" in item["meta"]

    def test_private_templates_never_listed_not_even_for_the_owner(self, api, catalog):
        assert "secret-card" not in str(names(api.get("/api/templates")))
        assert "secret-card" not in str(names(catalog["other_api"].get("/api/templates")))
        assert names(api.get("/api/templates?q=secret")) == []

    def test_search_finds_by_name_description_and_tag(self, api, catalog, user):
        assert names(api.get("/api/templates?q=quote")) == [f"{user.username}/quote-card"]
        assert f"{user.username}/og-card" in names(api.get("/api/templates?q=headline"))
        assert set(names(api.get("/api/templates?q=social"))) == {
            f"{user.username}/og-card",
            f"{user.username}/quote-card",
        }

    def test_search_tolerates_a_typo_on_postgres(self, api, catalog, user, settings):
        if not settings.USING_POSTGRES:
            pytest.skip("trigram search is PostgreSQL's")
        assert f"{user.username}/quote-card" in names(api.get("/api/templates?q=qoute-card"))

    def test_filters(self, api, catalog, user):
        assert names(api.get("/api/templates?tags=quote")) == [f"{user.username}/quote-card"]
        assert len(names(api.get("/api/templates?tags=social,og"))) == 1
        assert names(api.get("/api/templates?type=video")) == []
        assert len(names(api.get(f"/api/templates?author={user.username}"))) == 2
        assert names(api.get("/api/templates?author=nobody")) == []

    def test_sort_and_pages(self, api, catalog, user):
        recent = names(api.get("/api/templates?sort=recent"))
        assert recent == [f"{user.username}/quote-card", f"{user.username}/og-card"]
        page2 = api.get("/api/templates?sort=recent&limit=1&page=2").json()
        assert [t["name"] for t in page2["templates"]] == ["og-card"]
        assert page2["pages"] == 2 and page2["total"] == 2
        assert names(api.get("/api/templates?page=5")) == []

    @pytest.mark.parametrize(
        "query",
        ["limit=0", "limit=101", "page=0", "page=x", "sort=random", "type=audio", "q=" + "x" * 10_000],
    )
    def test_bad_queries(self, api, catalog, query):
        assert_error(api.get(f"/api/templates?{query}"), 400)

    def test_query_count_is_fixed_whatever_the_page_size(self, api, user):
        user.plan = "pro"
        user.save()
        client = bearer(type(api)(), tokens_for_user(user)["token"])
        files = example_files("og-card")
        for n in range(12):
            assert publish(client, files=files, name=f"card-{n}", tags=f"t{n},shared").status_code == 201
        counts = []
        for limit in (2, 12):
            with CaptureQueriesContext(connection) as queries:
                assert len(names(api.get(f"/api/templates?limit={limit}&q=card&tags=shared"))) == limit
            counts.append(len(queries))
        assert counts[0] == counts[1] <= 4, counts


class TestDetail:
    def test_template_page_has_files_with_urls_and_checksums(self, api, catalog, user):
        response = api.get(f"/api/templates/{user.username}/og-card")
        assert response.status_code == 200
        body = response.json()
        assert body["version"] == "1.0.0" and body["author"]["username"] == user.username
        paths = {f["path"]: f for f in body["files"]}
        assert set(paths) == {"loopwind.json", "template.html"}
        manifest_file = api.get(paths["loopwind.json"]["url"].replace("http://127.0.0.1:8000", ""))
        assert manifest_file.status_code == 200
        assert b"".join(manifest_file.streaming_content) == example_files("og-card")["loopwind.json"]
        preview = api.get(body["previewUrl"].replace("http://127.0.0.1:8000", ""))
        assert preview.status_code == 200 and preview["Content-Type"] == "image/png"

    def test_tampered_file_url_is_404(self, api, catalog, user):
        url = api.get(f"/api/templates/{user.username}/og-card").json()["previewUrl"]
        assert api.get(url.replace("http://127.0.0.1:8000", "")[:-3] + "abc").status_code == 404

    def test_private_template_is_404_to_others_and_visible_to_its_owner(self, api, user_api, catalog):
        slug = f"/api/templates/{catalog['other'].username}/secret-card"
        assert_error(api.get(slug), 404, "not_found")
        assert_error(user_api.get(slug), 404, "not_found")
        assert_error(user_api.get(slug + "/versions"), 404)
        assert_error(user_api.get(slug + "/download"), 404)
        assert_error(user_api.post(slug + "/star"), 404)
        assert catalog["other_api"].get(slug).json()["private"] is True

    def test_unknown_template_and_version(self, api, catalog, user):
        assert_error(api.get("/api/templates/nobody/nothing"), 404)
        assert_error(api.get(f"/api/templates/{user.username}/og-card?version=9.9.9"), 404)

    def test_versions_newest_first(self, api, user_api, catalog, user):
        publish(user_api, files=example_files("og-card"), version="1.10.0")
        publish(user_api, files=example_files("og-card"), version="1.9.0")
        body = api.get(f"/api/templates/{user.username}/og-card/versions").json()
        assert [v["version"] for v in body] == ["1.10.0", "1.9.0", "1.0.0"]
        assert set(body[0]) >= {"version", "publishedAt", "downloads"}


class TestDownloadAndStars:
    def test_download_is_the_bundle_as_zip_counted_once_a_day(self, api, user_api, catalog, user):
        url = f"/api/templates/{user.username}/og-card/download"
        first = api.get(url)
        assert first.status_code == 200 and first["Content-Type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(first.content)) as archive:
            assert {n: archive.read(n) for n in archive.namelist()} == example_files("og-card")
        api.get(url)
        user_api.get(url)  # another visitor
        template = Template.objects.get(owner=user, name="og-card")
        assert template.downloads == 2 and template.latest_version.downloads == 2

    def test_star_and_unstar(self, user_api, api, catalog, user):
        url = f"/api/templates/{user.username}/quote-card/star"
        assert user_api.post(url).status_code == 201
        again = user_api.post(url)
        assert again.status_code == 200 and again.json() == {"starred": True, "stars": 1}
        assert api.get(url.rsplit("/", 1)[0]).json()["stats"]["stars"] == 1
        assert user_api.get(url.rsplit("/", 1)[0]).json()["starred"] is True
        assert user_api.delete(url).json() == {"starred": False, "stars": 0}
        assert user_api.delete(url).json() == {"starred": False, "stars": 0}
        assert_error(api.post(url), 401)


class TestProfilesAndMine:
    def test_profile_shows_public_templates_and_stats(self, api, catalog):
        body = api.get(f"/api/users/{catalog['other'].username}").json()
        assert body["templates"] == [] and body["stats"]["templates"] == 0
        mine = api.get(f"/api/users/{catalog['user'].username}").json()
        assert len(mine["templates"]) == 2 and mine["stats"]["templates"] == 2
        assert_error(api.get("/api/users/nobody-here"), 404)

    def test_me_templates_includes_private(self, catalog, api):
        slugs = [t["name"] for t in catalog["other_api"].get("/api/me/templates").json()]
        assert slugs == ["secret-card"]
        assert_error(api.get("/api/me/templates"), 401)


class TestEdits:
    def test_owner_edits_description_tags_and_visibility(self, user_api, api, catalog, user):
        url = f"/api/templates/{user.username}/og-card"
        response = user_api.patch(url, {"description": "New words", "tags": ["fresh"]}, format="json")
        assert response.status_code == 200
        assert api.get(url).json()["tags"] == ["fresh"]
        assert names(api.get("/api/templates?tags=fresh")) == [f"{user.username}/og-card"]
        assert_error(user_api.patch(url, {"private": True}, format="json"), 403, "plan_limit")

    def test_others_cannot_edit(self, api, catalog, user):
        stranger = bearer(type(api)(), tokens_for_user(UserFactory())["token"])
        url = f"/api/templates/{user.username}/og-card"
        assert_error(stranger.patch(url, {"description": "mine now"}, format="json"), 403)
        assert_error(stranger.delete(url), 403)
        assert_error(api.delete(url), 401)
        assert Template.objects.get(owner=user, name="og-card").unpublished_at is None

    def test_unpublish_hides_everything_and_republish_restores(self, user_api, api, catalog, user):
        url = f"/api/templates/{user.username}/og-card"
        assert user_api.delete(url).status_code == 204
        assert_error(api.get(url), 404)
        assert_error(user_api.get(url), 404)
        assert f"{user.username}/og-card" not in names(api.get("/api/templates"))
        response = publish(user_api, files=example_files("og-card"))
        assert response.status_code == 201 and response.json()["version"] == "1.0.1"
        assert api.get(url).status_code == 200

    def test_deprecate_a_version(self, user_api, api, catalog, user):
        url = f"/api/templates/{user.username}/og-card/versions/1.0.0"
        response = user_api.patch(url, {"deprecated": "Use 2.x"}, format="json")
        assert response.status_code == 200 and response.json()["deprecated"] == "Use 2.x"
        assert api.get(f"/api/templates/{user.username}/og-card").json()["deprecated"] == "Use 2.x"
        assert_error(user_api.patch(url, {}, format="json"), 400)
