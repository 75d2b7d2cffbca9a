"""The registry API: publish, discovery, versions, download, stars, edits."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.acting import actor_of
from accounts.permissions import PublicReads
from accounts.selectors import user_get_by_username
from core.api import validated
from core.errors import NotFound
from core.files import file_url
from loopwind.engine import preflight
from templates_registry import selectors, services
from templates_registry.categories import SLUGS as CATEGORY_SLUGS
from templates_registry.errors import TemplateInvalid
from templates_registry.models import Template, TemplateVersion
from templates_registry.uploads import (
    BundleMultiPartParser,
    check_request_size,
    files_from_archive,
    files_from_parts,
)


def _url(name: str) -> str | None:
    return file_url(name) if name else None


class AuthorOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    username = serializers.CharField()
    avatar = serializers.CharField(source="avatar_url", allow_blank=True)


class StatsOutput(serializers.Serializer):
    downloads = serializers.IntegerField()
    renders = serializers.IntegerField()
    stars = serializers.IntegerField()


class TemplateOutput(serializers.Serializer):
    """The spec's PublishedTemplate (files only on the detail endpoint)."""

    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    slug = serializers.CharField()
    version = serializers.CharField(source="latest_version.version", default=None)
    description = serializers.CharField()
    author = AuthorOutput(source="owner")
    meta = serializers.SerializerMethodField()
    stats = StatsOutput(source="*")
    private = serializers.BooleanField()
    tags = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    previewUrl = serializers.SerializerMethodField()
    previewVideoUrl = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    publishedAt = serializers.DateTimeField(source="published_at")

    def _version(self, template: Template) -> TemplateVersion | None:
        return self.context.get("version") or template.latest_version

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_meta(self, template: Template) -> dict:
        version = self._version(template)
        manifest = version.manifest if version else {}
        meta = {"type": template.type, "engine": manifest.get("engine"), "size": manifest.get("size")}
        if manifest.get("video"):
            meta["video"] = manifest["video"]
        meta["props"] = manifest.get("props", {})
        return meta

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, template: Template) -> list[str]:
        return sorted(tag.name for tag in template.tags.all())

    @extend_schema_field(serializers.ChoiceField(choices=CATEGORY_SLUGS, allow_null=True))
    def get_category(self, template: Template) -> str | None:
        return template.category or None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_previewUrl(self, template: Template) -> str | None:
        version = self._version(template)
        return _url(version.preview) if version else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_previewVideoUrl(self, template: Template) -> str | None:
        version = self._version(template)
        return _url(version.preview_video) if version else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, template: Template) -> str:
        return f"{settings.SITE_URL}/{template.slug}"


class FileOutput(serializers.Serializer):
    path = serializers.CharField()
    url = serializers.URLField()
    checksum = serializers.CharField()
    size = serializers.IntegerField()


