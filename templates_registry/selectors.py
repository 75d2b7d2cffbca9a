"""Reads for the registry. Visibility lives here: private templates exist only for their owner,
unpublished ones for nobody; everything else gets a 404, never a 403, so names do not leak."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum

from accounts.models import Membership, User
from billing.selectors import usage_summary
from core import files as stored_files
from core.errors import ApiError, Forbidden, NotFound
from templates_registry.categories import CATEGORIES, Category
from templates_registry.categories import SLUGS as CATEGORY_SLUGS
from templates_registry.models import Template, TemplateVersion
from templates_registry.services import blob_name

logger = logging.getLogger(__name__)
SORTS = ("popular", "recent", "downloads", "relevance")
MAX_QUERY_LENGTH = 200
MAX_LIMIT = 100


class InvalidQuery(ApiError):
    code = "invalid_query"


def _base(*, tags: bool = True) -> QuerySet[Template]:
    queryset = (
        Template.objects.filter(unpublished_at=None)
        .select_related("owner", "latest_version")
        .defer("search_vector")  # only searches read it, inside the database
    )
    return queryset.prefetch_related("tags") if tags else queryset


def template_visible_q(viewer) -> Q:
    """Public templates, the viewer's own, and those of the organizations the viewer belongs to."""
    if viewer is not None and viewer.is_authenticated:
        orgs = Membership.objects.filter(user=viewer).values("org_id")
        return Q(private=False) | Q(owner=viewer) | Q(owner_id__in=orgs)
    return Q(private=False)


@dataclass
class TemplatePage:
    templates: list[Template]
    total: int
    page: int
    pages: int


