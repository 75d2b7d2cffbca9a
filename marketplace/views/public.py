"""Public pages: home, browse, template page (with "try it", files, versions and stars) and profiles."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts.models import Membership
from core import files as stored_files
from core.errors import ApiError, NotFound
from core.files import file_url
from loopwind import engine
from marketplace import markdown, selectors, tryit
from marketplace.forms import PropsForm
from marketplace.highlight import highlight, highlightable
from marketplace.stars import pending_star_remember
from marketplace.views.accounts_context import current_account, person_of
from marketplace.views.snippets import example_props, og_image_url, props_for_snippet, signed_url, snippets
from rendering import selectors as rendering_selectors
from rendering.apis import JobStatus
from templates_registry import selectors as registry
from templates_registry.categories import category_get
from templates_registry.services import star_add, star_remove

PAGE_SIZE = 12


@require_GET
def home(request):
    return render(
        request,
        "marketplace/home.html",
        {
            "shelves": registry.category_shelves(),
            "featured": selectors.featured_templates(limit=8),
            "videos": registry.template_list(type="video", sort="popular", limit=4).templates,
            "popular": registry.template_list(sort="popular", limit=8).templates,
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
    category = request.GET.get("category", "").strip().lower()
    sort = request.GET.get("sort") or None
    page_number = _int(request.GET.get("page"), 1)
    error = None
    try:
        page = registry.template_list(
            q=q,
            type=type_,
            tags=[tag] if tag else None,
            category=category or None,
            sort=sort,
            page=page_number,
            limit=PAGE_SIZE,
        )
    except ApiError as exc:
        error = exc.message
        page = registry.TemplatePage([], 0, 1, 1)
    if error is None and page_number > max(page.pages, 1):
        # ?page=999 of 9 shows the last page that exists, not "Page 999 of 9" and nothing on it
        page = registry.template_list(
            q=q,
            type=type_,
            tags=[tag] if tag else None,
            category=category or None,
            sort=sort,
            page=max(page.pages, 1),
            limit=PAGE_SIZE,
        )
    context = {
        "page": page,
        "q": q,
        "type": type_ or "",
        "tag": tag,
        "category": category_get(category),
        "shelves": registry.category_shelves(),
        "sort": sort or ("relevance" if q else "popular"),
        "sorts": registry.SORTS if q else [s for s in registry.SORTS if s != "relevance"],
        "tags": selectors.popular_tags(),
        "error": error,
        "filtered": bool(q or type_ or tag or category),
        "has_prev": page.page > 1,
        "has_next": page.page < page.pages,
    }
    return render(request, "marketplace/browse.html", context, status=400 if error else 200)


def _template_or_404(request, username: str, name: str):
    try:
        return registry.template_get(username=username, name=name, viewer=request.user)
    except NotFound:
        raise Http404("No such template.") from None


def _wants_json(request) -> bool:
    """The page's script asks for JSON; without it, forms post and the page is rendered again."""
    return "application/json" in request.headers.get("Accept", "")


def _props_spec(version) -> dict:
    """The version's props in the author's order (the form lists required ones first, keeping it)."""
    spec = (version.manifest or {}).get("props", {}) if version else {}
    order = {name: i for i, name in enumerate(registry.version_prop_order(version=version))} if spec else {}
    return dict(sorted(spec.items(), key=lambda item: order.get(item[0], len(order))))


def _template_page(request, template, *, form=None, result_url=None, try_error=None, status=200):
    version = template.latest_version
    form = form or PropsForm(props_spec=_props_spec(version))
    typed = (
        engine.props_from_text(form.props_spec, form.props()) if form.is_bound and form.is_valid() else None
    )
    context = {
        "template": template,
        "version": version,
        "versions": [
            {"row": row, "notes": markdown.render(row.changelog) if row.changelog else ""}
            for row in registry.version_list(template=template)
        ],
        "files": _files(version),
        "category": category_get(template.category),
        "props_spec": form.props_spec,
        "form": form,
        "starred": registry.starred_by(user=request.user, template=template),
        "snippets": snippets(template, version, props_for_snippet(form.props_spec, typed) if typed else None),
        "signed_url": _signed_url(request, template, version, typed),
        "og_image": og_image_url(template, version),
        "still_at": tryit.still_time(version) if template.type == "video" and version else None,
        "result_url": result_url,
        "try_error": try_error,
        # the author, or a member of the organization that owns it: they see the preflight warnings,
        # and an Edit link while the dashboard works as that account
        "is_owner": request.user.is_authenticated
        and (
            request.user.pk == template.owner_id
            or (
                template.owner.is_org
                and Membership.objects.filter(org_id=template.owner_id, user=request.user).exists()
            )
        ),
        "editable": request.user.is_authenticated and current_account(request)[0].pk == template.owner_id,
    }
    context["preflight"] = _preflight(version) if context["is_owner"] else []
    return render(request, "marketplace/template_detail.html", context, status=status)


