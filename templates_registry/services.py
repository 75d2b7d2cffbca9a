"""Writes for the registry: publish, edit, unpublish, deprecate, star, count downloads."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Concat, Replace
from django.utils import timezone

from accounts import audit
from accounts.acting import AccountMismatch, org_for_member
from accounts.models import User
from billing.models import Usage
from billing.services import private_templates_allowed_or_raise, template_count_allowed_or_raise, usage_record
from core import files as stored_files
from core import hotcache
from core.renderpool.preflight import preflight_lint
from loopwind import engine
from moderation.errors import TemplateRemoved
from moderation.selectors import violation_reason
from templates_registry import semver
from templates_registry.categories import SLUGS as CATEGORY_SLUGS
from templates_registry.changelog import changelog_for
from templates_registry.errors import SmokeRenderFailed, TemplateInvalid, VersionExists
from templates_registry.models import NAME_PATTERN, Star, Tag, Template, TemplateVersion
from templates_registry.previews import HEAVY_SHARE, render_still, render_video_preview
from templates_registry.signals import version_published

logger = logging.getLogger(__name__)

MAX_TAGS = 10
TAG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"


def blob_name(checksum: str) -> str:
    return f"blobs/{checksum[:2]}/{checksum}"


@dataclass
class PublishResult:
    template: Template | None
    version: TemplateVersion | None
    dry_run: bool
    name: str
    version_string: str
    manifest: dict
    files: list[dict] = field(default_factory=list)
    published_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)
    lint: list[dict] = field(default_factory=list)  # preflight warnings (loopwind.engine.preflight)
    owner: User | None = None  # the account it went to (a person's, or an organization's)


def normalize_tags(raw: list[str] | str | None) -> list[str] | None:
    if raw is None:
        return None
    items = raw.split(",") if isinstance(raw, str) else [t for item in raw for t in str(item).split(",")]
    tags = list(dict.fromkeys(t.strip().lower() for t in items if t.strip()))
    if len(tags) > MAX_TAGS:
        raise TemplateInvalid(
            f"At most {MAX_TAGS} tags.",
            code="too_many_tags",
            details={"fields": {"tags": [f"max {MAX_TAGS}"]}},
        )
    bad = [t for t in tags if not re.fullmatch(TAG_PATTERN, t)]
    if bad:
        raise TemplateInvalid(
            f"Invalid tag {bad[0][:40]!r}: tags are 1–32 lowercase letters, digits or dashes.",
            code="invalid_tag",
            details={"fields": {"tags": [f"invalid: {bad[0][:40]}"]}},
        )
    return tags


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name) or len(name) > 64:
        raise TemplateInvalid(
            "Template names are kebab-case: lowercase letters and digits in words joined by single dashes "
            "(like og-card), at most 64 characters.",
            code="invalid_name",
            details={"fields": {"name": ["not kebab-case"]}},
        )
    return name


def _check_meta_agrees(meta: dict | None, manifest: dict) -> None:
    """The spec's publish payload repeats the manifest as ``meta``; when sent it must agree."""
    if not meta:
        return
    if not isinstance(meta, dict):
        raise TemplateInvalid("meta must be a JSON object.", code="invalid_meta")
    for key in ("type", "size", "video"):
        if key in meta and meta[key] != manifest.get(key):
            raise TemplateInvalid(
                f"meta.{key} does not agree with loopwind.json ({manifest.get(key)!r}).",
                code="meta_mismatch",
                details={"field": f"meta.{key}", "manifest": manifest.get(key), "meta": meta[key]},
            )
    if "props" in meta:
        sent = meta["props"] if isinstance(meta["props"], dict) else {}
        if set(sent) != set(manifest.get("props", {})):
            raise TemplateInvalid(
                "meta.props names other props than loopwind.json.",
                code="meta_mismatch",
                details={
                    "field": "meta.props",
                    "manifest": sorted(manifest.get("props", {})),
                    "meta": sorted(sent),
                },
            )


def check_category(value) -> str:
    """A category slug from the fixed list (categories.py), lowercased; '' for none."""
    if value is None or value == "":
        return ""
    slug = value.strip().lower() if isinstance(value, str) else None
    if slug not in CATEGORY_SLUGS:
        raise TemplateInvalid(
            f"Unknown category {str(value)[:40]!r}; use one of {', '.join(CATEGORY_SLUGS)}.",
            code="invalid_category",
            details={"fields": {"category": ["unknown"]}, "allowed": list(CATEGORY_SLUGS)},
        )
    return slug


