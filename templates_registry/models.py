from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from core.ids import public_id
from templates_registry.categories import CATEGORIES

NAME_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def new_template_id() -> str:
    return public_id("tpl")


class Tag(models.Model):
    name = models.CharField(max_length=32, unique=True)

    def __str__(self) -> str:
        return self.name


class Template(models.Model):
    """A published template: ``owner/name``. Its versions are immutable; the row carries what
    discovery needs (latest version, counters, search vector) so lists stay one query."""

    public_id = models.CharField(max_length=32, unique=True, default=new_template_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="templates")
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True, max_length=2000)
    type = models.CharField(max_length=10)  # image | video
    private = models.BooleanField(default=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="templates")
    latest_version = models.ForeignKey(
        "TemplateVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    downloads = models.PositiveIntegerField(default=0)
    renders = models.PositiveIntegerField(default=0)
    stars = models.PositiveIntegerField(default=0)
    featured = models.BooleanField(default=False)
    # One of categories.SLUGS, from the manifest's "category" (blank: none given); the browse shelves.
    category = models.CharField(
        max_length=32, blank=True, default="", db_index=True, choices=[(c.slug, c.label) for c in CATEGORIES]
    )
    # Unpublished templates keep their rows (and name) but are invisible to everyone.
    unpublished_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)  # maintained on PostgreSQL only
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="template_unique_owner_name"),
            models.CheckConstraint(condition=models.Q(name__regex=NAME_PATTERN), name="template_name_kebab"),
            models.CheckConstraint(
                condition=models.Q(type__in=["image", "video"]), name="template_type_valid"
            ),
        ]
        # Discovery's sorts, each exactly as selectors._ordering spells it (ties broken by id), over the
        # listed rows only: a page of a sorted list is read from the index instead of sorting them all.
        indexes = [
            models.Index(
                (models.F("downloads") + models.F("renders") + models.F("stars") * 10).desc(),
                models.F("published_at").desc(),
                models.F("id").desc(),
                name="template_listed_popular",
                condition=models.Q(private=False, unpublished_at=None),
            ),
            models.Index(
                models.F("published_at").desc(),
                models.F("id").desc(),
                name="template_listed_recent",
                condition=models.Q(private=False, unpublished_at=None),
            ),
            models.Index(
                models.F("downloads").desc(),
                models.F("id").desc(),
                name="template_listed_downloads",
                condition=models.Q(private=False, unpublished_at=None),
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def slug(self) -> str:
        return f"{self.owner.username}/{self.name}"


class TemplateVersion(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=64)
    # Numeric parts for ordering: "1.10.0" sorts after "1.9.0"; a prerelease before its release.
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    patch = models.PositiveIntegerField()
    prerelease = models.CharField(max_length=64, blank=True)
    is_prerelease = models.BooleanField(default=False)
    manifest = models.JSONField()  # the engine's normalized manifest
    files = models.JSONField()  # [{"path", "checksum", "size"}], blobs stored by checksum
    checksum = models.CharField(max_length=64)  # the engine's bundle checksum
    size = models.PositiveIntegerField(default=0)
    preview = models.CharField(max_length=255, blank=True)  # storage name of the PNG preview
    preview_video = models.CharField(max_length=255, blank=True)  # storage name of the MP4 preview
    downloads = models.PositiveIntegerField(default=0)
    # Deprecated: still rendered when asked for by number, with a warning; never "latest".
    deprecated = models.CharField(max_length=500, blank=True)  # the message shown to those who use it
    deprecated_at = models.DateTimeField(null=True, blank=True)
    # Yanked: withdrawn (broken, harmful). Never "latest"; a URL or job pinned to it still renders,
    # with the warning, so images already in pages keep working (Cargo's rule).
    yanked_at = models.DateTimeField(null=True, blank=True)
    yank_reason = models.CharField(max_length=500, blank=True)
    # CPU the publish preview took (the render child's measure): heavy templates are flagged (admin)
    preview_cpu_ms = models.PositiveIntegerField(null=True, blank=True)
    # This version's notes: its section of the bundle's CHANGELOG.md (Markdown), read at publish.
    changelog = models.TextField(blank=True, default="")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="version_unique_per_template"),
        ]
        ordering = ["-major", "-minor", "-patch", "is_prerelease", "-prerelease"]

    def __str__(self) -> str:
        return f"{self.template_id}@{self.version}"


class Star(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stars")
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="star_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "template"], name="star_unique_user_template")]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.template_id}"
