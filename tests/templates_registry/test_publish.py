"""POST /api/templates/publish: the happy paths in both upload modes, and every way a
publish can be wrong, each leaving no rows and no files behind."""

import io
import tarfile
import zipfile

import pytest

from accounts.services import tokens_for_user
from templates_registry.models import Template, TemplateVersion
from tests.conftest import assert_error, bearer
from tests.templates_registry.helpers import example_files, publish, tar_gz_bytes, zip_bytes

pytestmark = pytest.mark.django_db


def stored_files(media_root) -> list[str]:
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())


def assert_nothing_published(media_root):
    assert not Template.objects.exists()
    assert not TemplateVersion.objects.exists()
    assert stored_files(media_root) == []


class TestPublish:
    def test_files_mode_publishes_the_og_card(self, user_api, user, _media):
        response = publish(user_api, files=example_files("og-card"), name="og-card", tags="og,social")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["id"].startswith("tpl_")
        assert body["name"] == "og-card" and body["version"] == "1.0.0"
        assert body["author"] == user.username
        assert body["url"].endswith(f"/{user.username}/og-card")
        assert body["publishedAt"]
        template = Template.objects.get(public_id=body["id"])
        version = template.latest_version
        assert version.version == "1.0.0" and template.type == "image"
        assert sorted(t.name for t in template.tags.all()) == ["og", "social"]
        assert {f["path"] for f in version.files} == {"loopwind.json", "template.html"}
        files = stored_files(_media)
        assert len([f for f in files if f.startswith("blobs/")]) == 2
        assert version.preview and version.preview in files

    def test_zip_mode_with_a_top_folder(self, user_api):
        archive = zip_bytes(example_files("quote-card"), root="quote-card/")
        response = publish(user_api, bundle=("quote-card.zip", archive))
        assert response.status_code == 201, response.content
        assert Template.objects.get().name == "quote-card"

    def test_tar_gz_mode(self, user_api):
        archive = tar_gz_bytes(example_files("og-card"), root="./")
        response = publish(user_api, bundle=("og-card.tar.gz", archive), name="card-from-tar")
        assert response.status_code == 201, response.content

    def test_video_template_gets_png_and_mp4_previews(
        self, user_api, _media, django_capture_on_commit_callbacks, monkeypatch
    ):
        """The still is rendered by the publish; the MP4 by the worker afterwards (issue 22, item 14: a
        long video's preview held the web worker for minutes, dry runs included)."""
        sent = []
        monkeypatch.setattr("rendering.receivers.enqueue", lambda actor, *args: sent.append((actor, *args)))
        assert publish(user_api, files=example_files("promo-video"), dryRun="true").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = publish(user_api, files=example_files("promo-video"))
        assert response.status_code == 201, response.content
        version = TemplateVersion.objects.get()
        assert version.preview.endswith(".png") and version.preview_video == ""  # not in the request
        assert version.preview_cpu_ms > 0 and response.json()["warnings"] == []
        assert sent == [("render_version_preview", version.pk)]  # the dry run queued nothing
        from templates_registry.services import version_preview_video_render

        name = version_preview_video_render(version_id=version.pk)  # what the worker's actor does
        version.refresh_from_db()
        assert version.preview_video == name and name.endswith(".mp4")
        assert (_media / version.preview_video).read_bytes()[4:8] == b"ftyp"
        assert version_preview_video_render(version_id=version.pk) == name  # once

    def test_a_template_whose_preview_is_expensive_is_flagged(self, user_api, settings):
        settings.RENDER_TIME_LIMIT = 0.01  # any preview is over half of it
        response = publish(user_api, files=example_files("og-card"))
        assert response.status_code == 201, response.content
        assert "of render time" in response.json()["warnings"][0]

    def test_versions_increment_and_are_immutable(self, user_api):
        files = example_files("og-card")
        assert publish(user_api, files=files).json()["version"] == "1.0.0"
        assert publish(user_api, files=files).json()["version"] == "1.0.1"
        assert publish(user_api, files=files, version="2.0.0-beta.1").json()["version"] == "2.0.0-beta.1"
        assert publish(user_api, files=files).json()["version"] == "2.0.0"
        error = assert_error(publish(user_api, files=files, version="1.0.1"), 409, "version_exists")
        assert error["details"]["version"] == "1.0.1"
        assert TemplateVersion.objects.count() == 4
        assert Template.objects.get().latest_version.version == "2.0.0"

    def test_identical_files_are_stored_once(self, user_api, _media):
        files = example_files("og-card")
        publish(user_api, files=files)
        before = stored_files(_media)
        publish(user_api, files=files)
        assert stored_files(_media) == before

    def test_dry_run_validates_and_stores_nothing(self, user_api, _media):
        response = publish(user_api, files=example_files("og-card"), dryRun="true")
        assert response.status_code == 200
        body = response.json()
        assert body["dryRun"] is True and body["id"] is None and body["version"] == "1.0.0"
        assert {f["path"] for f in body["files"]} == {"loopwind.json", "template.html"}
        assert_nothing_published(_media)

    def test_meta_must_agree_with_the_manifest(self, user_api, _media):
        good = {"type": "image", "size": {"width": 1200, "height": 630}}
        assert publish(user_api, files=example_files("og-card"), meta=good).status_code == 201
        bad = {"type": "video", "size": {"width": 1200, "height": 630}}
        error = assert_error(
            publish(user_api, files=example_files("og-card"), meta=bad), 400, "meta_mismatch"
        )
        assert error["details"]["field"] == "meta.type"

    def test_anonymous_and_read_only_keys_cannot_publish(self, api, user):
        from accounts.services import api_key_create

        assert_error(publish(api, files=example_files("og-card")), 401)
        _, raw = api_key_create(user=user, name="ro", scopes=["templates:read"])
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert_error(publish(api, files=example_files("og-card")), 403, "insufficient_scope")
        assert not Template.objects.exists()

    def test_api_key_with_templates_write_can_publish(self, api, user):
        from accounts.services import api_key_create

        _, raw = api_key_create(user=user, name="ci", scopes=["templates:write"])
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert publish(api, files=example_files("og-card")).status_code == 201


