"""What a render needs of a template, from the shared hot-path cache (core.hotcache): the template
with its owner and latest version by slug or id, and pinned versions. Entries belong to the
template's owner: any save or delete of the template or one of its versions (publish, unpublish,
private, yank, deprecate: the receivers below) forgets them on every node, and so do the
``.update()`` calls that change what a render reads (moderation's featured flag, the preview
video). Counters (renders, downloads, stars, the search vector) are left to go stale in the
cache: no render reads them."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.keycache import USER_LEFT_OUT
from accounts.models import User
from core import hotcache, requestfacts
from core.errors import NotFound
from templates_registry.models import Template, TemplateVersion
from templates_registry.selectors import version_get

TEMPLATE_LEFT_OUT = ("search_vector",)
VERSION_LEFT_OUT = ("changelog",)


def _restore_version(stored, template: Template) -> TemplateVersion | None:
    version = hotcache.instance_of(TemplateVersion, stored)
    if version is not None:
        hotcache.relate(version, "template", template)
    return version


_NOT_GIVEN = object()


def template_cache_name(username: str, name: str) -> str:
    return f"tpl:{username.lower()}/{name.lower()}"


def _template(lookup: dict, cache_name: str, entry=_NOT_GIVEN) -> Template | None:
    if entry is _NOT_GIVEN:
        entry = hotcache.get(cache_name)
    if entry is not None:
        try:
            template = hotcache.instance_of(Template, entry["template"])
            hotcache.relate(template, "owner", hotcache.instance_of(User, entry["owner"]))
            latest = _restore_version(entry["latest"], template)
            if latest is not None:
                hotcache.relate(template, "latest_version", latest)
            return template
        except KeyError:
            pass
    token = hotcache.fill_token()
    template = (
        Template.objects.filter(unpublished_at=None, **lookup)
        .select_related("owner", "latest_version")
        .defer(*TEMPLATE_LEFT_OUT)
        .first()
    )
    if template is not None:
        data = {
            "template": hotcache.row(template, exclude=TEMPLATE_LEFT_OUT),
            "owner": hotcache.row(template.owner, exclude=USER_LEFT_OUT),
            "latest": hotcache.row(template.latest_version, exclude=VERSION_LEFT_OUT),
        }
        hotcache.fill(cache_name, account_id=template.owner_id, token=token, data=data)
    return template


def cache_name_for_ref(ref: str) -> str | None:
    """The entry ``template_for_render(ref=ref)`` reads (None: a malformed slug, refused there)."""
    if ref.startswith("tpl_"):
        return f"tpl:id:{ref}"
    username, _, name = ref.partition("/")
    if not username or not name or "/" in name:
        return None
    return template_cache_name(username, name)


def template_for_render(
    *, ref: str | None = None, username: str = "", name: str = "", viewer=None, entry=_NOT_GIVEN
) -> Template:
    """A published template that ``viewer`` may see (private ones only by their owner), by slug
    (``ref`` or ``username`` and ``name``) or ``tpl_`` id, without tags; else 404. ``entry``: the
    cache's answer for ``cache_name_for_ref(ref)`` (or ``template_cache_name(username, name)``) when
    the caller fetched it already."""
    if ref is not None and ref.startswith("tpl_"):
        template = _template({"public_id": ref}, f"tpl:id:{ref}", entry)
        label = ref
    else:
        if ref is not None:
            username, _, name = ref.partition("/")
            if not username or not name or "/" in name:
                raise NotFound(f"No template {ref!r}; use username/template-name or a tpl_ id.")
        username, name = username.lower(), name.lower()
        template = _template({"owner__username": username, "name": name}, template_cache_name(username, name),
                             entry)  # fmt: skip
        label = f"{username}/{name}"
    signed_in = viewer is not None and viewer.is_authenticated
    if template is None or (template.private and not (signed_in and viewer.pk == template.owner_id)):
        raise NotFound(f"No template {label}.")
    requestfacts.note(template=label)
    return template


def version_for_render(*, template: Template, version: str | None) -> TemplateVersion:
    """templates_registry.selectors.version_get, with pinned versions from the cache."""
    if (
        not version
        or version == "latest"
        or (template.latest_version_id is not None and template.latest_version.version == version)
    ):
        return version_get(template=template, version=version)
    cache_name = f"ver:{template.pk}:{version[:64]}"
    entry = hotcache.get(cache_name)
    if entry is not None:
        try:
            return _restore_version(entry, template)
        except KeyError:
            pass
    token = hotcache.fill_token()
    found = version_get(template=template, version=version)
    hotcache.fill(cache_name, account_id=template.owner_id, token=token,
                  data=hotcache.row(found, exclude=VERSION_LEFT_OUT))  # fmt: skip
    return found


# --- invalidation -----------------------------------------------------------------------------


@receiver(post_save, sender=Template, dispatch_uid="templates_registry.cache.template_saved")
@receiver(post_delete, sender=Template, dispatch_uid="templates_registry.cache.template_deleted")
def template_changed(sender, instance: Template, **kwargs) -> None:
    hotcache.forget(instance.owner_id)


@receiver(post_save, sender=TemplateVersion, dispatch_uid="templates_registry.cache.version_saved")
@receiver(post_delete, sender=TemplateVersion, dispatch_uid="templates_registry.cache.version_deleted")
def version_changed(sender, instance: TemplateVersion, **kwargs) -> None:
    owner_id = Template.objects.filter(pk=instance.template_id).values_list("owner_id", flat=True).first()
    hotcache.forget(owner_id)  # None once the template itself is gone: its own receiver forgot it