def _engine_error(exc: engine.EngineError) -> TemplateInvalid:
    return TemplateInvalid(exc.message, code=exc.code, details=exc.details)


def _next_version(template: Template | None, requested: str | None) -> semver.Version:
    if requested:
        parsed = semver.parse(requested)
        if parsed is None:
            raise TemplateInvalid(
                f"{requested[:64]!r} is not a semantic version like 1.2.0.",
                code="invalid_version",
                details={"fields": {"version": ["not semver"]}},
            )
        return parsed
    latest = template.versions.first() if template else None  # ordered newest first
    if latest is None:
        return semver.Version(1, 0, 0, "")
    return semver.Version(latest.major, latest.minor, latest.patch, latest.prerelease).next_patch()


def _visibility(template: Template | None, private: bool | None) -> bool:
    """What a publish makes the template: as asked, else as it is, else (a new one) public."""
    if private is not None:
        return private
    return template.private if template is not None else False


def _check_plan(user: User, *, existing: Template | None, private: bool) -> None:
    if private:
        private_templates_allowed_or_raise(user)
    if existing is None or existing.unpublished_at is not None:
        published = Template.objects.filter(owner=user, unpublished_at=None).count()
        template_count_allowed_or_raise(user, published=published)


def _check_not_removed(template: Template | None) -> None:
    """A template staff marked as violating stays hidden: publishing its name again is refused
    (403) until staff clear the mark."""
    reason = violation_reason(template_id=template.pk) if template is not None else None
    if reason is not None:
        raise TemplateRemoved(
            f"{template.name} was removed by moderators and cannot be published again: {reason}",
            details={"reason": reason},
        )


def template_publish(
    *,
    user: User,
    files: dict[str, bytes],
    name: str | None = None,
    version: str | None = None,
    description: str | None = None,
    private: bool | None = None,
    tags: list[str] | str | None = None,
    meta: dict | None = None,
    dry_run: bool = False,
    owner: str | None = None,
    actor: User | None = None,
) -> PublishResult:
    """Validate the bundle with the engine, smoke-render it, store files and previews, and
    record the version. Either everything lands or nothing does (rows and files).

    ``private``, ``description`` and ``tags`` left as None keep what the template has (a new
    version of a private template stays private); a new template takes public, and the
    manifest's description and tags."""
    try:
        bundle = engine.load_bundle(files)
    except engine.BundleError as exc:
        raise _engine_error(exc) from exc
    manifest = bundle.manifest_dict()
    owner_prefix, _, name = (name or bundle.name).rpartition("/")
    user = publish_account(account=user, actor=actor, owner=owner or owner_prefix)
    name = _check_name(name)
    _check_meta_agrees(meta, manifest)
    category = check_category(manifest.get("category"))
    tag_list = normalize_tags(tags)
    if description is not None:
        description = description.strip()[:2000]

    existing = Template.objects.filter(owner=user, name=name).first()
    _check_not_removed(existing)
    _check_plan(user, existing=existing, private=_visibility(existing, private))
    parsed_version = _next_version(existing, version)
    if existing and existing.versions.filter(version=str(parsed_version)).exists():
        raise VersionExists(details={"version": str(parsed_version)})

    started = time.monotonic()
    try:
        still = render_still(bundle)
    except engine.EngineError as exc:
        raise SmokeRenderFailed(f"The template did not render: {exc.message}", details=exc.to_dict()) from exc
    warnings = _cost_warnings(still.cpu_ms)
    # The preview and the lint share one render's time limit, so a publish answers within it (plus a
    # second's grace for the lint) however slow the template: a slow machine or a hostile template.
    lint_seconds = max(LINT_MIN_SECONDS, settings.RENDER_TIME_LIMIT - (time.monotonic() - started))
    lint = _publish_lint(bundle, f"renders:user:{user.pk}", wall_seconds=lint_seconds)
    warnings += [f"{w['code']}: {w['message']}" for w in lint]

    file_rows = [
        {"path": path, "checksum": hashlib.sha256(content).hexdigest(), "size": len(content)}
        for path, content in sorted(bundle.files.items())
    ]
    result = PublishResult(
        None,
        None,
        dry_run,
        name,
        str(parsed_version),
        manifest,
        file_rows,
        warnings=warnings,
        lint=lint,
        owner=user,
    )
    if dry_run:
        return result

    written: list[str] = []
    try:
        for row in file_rows:
            if stored_files.file_save(blob_name(row["checksum"]), bundle.files[row["path"]]):
                written.append(blob_name(row["checksum"]))
        if stored := preview_store(still.png, "png"):
            written.append(stored)
        preview_names = {"png": preview_name(still.png, "png")}
        template, version_row = _record_version(
            user=user,
            name=name,
            bundle=bundle,
            manifest=manifest,
            parsed_version=parsed_version,
            file_rows=file_rows,
            preview_names=preview_names,
            description=description,
            private=private,
            tags=tag_list,
            category=category,
            changelog=changelog_for(bundle.files, str(parsed_version)),
            preview_cpu_ms=still.cpu_ms,
        )
    except Exception:
        # Nothing half-published: files this attempt wrote go again. (Blobs are content-addressed,
        # so a file another version already references was not "written" here and stays.)
        for name_written in written:
            stored_files.file_delete(name_written)
        raise
    result.template, result.version, result.published_at = template, version_row, version_row.published_at
    usage_record(user=user, usage_type=Usage.Type.PUBLISH)
    audit.record(account=user, actor=actor, action="template.published", target=f"{name}@{parsed_version}",
                 private=template.private)  # fmt: skip
    if bundle.type == "video":  # its MP4 preview is the worker's job (rendering listens)
        version_published.send(sender=TemplateVersion, version=version_row)
    return result


