"""Public pages: home, browse, template page (with "try it" and stars) and profiles."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from billing.plans import plan_limits
from core import files as stored_files
from core.errors import ApiError, NotFound
from core.files import file_url
from core.ratelimit import client_ip, rate_limit_hit
from marketplace import selectors
from marketplace.forms import PropsForm
from marketplace.views.snippets import og_image_url, snippets
from rendering import services as rendering
from templates_registry import selectors as registry
from templates_registry.services import star_add, star_remove

PAGE_SIZE = 12


@require_GET
def home(request):
    return render(
        request,
        "marketplace/home.html",
        {
            "featured": selectors.featured_templates(limit=6),
            "popular": registry.template_list(sort="popular", limit=6).templates,
            "recent": registry.template_list(sort="recent", limit=6).templates,
        },
    )


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


@require_GET
def browse(request):
    q = request.GET.get("q", "").strip()
    type_ = request.GET.get("type") or None
    tag = request.GET.get("tag", "").strip().lower()
    sort = request.GET.get("sort") or None
    page_number = _int(request.GET.get("page"), 1)
    error = None
    try:
        page = registry.template_list(
            q=q, type=type_, tags=[tag] if tag else None, sort=sort, page=page_number, limit=PAGE_SIZE
        )
    except ApiError as exc:
        error = exc.message
        page = registry.TemplatePage([], 0, 1, 1)
    context = {
        "page": page,
        "q": q,
        "type": type_ or "",
        "tag": tag,
        "sort": sort or ("relevance" if q else "popular"),
        "sorts": registry.SORTS if q else [s for s in registry.SORTS if s != "relevance"],
        "tags": selectors.popular_tags(),
        "error": error,
        "has_prev": page.page > 1,
        "has_next": page.page < page.pages,
    }
    return render(request, "marketplace/browse.html", context, status=400 if error else 200)


def _template_or_404(request, username: str, name: str):
    try:
        return registry.template_get(username=username, name=name, viewer=request.user)
    except NotFound:
        raise Http404("No such template.") from None


def _template_page(request, template, *, form=None, result_url=None, try_error=None, status=200):
    version = template.latest_version
    props_spec = (version.manifest or {}).get("props", {}) if version else {}
    form = form or PropsForm(props_spec=props_spec)
    context = {
        "template": template,
        "version": version,
        "versions": list(registry.version_list(template=template)),
        "props_spec": form.props_spec,
        "form": form,
        "starred": registry.starred_by(user=request.user, template=template),
        "snippets": snippets(template, version),
        "og_image": og_image_url(template, version),
        "result_url": result_url,
        "try_error": try_error,
        "is_owner": request.user.is_authenticated and request.user.pk == template.owner_id,
    }
    return render(request, "marketplace/template_detail.html", context, status=status)


@require_GET
def template_detail(request, username: str, name: str):
    return _template_page(request, _template_or_404(request, username, name))


@require_POST
def template_try(request, username: str, name: str):
    """Renders the latest version with the visitor's props: signed-in visitors through their own quota
    and rate limit; anonymous visitors bill nobody's quota (the author's would be spendable by
    strangers) and are limited per IP instead."""
    template = _template_or_404(request, username, name)
    version = template.latest_version
    if version is None or template.type != "image":
        return redirect("template-detail", username=template.owner.username, name=template.name)
    form = PropsForm(request.POST, props_spec=(version.manifest or {}).get("props", {}))
    if not form.is_valid():
        return _template_page(
            request, template, form=form, try_error="Check the highlighted fields.", status=400
        )
    if request.user.is_authenticated:
        renderer = request.user
        identity, rate = f"user:{renderer.pk}", f"{plan_limits(renderer).requests_per_minute}/m"
    else:
        renderer = template.owner
        identity, rate = f"try:ip:{client_ip(request)}", settings.TRY_IT_ANON_RATE
    try:
        rate_limit_hit(request, identity=identity, rate=rate, headers=False)
        result = rendering.render_image(
            user=renderer,
            template=template,
            version=version,
            props=form.props(),
            fmt="png",
            source="web",
            count_quota=request.user.is_authenticated,
            props_are_text=True,
        )
    except ApiError as exc:
        status = exc.status if 400 <= exc.status < 500 else 503
        return _template_page(request, template, form=form, try_error=exc.message, status=status)
    return _template_page(
        request, template, form=form, result_url=file_url(result.output_name, expires_in=3600)
    )


@require_GET
def template_og_image(request, username: str, name: str):
    """The Open Graph image of a template page: its latest version's preview (rendered once, at
    publish, with the template's own example props), to anyone while the template is public.
    Made private or unpublished, it is a 404 at once. It renders nothing and bills nobody: the
    site never signs URLs that put a template's text into another account's renders."""
    try:
        template = registry.template_get(username=username, name=name, viewer=None, tags=False)
    except NotFound:
        raise Http404("No such template.") from None
    version = template.latest_version
    if version is None or not version.preview:
        raise Http404("No preview yet.")
    try:
        content = stored_files.file_read(version.preview)
    except FileNotFoundError:
        raise Http404("No preview yet.") from None
    response = HttpResponse(content, content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"  # a template made private drops out within the hour
    response["ETag"] = f'"{version.checksum}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_POST
def template_star(request, username: str, name: str):
    if not request.user.is_authenticated:
        return redirect(f"{settings.LOGIN_URL}?next=/{username}/{name}")
    template = _template_or_404(request, username, name)
    if request.POST.get("action") == "unstar":
        star_remove(user=request.user, template=template)
        messages.success(request, f"Removed your star from {template.slug}.")
    else:
        star_add(user=request.user, template=template)
        messages.success(request, f"Starred {template.slug}.")
    return redirect("template-detail", username=template.owner.username, name=template.name)


@require_GET
def profile(request, username: str):
    owner = account_selectors.user_get_by_username(username=username)
    if owner is None:
        raise Http404("No such user.")
    own = request.user.is_authenticated and request.user.pk == owner.pk
    return render(
        request,
        "marketplace/profile.html",
        {
            "owner": owner,
            "templates": registry.user_templates(owner=owner, include_private=own),
            "stats": registry.user_public_stats(owner=owner),
            "starred": selectors.starred_templates(user=owner, viewer=request.user),
            "own": own,
        },
    )