def _preflight(version) -> list[dict]:
    """The lint warnings of the version, for its owner: kept by its publish, else run once (in a render
    child) and kept; the page never fails because of them."""
    import logging

    from django.core.cache import cache

    from core.renderpool.preflight import preflight_lint
    from rendering.bundles import bundle_for
    from templates_registry.services import LINT_CACHE_SECONDS, lint_cache_key

    if version is None:
        return []
    key = lint_cache_key(version.checksum)
    try:
        cached = cache.get(key)
        if cached is not None:
            return cached
        warnings = preflight_lint(bundle_for(version), account=f"renders:user:{version.template.owner_id}")
        cache.set(key, warnings, timeout=LINT_CACHE_SECONDS)
        return warnings
    except Exception:
        logging.getLogger(__name__).warning("preflight of version %s failed", version.pk, exc_info=True)
        return []


MAX_SHOWN_FILE = 100_000  # bytes: larger text files are in the zip, not on the page


def _files(version) -> list[dict]:
    if version is None:
        return []
    out = []
    for row in sorted(version.files, key=lambda r: r["path"]):
        html = None
        if highlightable(row["path"]) and row["size"] <= MAX_SHOWN_FILE:
            html = highlight(
                row["path"],
                checksum=row["checksum"],
                load=lambda checksum=row["checksum"]: registry.blob_text(checksum=checksum),
            )
        out.append({"path": row["path"], "size": row["size"], "html": html})
    return out


def _signed_url(request, template, version, typed: dict | None) -> str:
    """Signed by the visitor, when signed in (their renders, their secret). A signed-out visitor gets
    none: a URL the site signed with the author's secret would keep rendering after the author made
    the template private (issue 22, item 13)."""
    if not request.user.is_authenticated:
        return ""
    # the user itself, not the request's lazy wrapper: secrets_for inspects the model class
    visitor = getattr(request.user, "_wrapped", request.user)
    return signed_url(template, version, typed if typed is not None else _example(version), visitor)


def _example(version) -> dict:
    return example_props((version.manifest or {}).get("props", {}) if version else {})


@require_GET
def template_detail(request, username: str, name: str):
    return _template_page(request, _template_or_404(request, username, name))


def _try_failed(request, template, form, exc: ApiError):
    status = exc.status if 400 <= exc.status < 500 else 503
    message = tryit.visitor_message(exc.message)  # the form shows fields, not props
    if _wants_json(request):
        prop = (exc.details or {}).get("prop") if isinstance(exc.details, dict) else None
        response = JsonResponse(
            {"error": {"code": exc.code, "message": message, "details": exc.details, "prop": prop}},
            status=status,
        )
        for header, value in exc.headers.items():
            response[header] = value
        return response
    prop = (exc.details or {}).get("prop") if isinstance(exc.details, dict) else None
    if prop in form.fields:
        form.add_error(prop, message)  # next to its field, which is marked invalid and described by it
    return _template_page(request, template, form=form, try_error=message, status=status)


@require_POST
def template_try(request, username: str, name: str):
    """Renders the latest version with the visitor's props (a video template: its middle frame).
    The page's script calls it as the visitor types and gets JSON; without script the form posts
    and the page comes back with the render (marketplace/tryit.py has who pays and what limits)."""
    template = _template_or_404(request, username, name)
    version = template.latest_version
    if version is None:
        return redirect("template-detail", username=template.owner.username, name=template.name)
    form = PropsForm(request.POST, props_spec=_props_spec(version))
    if not form.is_valid():
        fields = {name: " ".join(errors) for name, errors in form.errors.items()}
        if _wants_json(request):
            return JsonResponse(
                {
                    "error": {
                        "code": "invalid_props",
                        "message": "Check the highlighted fields.",
                        "fields": fields,
                    }
                },
                status=400,
            )
        return _template_page(
            request, template, form=form, try_error="Check the highlighted fields.", status=400
        )
    try:
        result = tryit.try_render(request=request, template=template, version=version, props=form.props())
    except ApiError as exc:
        return _try_failed(request, template, form, exc)
    url = file_url(result.output_name, expires_in=3600)
    if not _wants_json(request):
        if not result.cache_hit:
            template.renders += 1  # counted in the database by render_image; shown on this page too
        return _template_page(request, template, form=form, result_url=url)
    typed = engine.props_from_text(form.props_spec, form.props())
    return JsonResponse(
        {
            "url": url,
            "cached": result.cache_hit,
            "ms": result.duration_ms,
            "stillAt": result.still_at,
            "snippets": snippets(template, version, props_for_snippet(form.props_spec, typed)),
            "signedUrl": _signed_url(request, template, version, typed),
        }
    )