class TestPlanLimits:
    def test_free_plan_cannot_publish_private(self, user_api, _media):
        assert_error(publish(user_api, files=example_files("og-card"), private="true"), 403, "plan_limit")
        assert_nothing_published(_media)

    def test_pro_plan_can(self, user_api, user):
        user.plan = "pro"
        user.save()
        assert publish(user_api, files=example_files("og-card"), private="true").status_code == 201
        assert Template.objects.get().private

    def test_a_new_version_keeps_visibility_description_and_tags(self, user_api, user, other_user, api):
        """Issue 13 (11) and the security review (2): publishing again without ``private`` made a
        private template public, and every earlier version downloadable by anyone."""
        user.plan = "pro"
        user.save()
        files = example_files("og-card")
        first = publish(
            user_api, files=files, private="true", description="Internal card", tags="internal,og"
        )
        assert first.status_code == 201, first.content
        assert publish(user_api, files=files, version="1.1.0").status_code == 201  # no private, no tags
        template = Template.objects.get()
        assert template.private and template.description == "Internal card"
        assert sorted(t.name for t in template.tags.all()) == ["internal", "og"]
        stranger = bearer(api, tokens_for_user(other_user)["token"])
        for path in ("", "/versions", "/download?version=1.0.0"):
            assert stranger.get(f"/api/templates/{user.username}/og-card{path}").status_code == 404, path
        # said explicitly, it changes
        assert publish(user_api, files=files, version="1.2.0", private="false", tags="og").status_code == 201
        template.refresh_from_db()
        assert not template.private and [t.name for t in template.tags.all()] == ["og"]
        assert template.description == "Internal card"
        assert publish(user_api, files=files, version="1.3.0", private="true").status_code == 201
        template.refresh_from_db()
        assert template.private

    def test_free_plan_publishes_five_templates(self, user_api):
        files = example_files("og-card")
        for n in range(5):
            assert publish(user_api, files=files, name=f"card-{n}").status_code == 201
        assert_error(publish(user_api, files=files, name="card-5"), 403, "plan_limit")
        # new versions of an existing template are not new templates
        assert publish(user_api, files=files, name="card-0").status_code == 201


def _manifest_with(files: dict, **changes) -> dict:
    import json

    manifest = json.loads(files["loopwind.json"])
    manifest.update(changes)
    return {**files, "loopwind.json": json.dumps(manifest).encode()}


def _zip_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, content in example_files("og-card").items():
            archive.writestr(path, content)
        link = zipfile.ZipInfo("assets/passwd.png")
        link.external_attr = (0o120777) << 16  # a symlink
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def _tar_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, content in example_files("og-card").items():
            info = tarfile.TarInfo(path)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        link = tarfile.TarInfo("assets/passwd.png")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    return buffer.getvalue()


def _zip_bomb_by_ratio() -> bytes:
    files = example_files("og-card")
    files["assets/zeros.txt"] = b"\0" * (8 * 1024 * 1024)  # 8 MB of zeros deflates to ~8 KB
    return zip_bytes(files)


def _zip_bomb_by_size() -> bytes:
    files = example_files("og-card")
    for n in range(3):
        files[f"assets/big{n}.txt"] = bytes(range(256)) * (16 * 1024)  # 4 MB each, 12 MB in all
    return zip_bytes(files)


def _zip_slip() -> bytes:
    files = example_files("og-card")
    files["../../evil.html"] = b"<p>pwned</p>"
    return zip_bytes(files)