def template_lint(*, files: dict[str, bytes], account: str = "") -> list[dict]:
    """Preflight warnings of a bundle (``POST /api/templates/lint``), in a render child; an invalid
    bundle is the publish's 400, a template that fails to render the publish's 422."""
    try:
        return preflight_lint(files, account=account)
    except engine.BundleError as exc:
        raise _engine_error(exc) from exc
    except engine.EngineError as exc:
        raise SmokeRenderFailed(f"The template did not render: {exc.message}", details=exc.to_dict()) from exc


LINT_CACHE_SECONDS = 24 * 3600


def lint_cache_key(checksum: str) -> str:
    """Where a bundle's lint warnings are kept (the publish puts them there for the template page)."""
    return f"preflight:lint:{checksum}"


LINT_MIN_SECONDS = 1.0


def _publish_lint(bundle: engine.Bundle, account: str, *, wall_seconds: float) -> list[dict]:
    """Publish reports the lint warnings too; a preflight that fails (or runs out of its time) never
    fails the publish."""
    try:
        warnings = preflight_lint(bundle, account=account, wall_seconds=wall_seconds)
    except Exception:
        logger.warning("preflight of %s failed; publishing without its warnings", bundle.name, exc_info=True)
        return []
    try:
        cache.set(lint_cache_key(bundle.checksum), warnings, timeout=LINT_CACHE_SECONDS)
    except Exception:  # the cache only saves the template page a preflight
        logger.warning("lint warnings of %s not cached", bundle.name, exc_info=True)
    return warnings


def _cost_warnings(cpu_ms: int) -> list[str]:
    """A template whose preview, at its own examples, already takes a large share of the render time
    limit will time out for other props: the author is told, and staff see it flagged."""
    limit_ms = settings.RENDER_TIME_LIMIT * 1000
    if cpu_ms <= HEAVY_SHARE * limit_ms:
        return []
    return [
        f"The preview took {cpu_ms / 1000:.1f} s of render time, over {HEAVY_SHARE:.0%} of the "
        f"{settings.RENDER_TIME_LIMIT} s a render may take: renders with longer or larger props may time out."
    ]


def preview_name(content: bytes, kind: str) -> str:
    digest = hashlib.sha256(content).hexdigest()
    return f"previews/{digest[:2]}/{digest}.{kind}"


def preview_store(content: bytes, kind: str) -> str | None:
    """Stores a preview by its checksum; its name when this call wrote it (None: already there)."""
    name = preview_name(content, kind)
    return name if stored_files.file_save(name, content) else None