@require_POST
def template_render_video(request, username: str, name: str):
    """Starts the full video with the visitor's props (signed in: their quota, their queue priority),
    like POST /api/render/async. The script follows the job at job-status; without script the
    visitor lands on the dashboard's render history."""
    template = _template_or_404(request, username, name)
    version = template.latest_version
    if not request.user.is_authenticated:
        if _wants_json(request):
            return JsonResponse(
                {"error": {"code": "not_authenticated", "message": "Sign in to render videos."}}, status=401
            )
        return redirect(f"{settings.LOGIN_URL}?next=/{template.owner.username}/{template.name}")
    if version is None or template.type != "video":
        raise Http404("Not a video template.")
    form = PropsForm(request.POST, props_spec=_props_spec(version))
    if not form.is_valid():
        return _try_failed(
            request, template, form, ApiError("Check the highlighted fields.", code="invalid_props")
        )
    try:
        job = tryit.video_render_start(
            request=request, template=template, version=version, props=form.props()
        )
    except ApiError as exc:
        return _try_failed(request, template, form, exc)
    if _wants_json(request):
        return JsonResponse(
            {"jobId": job.public_id, "statusUrl": reverse("job-status", args=[job.public_id])}, status=202
        )
    messages.success(request, f"Rendering {template.slug}: this page follows it until it is done.")
    return redirect("render-job", job_id=job.public_id)


def _job_for(request, job_id: str):
    """A job of the dashboard's current account (an organization's render history links here), or
    one of the person's own (the template page renders videos as the person)."""
    account, _role = current_account(request)
    for owner in dict.fromkeys([account, person_of(request)]):
        try:
            return rendering_selectors.render_job_get(job_id=job_id, user=owner)
        except NotFound:
            continue
    raise Http404("No such job.")


@login_required
@require_GET
def job_status(request, job_id: str):
    """One of the visitor's jobs as GET /api/render/{id} shows it, for the template page to poll (the
    API's event stream takes a bearer token; the website signs in with a session)."""
    job = _job_for(request, job_id)
    link = selectors.job_output_link(job)
    response = JsonResponse(
        JobStatus(job).data
        | {"downloadUrl": link.download_url if link else None, "filename": link.filename if link else None}
    )
    response["Cache-Control"] = "no-store"
    return response


JOB_PAGE_REFRESH_SECONDS = 2


@login_required
@require_GET
def render_job(request, job_id: str):
    """One of the visitor's jobs as a page: its progress, refreshed by <meta http-equiv=refresh>
    while it runs (no script needed; the template page's script polls job-status instead), then
    the video player and a download named after the template."""
    job = _job_for(request, job_id)
    response = render(
        request,
        "marketplace/dashboard/render_job.html",
        {
            "job": job,
            "link": selectors.job_output_link(job),
            "refresh": None if job.is_final else JOB_PAGE_REFRESH_SECONDS,
            "section": "renders",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


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
    template = _template_or_404(request, username, name)
    if not request.user.is_authenticated:
        # Remembered, and applied when they sign in (marketplace.stars); then back to this page.
        if request.POST.get("action") != "unstar":
            pending_star_remember(request, template=template)
            messages.info(
                request, f"Sign in or sign up to star {template.slug}: it is starred as soon as you do."
            )
        return redirect(f"{settings.LOGIN_URL}?next=/{template.owner.username}/{template.name}")
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
    # An organization's members see its private templates too (as template_visible_q lets them
    # open them); everyone else its public ones.
    member = (
        owner.is_org
        and request.user.is_authenticated
        and Membership.objects.filter(org=owner, user=request.user).exists()
    )
    return render(
        request,
        "marketplace/profile.html",
        {
            "owner": owner,
            "templates": registry.user_templates(owner=owner, include_private=own or member),
            "stats": registry.user_public_stats(owner=owner),
            "starred": [] if owner.is_org else selectors.starred_templates(user=owner, viewer=request.user),
            "own": own,
            "member": member,
        },
    )