class TestBadInput:
    @pytest.mark.parametrize(
        "path, code",
        [
            ("../x.html", "path_traversal"),
            ("/etc/passwd.txt", "absolute_path"),
            ("C:\\x.html", "invalid_path"),
            ("assets/../../x.png", "path_traversal"),
            ("run.sh", "file_type_not_allowed"),
        ],
    )
    def test_hostile_file_paths(self, user_api, _media, path, code):
        files = {**example_files("og-card"), path: b"x"}
        error = assert_error(publish(user_api, files=files), 400, code)
        assert error["details"]["file"] == path
        assert_nothing_published(_media)

    @pytest.mark.parametrize(
        "archive, status, code",
        [
            (_zip_slip, 400, "path_traversal"),
            (_zip_with_symlink, 400, "archive_link"),
            (_tar_with_symlink, 400, "archive_link"),
            (_zip_bomb_by_ratio, 400, "archive_bomb"),
            (_zip_bomb_by_size, 413, "bundle_too_large"),
        ],
    )
    def test_hostile_archives(self, user_api, _media, archive, status, code):
        data = archive()
        name = "bundle.tar.gz" if data[:2] == b"\x1f\x8b" else "bundle.zip"
        assert_error(publish(user_api, bundle=(name, data)), status, code)
        assert_nothing_published(_media)

    def test_not_an_archive(self, user_api, _media):
        assert_error(publish(user_api, bundle=("bundle.zip", b"PK\x03\x04garbage")), 400, "invalid_archive")
        assert_error(publish(user_api, bundle=("bundle.rar", b"Rar!")), 400, "invalid_archive")

    def test_over_ten_megabytes_is_413(self, user_api, _media):
        files = {**example_files("og-card"), "assets/big.png": b"\x89PNG" + b"\1" * (10 * 1024 * 1024)}
        assert_error(publish(user_api, files=files), 413)
        assert_nothing_published(_media)

    def test_five_thousand_tiny_files(self, user_api, _media):
        files = {**example_files("og-card"), **{f"assets/{n}.txt": b"x" for n in range(5000)}}
        response = publish(user_api, files=files)
        assert response.status_code == 400
        assert_error(response, 400)
        assert_nothing_published(_media)

    def test_201_files_in_a_zip(self, user_api, _media):
        files = {**example_files("og-card"), **{f"assets/{n}.txt": b"x" for n in range(200)}}
        assert_error(publish(user_api, bundle=("b.zip", zip_bytes(files))), 400, "too_many_files")

    def test_no_files_at_all(self, user_api):
        assert_error(publish(user_api, name="og-card"), 400, "no_files")

    def test_missing_manifest(self, user_api, _media):
        files = example_files("og-card")
        del files["loopwind.json"]
        error = assert_error(publish(user_api, files=files), 400)
        assert "loopwind.json" in error["message"]
        assert_nothing_published(_media)

    def test_invalid_manifest_json(self, user_api):
        files = {**example_files("og-card"), "loopwind.json": b"{not json"}
        error = assert_error(publish(user_api, files=files), 400)
        assert error["details"]["file"] == "loopwind.json"

    def test_invalid_manifest_field(self, user_api):
        files = _manifest_with(example_files("og-card"), size={"width": 20000, "height": 20000})
        error = assert_error(publish(user_api, files=files), 400)
        assert error["details"]["field"].startswith("size")

    @pytest.mark.parametrize("name", ["OG_Card", "og--card", "-og", "og card", "x" * 65, "ög"])
    def test_names_must_be_kebab_case(self, user_api, name):
        assert_error(publish(user_api, files=example_files("og-card"), name=name), 400)
        assert not Template.objects.exists()

    @pytest.mark.parametrize("version", ["1", "1.0", "v1.0.0", "01.0.0", "1.0.0-", "latest", "1.0.0.0"])
    def test_invalid_semver(self, user_api, version):
        assert_error(
            publish(user_api, files=example_files("og-card"), version=version), 400, "invalid_version"
        )

    def test_template_that_fails_to_render_is_422(self, user_api, _media):
        files = {**example_files("og-card"), "template.html": b"<div>{{ missing_helper() }}</div>"}
        error = assert_error(publish(user_api, files=files), 422, "render_failed")
        assert error["message"].startswith("The template did not render")
        assert_nothing_published(_media)

    def test_two_hundred_tags(self, user_api, _media):
        tags = ",".join(f"tag{n}" for n in range(200))
        assert_error(publish(user_api, files=example_files("og-card"), tags=tags), 400, "too_many_tags")
        assert_nothing_published(_media)

    def test_bad_tag(self, user_api):
        assert_error(
            publish(user_api, files=example_files("og-card"), tags="ok,<script>"), 400, "invalid_tag"
        )

    def test_bad_meta_json(self, user_api):
        response = publish(user_api, files=example_files("og-card"), meta="{nope")
        assert_error(response, 400, "invalid_meta")

    def test_json_body_instead_of_multipart(self, user_api):
        response = user_api.post("/api/templates/publish", {"name": "x"}, format="json")
        assert_error(response, 415, "unsupported_media_type")

    def test_failure_after_files_are_written_removes_them(self, user_api, _media, monkeypatch):
        from templates_registry import services

        def explode(**kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(services, "_record_version", explode)
        user_api.raise_request_exception = False
        response = publish(user_api, files=example_files("og-card"))
        assert response.status_code == 500
        assert_nothing_published(_media)
