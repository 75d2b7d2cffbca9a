"""The signed-in dashboard: templates, API keys, usage and billing, webhooks, render history.
Every write calls the same service as the API."""

from __future__ import annotations

import json
import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import Role, role_at_least
from billing import stripe_billing
from billing.errors import BillingDisabled
from billing.plans import plans_by_code
from core.errors import ApiError, NotFound
from marketplace import selectors
from marketplace.forms import ApiKeyForm, DeprecateForm, TemplateEditForm
from marketplace.views.account import WELCOME
from marketplace.views.accounts_context import current_account, person_of, role_required
from marketplace.views.snippets import DEFAULT_SITE
from moderation.selectors import violations_of
from rendering import selectors as rendering_selectors
from rendering import services as rendering
from rendering import webhooks
from templates_registry import selectors as registry
from templates_registry import services as registry_services

logger = logging.getLogger(__name__)
PAID_PLANS_UNAVAILABLE = "Paid plans are not available on this server yet; contact support."
_billing_off_logged = False


def _billing_off_hint() -> None:
    """The operator's hint, once per process, in the logs (customers see a plain sentence)."""
    global _billing_off_logged
    if not _billing_off_logged:
        _billing_off_logged = True
        logger.warning(
            "billing is off: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to sell plans; meanwhile "
            "staff set plans in the admin (Accounts > Users; Organizations > Organizations) or with "
            "`manage.py set_plan USERNAME PLAN`"
        )


def _confirm(
    request,
    *,
    title: str,
    question: str,
    consequence: str,
    button: str,
    cancel: str,
    fields: dict | None = None,
):
    """The page a destructive action's GET shows: it names the thing and what happens, and only its
    POST button (CSRF-checked) does it. Without JavaScript this is the confirmation."""
    return render(
        request,
        "marketplace/dashboard/confirm.html",
        {"title": title, "question": question, "consequence": consequence, "button": button,
         "cancel": cancel, "fields": fields or {}, "action": request.path},
    )  # fmt: skip


def _usage_rows(summary: dict) -> list[dict]:
    labels = [
        ("imageRenders", "Image renders"),
        ("videoRenders", "Video renders"),
        ("templates", "Templates"),
        ("publishes", "Publishes"),
    ]
    return [{"key": key, "label": label, **summary[key]} for key, label in labels]


def _next_steps(request, account) -> dict | None:
    """Right after sign-up (and while the personal account has no API key): create a key, render
    the og-card with curl, install the CLI."""
    welcome = request.session.pop(WELCOME, False)
    if account.is_org or (not welcome and account_selectors.api_key_list(user=account).exists()):
        return None
    body = json.dumps({"template": "loopwind/og-card", "props": {"title": "Hello from loopwind"}})
    curl = (
        f"curl -X POST {settings.SITE_URL}/api/render \\\n"
        '  -H "Authorization: Bearer $LOOPWIND_API_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{body}' \\\n"
        "  -o og-card.png"
    )
    cli = ["pip install loopwind"]
    if settings.SITE_URL != DEFAULT_SITE:
        cli.append(f"export LOOPWIND_API_URL={settings.SITE_URL}")
    cli += [
        "loopwind login",
        'loopwind render loopwind/og-card --remote --props \'{"title": "Hi"}\' --out og-card.png',
    ]
    cli = "\n".join(cli)
    return {"welcome": welcome, "curl": curl, "cli": cli}


@login_required
@require_GET
def overview(request):
    account, role = current_account(request)
    summary = registry.account_usage(user=account)
    return render(
        request,
        "marketplace/dashboard/overview.html",
        {
            "account": account,
            "role": role,
            "templates": registry.user_templates(owner=account, include_private=True),
            "violations": violations_of(owner=account),
            "summary": summary,
            "usage": _usage_rows(summary),
            "next_steps": _next_steps(request, account),
            "section": "overview",
        },
    )


def _own_template(request, name: str, needed: str = Role.MEMBER):
    """A template of the current account (members publish and edit; unpublishing is the admins')."""
    account, _role = current_account(request)
    try:
        template = registry.template_owned(username=account.username, name=name, user=account)
    except ApiError:
        raise Http404("No such template.") from None
    role_required(request, needed)
    return template


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, name: str):
    template = _own_template(request, name)
    initial = {
        "description": template.description,
        "category": template.category,
        "tags": ", ".join(tag.name for tag in template.tags.all()),
        "private": template.private,
    }
    form = TemplateEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registry_services.template_update(
                template=template,
                user=template.owner,
                description=form.cleaned_data["description"],
                category=form.cleaned_data["category"],
                tags=form.cleaned_data["tags"],
                private=form.cleaned_data["private"],
            )
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Saved {template.slug}.")
            return redirect("dashboard-template", name=template.name)
    versions = [(v, DeprecateForm(initial={"version": v.version, "message": v.deprecated,
                                           "yanked": v.yanked_at is not None}))
                for v in registry.version_list(template=template)]  # fmt: skip
    return render(
        request,
        "marketplace/dashboard/template_edit.html",
        {
            "template": template,
            "form": form,
            "versions": versions,
            "section": "overview",
            "can_unpublish": role_at_least(current_account(request)[1], Role.ADMIN),
        },
        status=400 if form.errors else 200,
    )