def version_preview_video_render(*, version_id: int) -> str:
    """The worker renders a video version's MP4 preview after its publish (once: a stored preview is
    kept). Returns the storage name, or "" for a template too long for one."""
    version = TemplateVersion.objects.select_related("template").get(pk=version_id)
    if version.preview_video:
        return version.preview_video
    files = {row["path"]: stored_files.file_read(blob_name(row["checksum"])) for row in version.files}
    mp4 = render_video_preview(engine.load_bundle(files))
    if mp4 is None:
        return ""
    preview_store(mp4, "mp4")
    name = preview_name(mp4, "mp4")
    TemplateVersion.objects.filter(pk=version.pk, preview_video="").update(preview_video=name)
    hotcache.forget(version.template.owner_id)  # .update() sends no post_save
    return name


@transaction.atomic
def _record_version(*, user, name, bundle, manifest, parsed_version, file_rows, preview_names, description,
                    private, tags, category, changelog, preview_cpu_ms) -> tuple[Template, TemplateVersion]:  # fmt: skip
    User.objects.select_for_update().filter(pk=user.pk).first()  # one publish per user at a time
    template = Template.objects.select_for_update().filter(owner=user, name=name).first()
    _check_not_removed(template)  # again under the lock: staff may have marked it meanwhile
    private = _visibility(template, private)
    _check_plan(user, existing=template, private=private)
    now = timezone.now()
    if template is None:
        template = Template.objects.create(
            owner=user,
            name=name,
            description=description if description is not None else (bundle.description or "").strip()[:2000],
            type=bundle.type,
            private=private,
            category=category,
            published_at=now,
        )
        if tags is None:
            tags = normalize_tags(list(bundle.tags))
    else:
        if description is not None:
            template.description = description
        template.type = bundle.type
        template.private = private
        template.unpublished_at = None
        template.published_at = now
        if category:  # a manifest naming a category moves the template; one naming none keeps it
            template.category = category
    try:
        with transaction.atomic():
            version_row = TemplateVersion.objects.create(
                template=template,
                version=str(parsed_version),
                major=parsed_version.major,
                minor=parsed_version.minor,
                patch=parsed_version.patch,
                prerelease=parsed_version.prerelease,
                is_prerelease=bool(parsed_version.prerelease),
                manifest=manifest,
                files=file_rows,
                checksum=bundle.checksum,
                size=sum(row["size"] for row in file_rows),
                preview=preview_names.get("png", ""),
                preview_cpu_ms=preview_cpu_ms,
                changelog=changelog,
                published_at=now,
            )
    except IntegrityError as exc:  # a concurrent publish of the same version won
        raise VersionExists(details={"version": str(parsed_version)}) from exc
    template.latest_version = latest_version_pick(template)
    template.save()
    if tags is not None:
        _set_tags(template, tags)
    _update_search_vector(template)
    return template, version_row