def template_list(
    *,
    q: str = "",
    type: str | None = None,  # noqa: A002
    tags: list[str] | None = None,
    author: str | None = None,
    category: str | None = None,
    sort: str | None = None,
    page: int = 1,
    limit: int = 20,
) -> TemplatePage:
    """Public templates only: search never shows private ones, not even to their owner."""
    q = (q or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidQuery(f"The search query is longer than {MAX_QUERY_LENGTH} characters.")
    if sort and sort not in SORTS:
        raise InvalidQuery(f"sort must be one of {', '.join(SORTS)}.", details={"allowed": list(SORTS)})
    if type and type not in ("image", "video"):
        raise InvalidQuery("type must be image or video.")
    if not (1 <= limit <= MAX_LIMIT) or page < 1:
        raise InvalidQuery(f"page starts at 1 and limit is 1–{MAX_LIMIT}.")
    if category and category not in CATEGORY_SLUGS:
        raise InvalidQuery(
            f"category must be one of {', '.join(CATEGORY_SLUGS)}.", details={"allowed": list(CATEGORY_SLUGS)}
        )
    queryset = Template.objects.filter(unpublished_at=None, private=False)
    if type:
        queryset = queryset.filter(type=type)
    if category:
        queryset = queryset.filter(category=category)
    if author:
        queryset = queryset.filter(owner__username=author.lower())
    for tag in (tags or [])[:10]:
        queryset = queryset.filter(tags__name=tag.lower())
    if q:
        queryset = _search(queryset, q)
    sort = sort or ("relevance" if q else "popular")
    ordering = _ordering(sort, searching=bool(q))
    total = queryset.count()
    offset = (page - 1) * limit
    # Two steps in one query: the page's ids are chosen on the template table alone (sorted by an index,
    # or among the search matches, without dragging owners, versions and manifests through the sort);
    # only those rows are then joined and read, in the same order.
    page_ids = queryset.order_by(*ordering).values("pk")[offset : offset + limit]
    rows = _base().filter(pk__in=page_ids)
    if q and settings.USING_POSTGRES:
        rows = rows.annotate(relevance=_relevance(q))
    return TemplatePage(list(rows.order_by(*ordering)), total, page, max(1, math.ceil(total / limit)))


def _relevance(q: str):
    return SearchRank(F("search_vector"), _search_query(q)) + TrigramSimilarity("name", q)


def _search_query(q: str) -> SearchQuery:
    return SearchQuery(q, search_type="websearch", config="english")


def _search(queryset: QuerySet[Template], q: str) -> QuerySet[Template]:
    if settings.USING_POSTGRES:
        # The matches are the union of two subqueries, each answered by its own GIN index: with both
        # conditions ORed in one WHERE, the planner prices the trigram operator as cheap and often reads
        # every row instead (ten times slower on 10 000 templates).
        words = Template.objects.filter(search_vector=_search_query(q)).values("pk")
        names = Template.objects.filter(name__trigram_similar=q).values("pk")
        return queryset.annotate(relevance=_relevance(q)).filter(pk__in=words.union(names))
    # SQLite (the embedded default): every word must appear in the name, description, tags or author.
    for word in q.split()[:10]:
        queryset = queryset.filter(
            Q(name__icontains=word)
            | Q(description__icontains=word)
            | Q(tags__name__icontains=word)
            | Q(owner__username__icontains=word)
        )
    return queryset.distinct()


def _ordering(sort: str, *, searching: bool) -> list:
    popular = (F("downloads") + F("renders") + F("stars") * 10).desc()
    if sort == "relevance" and searching:
        if settings.USING_POSTGRES:
            return [F("relevance").desc(), popular, "-pk"]
        return [popular, "-pk"]
    if sort == "recent":
        return ["-published_at", "-pk"]
    if sort == "downloads":
        return ["-downloads", "-pk"]
    return [popular, "-published_at", "-pk"]


@dataclass
class CategoryShelf:
    category: Category
    count: int


def category_shelves() -> list[CategoryShelf]:
    """Every category with its number of listed templates (one query), in the fixed order; empty
    shelves included, so links never appear and disappear as templates come and go."""
    counts = dict(
        Template.objects.filter(unpublished_at=None, private=False)
        .exclude(category="")
        .values_list("category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [CategoryShelf(category, counts.get(category.slug, 0)) for category in CATEGORIES]


def template_get(*, username: str, name: str, viewer=None, tags: bool = True) -> Template:
    """``tags=False`` for callers that never read the tags (rendering): one query less per render."""
    template = (
        _base(tags=tags)
        .filter(template_visible_q(viewer))
        .filter(owner__username=username.lower(), name=name.lower())
        .first()
    )
    if template is None:
        raise NotFound(f"No template {username}/{name}.")
    return template


def template_get_by_ref(*, ref: str, viewer=None, tags: bool = True) -> Template:
    """A template by slug (``user/name``) or public id (``tpl_…``)."""
    if ref.startswith("tpl_"):
        template = _base(tags=tags).filter(template_visible_q(viewer)).filter(public_id=ref).first()
        if template is None:
            raise NotFound(f"No template {ref}.")
        return template
    username, _, name = ref.partition("/")
    if not username or not name or "/" in name:
        raise NotFound(f"No template {ref!r}; use username/template-name or a tpl_ id.")
    return template_get(username=username, name=name, viewer=viewer, tags=tags)


def template_owned(*, username: str, name: str, user) -> Template:
    """For writes: the caller's own template, else 404 (a public template of someone else is 403)."""
    template = template_get(username=username, name=name, viewer=user)
    if template.owner_id != user.pk:
        raise Forbidden("Only the template's owner can do this.")
    return template


def version_list(*, template: Template) -> QuerySet[TemplateVersion]:
    return template.versions.all()


def blob_text(*, checksum: str) -> str | None:
    """A stored bundle file as text (None when the store cannot give it)."""
    try:
        return stored_files.file_read(blob_name(checksum)).decode("utf-8", errors="replace")
    except (FileNotFoundError, stored_files.StorageUnavailable):
        return None


def version_prop_order(*, version: TemplateVersion) -> list[str]:
    """The prop names in the order the author wrote them in loopwind.json (the stored manifest is
    JSONB, which keeps keys in its own order); [] when the file cannot be read. Cached by the
    file's checksum: published files never change."""
    row = next((r for r in version.files if r["path"] == "loopwind.json"), None)
    if row is None:
        return []
    key = f"proporder:v1:{row['checksum']}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache is an optimisation
        logger.warning("cache unavailable; reading loopwind.json", exc_info=True)
        cached = None
    if cached is not None:
        return cached
    try:
        manifest = json.loads(blob_text(checksum=row["checksum"]) or "")
    except ValueError:
        return []
    props = manifest.get("props") if isinstance(manifest, dict) else None
    order = list(props) if isinstance(props, dict) else []
    try:
        cache.set(key, order, timeout=7 * 24 * 3600)
    except Exception:
        logger.warning("cache unavailable; prop order not kept", exc_info=True)
    return order


def version_get(*, template: Template, version: str | None) -> TemplateVersion:
    """A version by number, or "latest" (none given): the newest neither deprecated nor yanked
    (templates_registry.services.latest_version_pick). A yanked or deprecated version asked for by
    number is still served; callers warn with ``version_notice``."""
    if not version or version == "latest":
        if template.latest_version is None:
            raise NotFound(f"{template.slug} has no version to render: every version was yanked.")
        return template.latest_version
    if Template.latest_version.is_cached(template) and template.latest_version is not None:
        if template.latest_version.version == version:  # a URL pinned to the latest: no query
            return template.latest_version
    found = template.versions.filter(version=version).first()
    if found is None:
        raise NotFound(f"No version {version[:64]} of {template.slug}.")
    return found


def template_version_get(*, ref: str, version: str | None, viewer) -> tuple[Template, TemplateVersion]:
    """What a render names: a template by slug or id that ``viewer`` may see, and one of its
    versions (``latest`` or none for the newest). Rendering never reads tags."""
    template = template_get_by_ref(ref=ref, viewer=viewer, tags=False)
    return template, version_get(template=template, version=version)


def version_exact(*, template: Template, version: str) -> TemplateVersion:
    """A version by its number only ("latest" is not a version to edit)."""
    found = template.versions.filter(version=version).first()
    if found is None:
        raise NotFound(f"No version {version[:64]} of {template.slug}.")
    return found


def version_notice(version: TemplateVersion) -> dict | None:
    """The warning owed to whoever uses a deprecated or yanked version, or None:
    ``{"version", "message", "yanked", "since"}``."""
    if version.yanked_at is not None:
        reason = f": {version.yank_reason}" if version.yank_reason else "."
        return {"version": version.version, "message": f"Version {version.version} was yanked{reason}",
                "yanked": True, "since": version.yanked_at}  # fmt: skip
    if version.deprecated:
        return {"version": version.version, "message": version.deprecated, "yanked": False,
                "since": version.deprecated_at or version.published_at}  # fmt: skip
    return None


def user_templates(*, owner: User, include_private: bool) -> QuerySet[Template]:
    queryset = _base().filter(owner=owner)
    if not include_private:
        queryset = queryset.filter(private=False)
    return queryset.order_by("-published_at", "-pk")


def user_public_stats(*, owner: User) -> dict:
    totals = Template.objects.filter(owner=owner, private=False, unpublished_at=None).aggregate(
        downloads=Sum("downloads"), renders=Sum("renders"), stars=Sum("stars")
    )
    count = Template.objects.filter(owner=owner, private=False, unpublished_at=None).count()
    return {
        "templates": count,
        "totalDownloads": totals["downloads"] or 0,
        "totalRenders": totals["renders"] or 0,
        "totalStars": totals["stars"] or 0,
    }


def starred_by(*, user, template: Template) -> bool:
    return bool(user and user.is_authenticated and template.star_set.filter(user=user).exists())


def account_usage(*, user: User) -> dict:
    """``GET /api/me/usage``: this month's usage against the plan, templates included."""
    published = Template.objects.filter(owner=user, unpublished_at=None).count()
    return usage_summary(user=user, templates_published=published)
