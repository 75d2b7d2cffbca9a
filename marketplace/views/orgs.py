"""Organizations on the website: the account switcher, creating one, its members, invitations,
profile, audit log and deletion, and the page an emailed invitation link opens. Every write calls
orgs.services, as POST/PATCH/DELETE /api/orgs/… do.

Who sees what, as in the API: a person who is not a member gets a 404 (organization names do not
leak), a member whose role is too low a 403 page naming the role, a signed-out visitor the sign-in
page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, role_at_least
from billing.plans import plan_limits
from core.errors import ApiError
from marketplace.forms import InvitationForm, OrgCreateForm, OrgProfileForm, RoleForm
from marketplace.views.account import safe_next
from marketplace.views.accounts_context import account_switch, org_for_page, person_of
from marketplace.views.dashboard import _confirm
from orgs import selectors as org_selectors
from orgs import services as org_services

# Where switching accounts may land (the page it was made on) and the role each needs; any other
# page (an organization's members, a template of the previous account) goes to the overview.
SWITCH_TARGETS = {
    "/dashboard": Role.MEMBER,
    "/dashboard/renders": Role.MEMBER,
    "/dashboard/keys": Role.ADMIN,
    "/dashboard/webhooks": Role.ADMIN,
    "/dashboard/billing": Role.OWNER,
}
AUDIT_PAGE = 50


@login_required
@require_POST
def switch(request):
    account, role = account_switch(request, request.POST.get("account", ""))
    target = safe_next(request, default="/dashboard")
    needed = SWITCH_TARGETS.get(target)
    if needed is None or not role_at_least(role, needed):
        target = "/dashboard"
    label = f"{account.username} (you are {role})" if account.is_org else "your personal account"
    messages.success(request, f"You are working as {label}.")
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def org_new(request):
    form = OrgCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = org_services.org_create(creator=person_of(request), **form.cleaned_data)
        except ApiError as exc:
            form.add_error("username", exc.message)
        else:
            account_switch(request, org.username)
            messages.success(
                request,
                f"Created {org.username}; you are its owner, and the dashboard now works as {org.username}. "
                "Inviting members needs the Business plan.",
            )
            return redirect("org-members", slug=org.username)
    return render(
        request,
        "marketplace/dashboard/org_new.html",
        {"form": form, "section": "org-new"},
        status=400 if form.errors else 200,
    )


def _seats(org) -> dict:
    plan = plan_limits(org)
    return {"used": org_services.seats_used(org), "total": plan.seats, "plan": plan.name}


@login_required
@require_GET
def members(request, slug: str):
    access = org_for_page(request, slug)
    person = person_of(request)
    rows = [
        {
            "membership": membership,
            "is_me": membership.user_id == person.pk,
            # admins remove members and admins, owners anyone (the service says so again)
            "can_remove": membership.user_id != person.pk
            and role_at_least(access.role, Role.OWNER if membership.role == Role.OWNER else Role.ADMIN),
            "role_form": RoleForm(initial={"role": membership.role}, auto_id=f"id_%s_{membership.user_id}"),
        }
        for membership in org_selectors.member_list(org=access.org)
    ]
    return render(
        request,
        "marketplace/dashboard/org_members.html",
        {
            "org": access.org,
            "role": access.role,
            "rows": rows,
            "seats": _seats(access.org),
            "is_owner": role_at_least(access.role, Role.OWNER),
            "is_admin": role_at_least(access.role, Role.ADMIN),
            "section": "members",
        },
    )


def _forbidden_or_message(request, exc: ApiError) -> None:
    """A service's refusal: a 403 (a role the person lacks) is the 403 page like the others; the
    rest (the last owner, a member gone meanwhile) a message on the page they came from."""
    if exc.status == 403:
        raise PermissionDenied(exc.message)
    messages.error(request, exc.message)


@login_required
@require_POST
def member_role(request, slug: str, username: str):
    access = org_for_page(request, slug, Role.OWNER)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, admin or member.")
        return redirect("org-members", slug=access.org.username)
    try:
        membership = org_services.member_role_set(
            org=access.org, actor=person_of(request), username=username, role=form.cleaned_data["role"]
        )
    except ApiError as exc:
        _forbidden_or_message(request, exc)
    else:
        messages.success(request, f"{membership.user.username} is now {membership.role}.")
    return redirect("org-members", slug=access.org.username)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, slug: str, username: str):
    person = person_of(request)
    if username.lower() == person.username:
        return redirect("org-leave", slug=slug)
    access = org_for_page(request, slug, Role.ADMIN)
    back = reverse("org-members", kwargs={"slug": access.org.username})
    if request.method == "GET":
        return _confirm(
            request,
            title=f"Remove {username} from {access.org.username}?",
            question=f"Remove {username} from {access.org.username}?",
            consequence="They lose access to its private templates, keys, usage and settings at once. "
            "Keys they created for it keep working until an admin revokes them.",
            button=f"Remove {username}",
            cancel=back,
        )
    try:
        org_services.member_remove(org=access.org, actor=person, username=username)
    except ApiError as exc:
        _forbidden_or_message(request, exc)
    else:
        messages.success(request, f"Removed {username} from {access.org.username}.")
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def leave(request, slug: str):
    access = org_for_page(request, slug)
    if request.method == "GET":
        return _confirm(
            request,
            title=f"Leave {access.org.username}?",
            question=f"Leave {access.org.username}?",
            consequence="You lose access to its private templates, keys and usage; an admin can invite "
            "you again.",
            button=f"Leave {access.org.username}",
            cancel=reverse("org-members", kwargs={"slug": access.org.username}),
        )
    person = person_of(request)
    try:
        org_services.member_remove(org=access.org, actor=person, username=person.username)
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect("org-members", slug=access.org.username)
    account_switch(request, "")
    messages.success(request, f"You left {access.org.username}.")
    return redirect("dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def invitations(request, slug: str):
    access = org_for_page(request, slug, Role.ADMIN)
    is_owner = role_at_least(access.role, Role.OWNER)
    form = InvitationForm(request.POST or None, may_invite_owners=is_owner)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = org_services.invitation_create(
                org=access.org, actor=person_of(request), **form.cleaned_data
            )
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"Invited {invitation.email} as {invitation.role}; the link is emailed."
            )
            return redirect("org-invitations", slug=access.org.username)
    return render(
        request,
        "marketplace/dashboard/org_invitations.html",
        {
            "org": access.org,
            "form": form,
            "pending": org_selectors.invitation_list_pending(org=access.org),
            "seats": _seats(access.org),
            "is_owner": is_owner,
            "section": "invitations",
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_revoke(request, slug: str, invitation_id: str):
    access = org_for_page(request, slug, Role.ADMIN)
    back = reverse("org-invitations", kwargs={"slug": access.org.username})
    invitation = org_selectors.invitation_list_pending(org=access.org).filter(public_id=invitation_id).first()
    if invitation is None:
        messages.error(request, "No such pending invitation: it may have been accepted or revoked already.")
        return redirect(back)
    if request.method == "GET":
        return _confirm(
            request,
            title=f"Revoke the invitation of {invitation.email}?",
            question=f"Revoke the invitation of {invitation.email}?",
            consequence="Its link stops working at once; you can invite the address again later.",
            button="Revoke invitation",
            cancel=back,
        )
    try:
        org_services.invitation_revoke(org=access.org, actor=person_of(request), invitation_id=invitation_id)
    except ApiError as exc:
        _forbidden_or_message(request, exc)
    else:
        messages.success(request, f"Revoked the invitation of {invitation.email}.")
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request, slug: str):
    access = org_for_page(request, slug, Role.ADMIN)
    org = access.org
    form = OrgProfileForm(
        request.POST or None, initial={"name": org.name, "bio": org.bio, "avatar_url": org.avatar_url}
    )
    if request.method == "POST" and form.is_valid():
        org_services.org_update(org=org, actor=person_of(request), **form.cleaned_data)
        messages.success(request, f"Saved the profile of {org.username}.")
        return redirect("org-profile", slug=org.username)
    return render(
        request,
        "marketplace/dashboard/org_profile.html",
        {"org": org, "form": form, "is_owner": role_at_least(access.role, Role.OWNER),
         "section": "org-profile"},
        status=400 if form.errors else 200,
    )  # fmt: skip


@login_required
@require_GET
def audit(request, slug: str):
    access = org_for_page(request, slug, Role.ADMIN)
    try:
        before = int(request.GET.get("before") or 0) or None
    except ValueError:
        before = None
    events = org_selectors.audit_list(org=access.org, limit=AUDIT_PAGE, before=before)
    older = None
    if len(events) == AUDIT_PAGE:
        older = "?" + urlencode({"before": events[-1].id})
    return render(
        request,
        "marketplace/dashboard/org_audit.html",
        {"org": access.org, "events": events, "older": older, "section": "audit"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def org_delete(request, slug: str):
    access = org_for_page(request, slug, Role.OWNER)
    org = access.org
    if request.method == "GET":
        return _confirm(
            request,
            title=f"Delete {org.username}?",
            question=f"Delete the organization {org.username}?",
            consequence="Its API keys stop working at once; then it is deleted with its templates, "
            "renders, usage, members and audit log. Its name becomes free for anyone. This cannot be undone.",
            button=f"Delete {org.username}",
            cancel=reverse("org-profile", kwargs={"slug": org.username}),
        )
    try:
        org_services.org_delete(org=org, actor=person_of(request))
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect("org-profile", slug=org.username)
    account_switch(request, "")
    messages.success(request, f"Deleted {slug}.")
    return redirect("dashboard")


# --- the emailed link -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    """What an invitation link opens: whose organization, which role, who invited; signed out, the
    sign-in page first (and back here). Accepting is a POST of this page."""
    if not request.user.is_authenticated:
        messages.info(
            request, "Sign in (or sign up with the invited address) to see and accept the invitation."
        )
        return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.path})}")
    pending = org_services.invitation_pending_by_token(token)
    person = person_of(request)
    error = None
    status = 200
    if request.method == "POST" and pending is not None:
        try:
            membership = org_services.invitation_accept(token=token, user=person)
        except org_services.InvitationInvalid as exc:
            error, status, pending = exc.message, 404, None
        except org_services.InvitationForSomeoneElse as exc:
            error, status = exc.message, 403
        else:
            account_switch(request, membership.org.username)
            messages.success(
                request,
                f"You joined {membership.org.username} as {membership.role}; the dashboard now works as it.",
            )
            return redirect("dashboard")
    if pending is None:
        error, status = error or org_services.InvitationInvalid.message, 404
    elif error is None and pending.email != (person.email or ""):
        error = (
            f"This invitation was sent to another email address than yours ({person.email}). "
            "Sign in with that address to accept it."
        )
    return render(
        request,
        "marketplace/invitation.html",
        {"invitation": pending, "error": error},
        status=status,
    )