class TemplateDetailOutput(TemplateOutput):
    files = serializers.SerializerMethodField()
    deprecated = serializers.SerializerMethodField()
    starred = serializers.SerializerMethodField()

    @extend_schema_field(FileOutput(many=True))
    def get_files(self, template: Template) -> list[dict]:
        version = self._version(template)
        if version is None:
            return []
        return [
            {**row, "url": file_url(services.blob_name(row["checksum"]))}
            for row in sorted(version.files, key=lambda r: r["path"])
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_deprecated(self, template: Template) -> str | None:
        version = self._version(template)
        return (version.deprecated or None) if version else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_starred(self, template: Template) -> bool:
        return selectors.starred_by(user=self.context.get("viewer"), template=template)


class VersionOutput(serializers.Serializer):
    version = serializers.CharField()
    publishedAt = serializers.DateTimeField(source="published_at")
    downloads = serializers.IntegerField()
    checksum = serializers.CharField()
    size = serializers.IntegerField()
    deprecated = serializers.CharField(allow_blank=True, help_text="the deprecation message; empty when not")
    deprecatedAt = serializers.DateTimeField(source="deprecated_at", allow_null=True)
    yanked = serializers.SerializerMethodField()
    yankedAt = serializers.DateTimeField(source="yanked_at", allow_null=True)
    yankReason = serializers.CharField(source="yank_reason", allow_blank=True)

    changelog = serializers.CharField(
        allow_blank=True, help_text="this version's section of the bundle's CHANGELOG.md (Markdown)"
    )

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_yanked(self, version) -> bool:
        return version.yanked_at is not None


class TemplatePageOutput(serializers.Serializer):
    templates = TemplateOutput(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class RegistryView(APIView):
    """Reads are public (a key that is sent needs templates:read); writes need templates:write."""

    permission_classes = [PublicReads]
    required_scopes = {"SAFE": "templates:read", "UNSAFE": "templates:write"}


class WriteView(APIView):
    required_scopes = {"SAFE": "templates:read", "UNSAFE": "templates:write"}


def _bundle_files(request) -> dict[str, bytes]:
    """The bundle of a multipart request: repeated ``files`` parts or one ``bundle`` archive."""
    parts = request.FILES.getlist("files")
    archive = request.FILES.get("bundle")
    if bool(parts) == bool(archive):
        raise TemplateInvalid(
            "Send the template either as repeated `files` parts or as one `bundle` archive.",
            code="no_files" if not parts else "files_and_bundle",
        )
    if archive:
        return files_from_archive(getattr(archive, "bundle_path", archive.name), archive.read())
    return files_from_parts(parts)


class PositionOutput(serializers.Serializer):
    x = serializers.FloatField()
    y = serializers.FloatField()
    width = serializers.FloatField()
    height = serializers.FloatField()
    frame = serializers.IntegerField(required=False, help_text="video templates: the frame")


class PreflightWarningOutput(serializers.Serializer):
    """One preflight warning (see docs/engine.md, "Preflight"); fields other than code and message appear
    when they apply."""

    code = serializers.ChoiceField(choices=preflight.CODES)
    message = serializers.CharField()
    prop = serializers.CharField(required=False, help_text="the prop it came from")
    chars = serializers.ListField(child=serializers.CharField(), required=False, help_text="missing_glyph")
    url = serializers.CharField(required=False, help_text="image_unavailable")
    reason = serializers.CharField(
        required=False,
        help_text="image_unavailable: why the bytes were refused; unsupported_class: why the renderer drops the class",
    )
    family = serializers.CharField(required=False, help_text="font_missing")
    file = serializers.CharField(
        required=False,
        help_text="font_missing: the manifest's font file; unsupported_class: the bundle file the class is written in",
    )
    # `class` is a Python keyword: the field is declared through the class body's namespace
    locals()["class"] = serializers.CharField(
        required=False, help_text="unsupported_class: the class or tw token"
    )
    element = serializers.CharField(
        required=False, help_text="unsupported_class: the first element carrying it"
    )
    count = serializers.IntegerField(required=False, help_text="unsupported_class: the elements carrying it")
    line = serializers.IntegerField(required=False, help_text="unsupported_class: the line in file")
    text = serializers.CharField(
        required=False, help_text="text_overflow, low_contrast: the template's own text"
    )
    ratio = serializers.FloatField(required=False, help_text="low_contrast: the WCAG contrast ratio found")
    required = serializers.FloatField(required=False, help_text="low_contrast: 4.5, or 3 for large text")
    color = serializers.CharField(required=False, help_text="low_contrast: the text's rendered color")
    background = serializers.CharField(required=False, help_text="low_contrast: the rendered color behind it")
    frames = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="off_canvas: first and last frame out"
    )
    position = PositionOutput(required=False)


class PreflightOutput(serializers.Serializer):
    warnings = PreflightWarningOutput(many=True)


class LintApi(WriteView):
    """Preflight of a bundle: the same upload as publish, nothing stored or charged."""

    parser_classes = [BundleMultiPartParser]

    class Input(serializers.Serializer):
        files = serializers.ListField(
            child=serializers.FileField(allow_empty_file=True), required=False, help_text="filename = path"
        )
        bundle = serializers.FileField(required=False, help_text=".zip or .tar.gz of the template folder")

    @extend_schema(
        request={"multipart/form-data": Input},
        responses={200: PreflightOutput},
        tags=["templates"],
        operation_id="templates_lint",
        summary="Lint a template bundle",
        description="Warnings about a template bundle before publishing it (missing glyphs, unavailable images, "
        "missing fonts, text overflowing at maxLength, low contrast, text leaving the canvas in a video, Tailwind "
        "classes the renderer ignores); nothing is stored.",
    )
    def post(self, request):
        check_request_size(request._request)
        validated(self.Input, request)
        warnings = services.template_lint(
            files=_bundle_files(request), account=f"renders:user:{request.user.pk}"
        )
        return Response(PreflightOutput({"warnings": warnings}).data)


def _viewer(request):
    return request.user if request.user.is_authenticated else None


class PublishApi(WriteView):
    parser_classes = [BundleMultiPartParser]

    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=104, required=False, help_text="name, or owner/name")
        owner = serializers.CharField(
            max_length=39,
            required=False,
            help_text="publish to this organization (you must be a member); default: the manifest's owner/ or yours",
        )
        version = serializers.CharField(max_length=64, required=False, allow_blank=True)
        description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        private = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="Omit to keep the template's visibility (a new template is public).",
        )
        tags = serializers.ListField(
            child=serializers.CharField(max_length=4000), required=False, max_length=200
        )
        meta = serializers.CharField(max_length=100_000, required=False, help_text="JSON object")
        dryRun = serializers.BooleanField(required=False, default=False)
        files = serializers.ListField(
            child=serializers.FileField(allow_empty_file=True), required=False, help_text="filename = path"
        )
        bundle = serializers.FileField(required=False, help_text=".zip or .tar.gz of the template folder")

    class Output(serializers.Serializer):
        id = serializers.CharField(allow_null=True)
        name = serializers.CharField()
        version = serializers.CharField()
        author = serializers.CharField()
        url = serializers.URLField()
        publishedAt = serializers.DateTimeField(allow_null=True)
        dryRun = serializers.BooleanField()
        files = serializers.ListField(child=serializers.DictField())
        warnings = serializers.ListField(
            child=serializers.CharField(),
            help_text="e.g. the preview already takes much of the render time limit; the lint warnings as text",
        )
        lint = PreflightWarningOutput(
            many=True, help_text="the preflight warnings, as POST /api/templates/lint"
        )

    @extend_schema(
        summary="Publish a template",
        description="Uploads a template bundle (multipart files) as a new version; the first publish creates the template. Answers with the version and any lint warnings.",
        request={"multipart/form-data": Input},
        responses={201: Output, 200: Output},
        tags=["templates"],
        operation_id="templates_publish",
    )
    def post(self, request):
        check_request_size(request._request)
        data = validated(self.Input, request)
        files = _bundle_files(request)
        meta = None
        if data.get("meta"):
            try:
                meta = json.loads(data["meta"])
            except ValueError as exc:
                raise TemplateInvalid("meta is not valid JSON.", code="invalid_meta") from exc
        result = services.template_publish(
            user=request.user,
            files=files,
            name=data.get("name"),
            version=data.get("version") or None,
            description=data.get("description"),
            private=data["private"],
            tags=data.get("tags"),
            meta=meta,
            dry_run=data["dryRun"],
            owner=data.get("owner"),
            actor=actor_of(request),
        )
        author = result.owner.username
        body = {
            "id": result.template.public_id if result.template else None,
            "name": result.name,
            "version": result.version_string,
            "author": author,
            "url": f"{settings.SITE_URL}/{author}/{result.name}",
            "publishedAt": result.published_at,
            "dryRun": result.dry_run,
            "files": result.files,
            "warnings": result.warnings,
            "lint": result.lint,
        }
        return Response(
            self.Output(body).data, status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED
        )