def _set_tags(template: Template, tags: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=tags)}
    missing = [Tag(name=t) for t in tags if t not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    template.tags.set(Tag.objects.filter(name__in=tags))


def search_vector_expression() -> SearchVector:
    """The stored search vector of a template row, computed in SQL from its columns: name and tags
    weigh most, then the description, then the author. Usable in ``update()`` on any queryset."""
    tags_text = Subquery(
        Template.tags.through.objects.filter(template=OuterRef("pk"))
        .order_by()
        .values("template")
        .annotate(text=StringAgg("tag__name", " ", order_by="tag__name"))
        .values("text"),
        output_field=TextField(),
    )
    username = Subquery(User.objects.filter(pk=OuterRef("owner_id")).values("username"))
    return (
        SearchVector(
            Concat(Replace(F("name"), Value("-"), Value(" ")), Value(" "), F("name")),
            weight="A",
            config="english",
        )
        + SearchVector(tags_text, weight="A", config="english")
        + SearchVector("description", weight="B", config="english")
        + SearchVector(username, weight="C", config="simple")
    )


def search_vectors_update(queryset: QuerySet[Template]) -> int:
    """Recomputes the search vectors of the templates in ``queryset`` in one UPDATE (PostgreSQL
    only; SQLite searches with plain substring matching instead). Returns the rows updated."""
    if not settings.USING_POSTGRES:
        return 0
    return queryset.update(search_vector=search_vector_expression())


def _update_search_vector(template: Template) -> None:
    search_vectors_update(Template.objects.filter(pk=template.pk))


@transaction.atomic
def template_update(*, template: Template, user: User, **fields) -> Template:
    if "private" in fields and fields["private"] is not None and fields["private"] != template.private:
        if fields["private"]:
            private_templates_allowed_or_raise(user)
        template.private = fields["private"]
    if fields.get("description") is not None:
        template.description = fields["description"].strip()[:2000]
    if fields.get("category") is not None:
        template.category = check_category(fields["category"])
    template.save()
    if fields.get("tags") is not None:
        _set_tags(template, normalize_tags(fields["tags"]) or [])
    _update_search_vector(template)
    return template


def publish_account(*, account: User, actor: User | None, owner: str | None) -> User:
    """The account a publish goes to: the caller's own, or the organization that ``owner`` names (the
    API's ``owner``, or the ``acme/`` of a name), which the person publishing must belong to."""
    slug = (owner or "").strip().lower()
    if not slug or slug == account.username:
        return account
    if account.is_org or actor is None or actor.is_org:
        raise AccountMismatch(
            f"This publishes as {account.username}; it cannot publish to {slug}.",
            details={"account": account.username, "owner": slug},
        )
    org, _role = org_for_member(user=actor, slug=slug)
    return org


@transaction.atomic
def template_unpublish(*, template: Template, actor: User | None = None) -> None:
    """Hides the template and all its versions from everyone (404), renders included. Rows and
    files stay, so nothing that was published can be replaced under the same name and version:
    publishing the name again brings the template back with a new version."""
    template.unpublished_at = timezone.now()
    template.featured = False
    template.save(update_fields=["unpublished_at", "featured", "updated_at"])
    audit.record(account=template.owner, actor=actor, action="template.unpublished", target=template.name)


def latest_version_pick(template: Template) -> TemplateVersion | None:
    """What "latest" means: the newest release that is neither deprecated nor yanked; failing
    that the newest release not yanked (a template whose every version is deprecated still
    renders), then the newest prerelease not yanked; None when every version is yanked."""
    live = template.versions.filter(yanked_at=None)
    return (
        live.filter(is_prerelease=False, deprecated_at=None).first()
        or live.filter(is_prerelease=False).first()
        or live.first()
    )


@transaction.atomic
def version_status_set(
    *, version: TemplateVersion, deprecated: str | None = None, yanked: bool | None = None, reason: str = ""
) -> TemplateVersion:
    """Deprecates a version with a message ("" takes it back) and/or yanks it (False takes it back),
    then moves "latest" to the version that should now be it."""
    template = Template.objects.select_for_update().get(pk=version.template_id)
    now = timezone.now()
    if deprecated is not None:
        version.deprecated = deprecated.strip()[:500]
        version.deprecated_at = (version.deprecated_at or now) if version.deprecated else None
    if yanked is not None:
        version.yanked_at = (version.yanked_at or now) if yanked else None
        version.yank_reason = reason.strip()[:500] if yanked else ""
    version.save(update_fields=["deprecated", "deprecated_at", "yanked_at", "yank_reason"])
    template.latest_version = latest_version_pick(template)
    template.save(update_fields=["latest_version", "updated_at"])
    return version


@transaction.atomic
def star_add(*, user: User, template: Template) -> bool:
    _, created = Star.objects.get_or_create(user=user, template=template)
    if created:
        Template.objects.filter(pk=template.pk).update(stars=F("stars") + 1)
    return created


@transaction.atomic
def star_remove(*, user: User, template: Template) -> bool:
    deleted, _ = Star.objects.filter(user=user, template=template).delete()
    if deleted:
        Template.objects.filter(pk=template.pk).update(stars=F("stars") - 1)
    return bool(deleted)


def download_count(*, template: Template, version: TemplateVersion, visitor: str) -> bool:
    """Counts a download once per visitor (user id or IP) per template and day."""
    day = timezone.now().date().isoformat()
    key = f"dl:{template.pk}:{day}:{hashlib.sha256(visitor.encode()).hexdigest()[:32]}"
    try:
        if not cache.add(key, 1, timeout=26 * 3600):
            return False
    except Exception:  # the cache is down: serve the download, count it later never
        logger.warning("download counter unavailable", exc_info=True)
        return False
    Template.objects.filter(pk=template.pk).update(downloads=F("downloads") + 1)
    TemplateVersion.objects.filter(pk=version.pk).update(downloads=F("downloads") + 1)
    return True


def bundle_zip(*, version: TemplateVersion) -> bytes:
    """The version's files as a zip, deterministic (fixed timestamps, sorted)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for row in sorted(version.files, key=lambda r: r["path"]):
            info = zipfile.ZipInfo(row["path"], date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, stored_files.file_read(blob_name(row["checksum"])))
    return buffer.getvalue()