def _deprecate_confirmation(request, template, form):
    version, message, yanked = (form.cleaned_data[k] for k in ("version", "message", "yanked"))
    what = f"{template.slug} {version}"
    if yanked:
        title, consequence = (
            f"Yank {what}?",
            (
                "It is withdrawn: it is never picked as latest, and anyone installing or rendering it is "
                "told it was yanked" + (f" (\u201c{message}\u201d)." if message else ".")
            ),
        )
    elif message:
        title, consequence = (
            f"Deprecate {what}?",
            (
                f"Everyone who installs or renders it sees the warning \u201c{message}\u201d, and a newer "
                "version that is not deprecated becomes latest."
            ),
        )
    else:
        title, consequence = (
            f"Mark {what} as neither deprecated nor yanked?",
            ("Its warning goes away and it can be picked as latest again."),
        )
    fields = {"version": version, "message": message}
    if yanked:
        fields["yanked"] = "on"
    return _confirm(
        request, title=title, question=title, consequence=consequence, button=title.rstrip("?"),
        cancel=reverse("dashboard-template", kwargs={"name": template.name}), fields=fields,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def template_deprecate(request, name: str):
    template = _own_template(request, name)
    form = DeprecateForm(request.POST if request.method == "POST" else request.GET)
    if request.method == "GET":
        if not form.is_valid():
            return redirect("dashboard-template", name=template.name)
        return _deprecate_confirmation(request, template, form)
    if form.is_valid():
        try:
            version = registry.version_exact(template=template, version=form.cleaned_data["version"])
        except ApiError as exc:
            messages.error(request, exc.message)
        else:
            yanked = form.cleaned_data["yanked"]
            registry_services.version_status_set(
                version=version, deprecated=form.cleaned_data["message"], yanked=yanked,
                reason=form.cleaned_data["message"] if yanked else "",
            )  # fmt: skip
            state = (
                "yanked"
                if yanked
                else "deprecated"
                if version.deprecated
                else "neither deprecated nor yanked"
            )
            messages.success(request, f"{template.slug} {version.version} is {state}.")
    return redirect("dashboard-template", name=template.name)


@login_required
@require_http_methods(["GET", "POST"])
def template_unpublish(request, name: str):
    template = _own_template(request, name, Role.ADMIN)
    if request.method == "GET":
        return _confirm(
            request,
            title=f"Unpublish {template.slug}?",
            question=f"Unpublish {template.slug}?",
            consequence="It and all its versions disappear for everyone at once: its page, search, "
            "installs and every render through the API, CLI and signed URLs. Publishing the name "
            "again brings it back with a new version.",
            button=f"Unpublish {template.name}",
            cancel=reverse("dashboard-template", kwargs={"name": template.name}),
        )
    registry_services.template_unpublish(template=template, actor=person_of(request))
    messages.success(request, f"Unpublished {template.slug}. Publishing the name again brings it back.")
    return redirect("dashboard")


KEY_FORM_SESSION_KEY = "dashboard:key-form-token"


def _new_key_form_token(request) -> str:
    token = secrets.token_urlsafe(16)
    request.session[KEY_FORM_SESSION_KEY] = token
    return token


@never_cache  # the new key is in this page: no cache may keep it
@login_required
@require_http_methods(["GET", "POST"])
def keys(request):
    account, _role = role_required(request, Role.ADMIN)
    form = ApiKeyForm(request.POST or None)
    new_key = None
    # Each rendering of the form carries a one-time token: reloading the page that shows a new key
    # resubmits the form, and that must not make a second key.
    submitted = request.POST.get("form_token")
    if submitted and submitted != request.session.get(KEY_FORM_SESSION_KEY):
        messages.info(
            request,
            "That form was already submitted, so no second key was made. A key is shown only once: "
            "if you did not copy it, revoke it and create another.",
        )
        return redirect("dashboard-keys")
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = account_services.api_key_create(
                user=account, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                actor=person_of(request),
            )  # fmt: skip
        except ApiError as exc:
            form.add_error("scopes", exc.message)
        else:
            form = ApiKeyForm()
    return render(
        request,
        "marketplace/dashboard/keys.html",
        {
            "form": form,
            "new_key": new_key,
            "form_token": _new_key_form_token(request),
            "keys": account_selectors.api_key_list(user=account),
            "account": account,
            "section": "keys",
        },  # fmt: skip
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def key_revoke(request, key_id: str):
    account, _role = role_required(request, Role.ADMIN)
    key = account_selectors.api_key_list(user=account).filter(public_id=key_id).first()
    if key is None:
        messages.error(request, "No such API key: it may have been revoked already.")
        return redirect("dashboard-keys")
    label = f"\u2018{key.name}\u2019 ({key.prefix}\u2026)"
    if request.method == "GET":
        return _confirm(
            request,
            title=f"Revoke key {key.name}?",
            question=f"Revoke key {label}?",
            consequence="Anything using it stops working at once: its requests are refused with 401. "
            "This cannot be undone; a new key has a new value.",
            button=f"Revoke {key.name}",
            cancel=reverse("dashboard-keys"),
        )
    try:
        account_services.api_key_revoke(user=account, key_id=key_id, actor=person_of(request))
    except ApiError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Revoked key {label}; requests with it now fail.")
    return redirect("dashboard-keys")


@login_required
@require_GET
def billing(request):
    account, _role = role_required(request, Role.OWNER)
    summary = registry.account_usage(user=account)
    paid = [plan for plan in plans_by_code().values() if plan.price_cents]
    enabled = stripe_billing.billing_enabled()
    if not enabled:
        _billing_off_hint()
    return render(
        request,
        "marketplace/dashboard/billing.html",
        {
            "summary": summary,
            "usage": _usage_rows(summary),
            "plans": paid,
            "billing_enabled": enabled,
            "support_email": settings.SUPPORT_EMAIL,
            "checkout": request.GET.get("checkout", ""),
            "chosen": next((p for p in paid if p.code == request.GET.get("plan")), None),
            "account": account,
            "section": "billing",
        },
    )


@login_required
@require_POST
def billing_checkout(request):
    account, _role = role_required(request, Role.OWNER)
    try:
        url = stripe_billing.checkout_session_create(user=account, plan_code=request.POST.get("plan", ""))
    except BillingDisabled:
        _billing_off_hint()
        messages.error(request, PAID_PLANS_UNAVAILABLE)
        return redirect("dashboard-billing")
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard-billing")
    return redirect(url)


@login_required
@require_POST
def billing_portal(request):
    account, _role = role_required(request, Role.OWNER)
    try:
        url = stripe_billing.portal_session_create(user=account)
    except BillingDisabled:
        _billing_off_hint()
        messages.error(request, PAID_PLANS_UNAVAILABLE)
        return redirect("dashboard-billing")
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard-billing")
    return redirect(url)


@never_cache  # shows the webhook secret
@login_required
@require_GET
def webhooks_page(request):
    # current_account gives the user itself, not the request's lazy wrapper (secrets_for inspects
    # the model class)
    account, _role = role_required(request, Role.ADMIN)
    return render(
        request,
        "marketplace/dashboard/webhooks.html",
        {
            "secrets": rendering.secrets_for(account),
            "deliveries": rendering_selectors.delivery_list(user=account),
            "section": "webhooks",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_secret_rotate(request):
    account, _role = role_required(request, Role.ADMIN)
    if request.method == "GET":
        return _confirm(
            request,
            title="Rotate the webhook secret?",
            question="Rotate the webhook secret?",
            consequence="Deliveries are signed with the new secret from now on: a receiver that still "
            "checks the old one rejects them until you update it.",
            button="Rotate webhook secret",
            cancel=reverse("dashboard-webhooks"),
        )
    rendering.webhook_secret_rotate(user=account)
    messages.success(request, "A new webhook secret is in use; update your receiver.")
    return redirect("dashboard-webhooks")


@login_required
@require_http_methods(["GET", "POST"])
def signing_secret_rotate(request):
    account, _role = role_required(request, Role.ADMIN)
    if request.method == "GET":
        return _confirm(
            request,
            title="Rotate the signing secret?",
            question="Rotate the image URL signing secret?",
            consequence="Every /i/ URL signed before stops working at once: images embedded on sites, "
            "in emails or in social cards break until they are signed again with the new secret.",
            button="Rotate signing secret",
            cancel=reverse("dashboard-webhooks"),
        )
    rendering.signing_secret_rotate(user=account)
    messages.success(
        request, "Rotated the signing secret: image URLs signed before no longer work; sign them again."
    )
    return redirect("dashboard-webhooks")


@login_required
@require_POST
def webhook_redeliver(request, delivery_id: str):
    account, _role = role_required(request, Role.ADMIN)
    try:
        delivery = webhooks.webhook_redeliver(user=account, delivery_id=delivery_id)
    except NotFound:
        raise Http404("No such delivery.") from None
    except ApiError as exc:  # the queue is down: say so, as the API does with its 503
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery {delivery.public_id} is being sent again.")
    return redirect("dashboard-webhooks")


@login_required
@require_GET
def renders(request):
    account, _role = current_account(request)
    return render(
        request,
        "marketplace/dashboard/renders.html",
        {
            "renders": selectors.render_history(user=account),
            "jobs": [(j, selectors.job_output_link(j)) for j in selectors.jobs_recent(user=account)],
            "batches": rendering_selectors.render_batch_list(user=account),
            "section": "renders",
        },
    )