class TemplateListApi(RegistryView):
    class Query(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=selectors.MAX_QUERY_LENGTH)
        type = serializers.ChoiceField(choices=["image", "video"], required=False)
        tags = serializers.CharField(
            required=False, allow_blank=True, max_length=400, help_text="comma-separated, all must match"
        )
        author = serializers.CharField(required=False, max_length=39)
        category = serializers.ChoiceField(choices=CATEGORY_SLUGS, required=False)
        sort = serializers.ChoiceField(choices=selectors.SORTS, required=False)
        page = serializers.IntegerField(required=False, min_value=1, max_value=100_000, default=1)
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=selectors.MAX_LIMIT, default=20
        )

    @extend_schema(
        summary="Search templates",
        parameters=[Query],
        responses={200: TemplatePageOutput},
        tags=["templates"],
        operation_id="templates_list",
    )
    def get(self, request):
        # a plain dict, not the QueryDict: DRF would read "?type=" as "not given", and the schema
        # (and a typo check) want an empty choice to be an error
        query = self.Query(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        params["tags"] = [t.strip() for t in params.get("tags", "").split(",") if t.strip()]
        result = selectors.template_list(**params)
        return Response(TemplatePageOutput(result).data)


class TemplateDetailApi(RegistryView):
    account_role = {"SAFE": "member", "PATCH": "member", "DELETE": "admin"}

    class Patch(serializers.Serializer):
        description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        tags = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, max_length=50
        )
        private = serializers.BooleanField(required=False)
        category = serializers.ChoiceField(
            choices=CATEGORY_SLUGS, required=False, allow_blank=True, help_text="empty: no category"
        )

    @extend_schema(
        summary="Get a template",
        parameters=[OpenApiParameter("version", str, description="a version; default latest")],
        responses={200: TemplateDetailOutput},
        tags=["templates"],
    )
    def get(self, request, username: str, name: str):
        template = selectors.template_get(username=username, name=name, viewer=_viewer(request))
        version = selectors.version_get(template=template, version=request.query_params.get("version"))
        context = {"version": version, "viewer": _viewer(request)}
        return Response(TemplateDetailOutput(template, context=context).data)

    @extend_schema(
        summary="Update a template", request=Patch, responses={200: TemplateDetailOutput}, tags=["templates"]
    )
    def patch(self, request, username: str, name: str):
        template = selectors.template_owned(username=username, name=name, user=request.user)
        data = validated(self.Patch, request)
        template = services.template_update(template=template, user=request.user, **data)
        return Response(TemplateDetailOutput(template, context={"viewer": request.user}).data)

    @extend_schema(
        summary="Unpublish a template",
        responses={204: None},
        tags=["templates"],
        description="Unpublish: hidden from everyone.",
    )
    def delete(self, request, username: str, name: str):
        template = selectors.template_owned(username=username, name=name, user=request.user)
        services.template_unpublish(template=template, actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateVersionsApi(RegistryView):
    @extend_schema(summary="List versions", responses={200: VersionOutput(many=True)}, tags=["templates"])
    def get(self, request, username: str, name: str):
        template = selectors.template_get(username=username, name=name, viewer=_viewer(request))
        return Response(VersionOutput(selectors.version_list(template=template), many=True).data)


class VersionDetailApi(RegistryView):
    class Patch(serializers.Serializer):
        deprecated = serializers.CharField(
            max_length=500,
            allow_blank=True,
            required=False,
            help_text="Deprecate with this message (shown to whoever renders the version); empty takes it back.",
        )
        yanked = serializers.BooleanField(
            required=False,
            help_text="Yank (withdraw) the version; false takes it back. Never 'latest' while yanked.",
        )
        reason = serializers.CharField(
            max_length=500, allow_blank=True, required=False, help_text="Why it was yanked."
        )

        def validate(self, attrs):
            if "deprecated" not in attrs and "yanked" not in attrs:
                raise serializers.ValidationError({"deprecated": ["Send deprecated and/or yanked."]})
            return attrs

    @extend_schema(
        summary="Deprecate or yank a version",
        request=Patch,
        responses={200: VersionOutput},
        tags=["templates"],
    )
    def patch(self, request, username: str, name: str, version: str):
        template = selectors.template_owned(username=username, name=name, user=request.user)
        data = validated(self.Patch, request)
        row = services.version_status_set(
            version=selectors.version_exact(template=template, version=version),
            deprecated=data.get("deprecated"),
            yanked=data.get("yanked"),
            reason=data.get("reason", ""),
        )
        return Response(VersionOutput(row).data)


class DownloadApi(RegistryView):
    @extend_schema(
        summary="Download a template bundle",
        parameters=[OpenApiParameter("version", str)],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        tags=["templates"],
    )
    def get(self, request, username: str, name: str):
        template = selectors.template_get(username=username, name=name, viewer=_viewer(request))
        version = selectors.version_get(template=template, version=request.query_params.get("version"))
        visitor = (
            f"user:{request.user.pk}"
            if request.user.is_authenticated
            else f"ip:{request.META.get('REMOTE_ADDR')}"
        )
        services.download_count(template=template, version=version, visitor=visitor)
        response = HttpResponse(services.bundle_zip(version=version), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{template.name}-{version.version}.zip"'
        return response


class StarApi(WriteView):
    class Output(serializers.Serializer):
        starred = serializers.BooleanField()
        stars = serializers.IntegerField()

    def _answer(self, template: Template, starred: bool, status_code: int) -> Response:
        template.refresh_from_db(fields=["stars"])
        return Response(self.Output({"starred": starred, "stars": template.stars}).data, status=status_code)

    @extend_schema(
        summary="Star a template",
        description="Stars the template for the caller; starring twice is answered 200 with the same count.",
        request=None,
        responses={201: Output, 200: Output},
        tags=["templates"],
    )
    def post(self, request, username: str, name: str):
        template = selectors.template_get(username=username, name=name, viewer=request.user)
        created = services.star_add(user=request.user, template=template)
        return self._answer(template, True, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Remove your star",
        description="Removes the caller's star from the template, if there was one.",
        responses={200: Output},
        tags=["templates"],
    )
    def delete(self, request, username: str, name: str):
        template = selectors.template_get(username=username, name=name, viewer=request.user)
        services.star_remove(user=request.user, template=template)
        return self._answer(template, False, status.HTTP_200_OK)


class UserProfileApi(RegistryView):
    class Output(serializers.Serializer):
        username = serializers.CharField()
        kind = serializers.CharField(
            help_text="person or org: profiles and template URLs work alike for both"
        )
        name = serializers.CharField()
        avatar = serializers.CharField()
        bio = serializers.CharField()
        templates = TemplateOutput(many=True)
        stats = serializers.DictField(child=serializers.IntegerField())

    @extend_schema(summary="Get a user's profile", responses={200: Output}, tags=["users"])
    def get(self, request, username: str):
        owner = user_get_by_username(username=username)
        if owner is None:
            raise NotFound(f"No user {username}.")
        body = {
            "username": owner.username,
            "kind": owner.kind,
            "name": owner.name,
            "avatar": owner.avatar_url,
            "bio": owner.bio,
            "templates": selectors.user_templates(owner=owner, include_private=False),
            "stats": selectors.user_public_stats(owner=owner),
        }
        return Response(self.Output(body).data)


class MyTemplatesApi(APIView):
    required_scopes = "templates:read"

    @extend_schema(
        summary="List your templates",
        description="Every template you own, private and unpublished ones included.",
        responses={200: TemplateOutput(many=True)},
        tags=["templates"],
    )
    def get(self, request):
        templates = selectors.user_templates(owner=request.user, include_private=True)
        return Response(TemplateOutput(templates, many=True).data)


class UsageApi(APIView):
    required_scopes = "render:read"

    @extend_schema(
        summary="Get your usage",
        description="This month's renders and publishes against your plan's limits, and when the quota resets.",
        responses={200: OpenApiTypes.OBJECT},
        tags=["billing"],
        operation_id="me_usage",
    )
    def get(self, request):
        return Response(selectors.account_usage(user=request.user))
