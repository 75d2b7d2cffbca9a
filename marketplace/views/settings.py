"""Account settings: profile (name, avatar, bio), email change confirmed from the new address,
password change, sign out everywhere, and deleting the account. Every write calls accounts' services;
a password change ends the other sessions through accounts' password_changed signal and Django's
session hash, and this session is kept with update_session_auth_hash."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services as account_services
from accounts.forms import GuardedPasswordChangeForm
from core import files as stored_files
from core.errors import ApiError
from marketplace import services
from marketplace.forms import DeleteAccountForm, EmailChangeForm, ProfileForm
from templates_registry import selectors as registry


def _page(request, *, profile=None, email=None, password=None, status=200):
    user = request.user
    return render(
        request,
        "marketplace/dashboard/settings.html",
        {
            "profile_form": profile or ProfileForm(initial={"name": user.name, "bio": user.bio}),
            "email_form": email or EmailChangeForm(user=user, request=request),
            "password_form": password or GuardedPasswordChangeForm(user, request=request),
            "section": "settings",
        },
        status=status,
    )


@login_required
@require_GET
def settings_page(request):
    return _page(request)


@login_required
@require_POST
def profile_update(request):
    form = ProfileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, profile=form, status=400)
    account_services.user_update(
        user=request.user, name=form.cleaned_data["name"], bio=form.cleaned_data["bio"]
    )
    if form.cleaned_data["avatar"]:
        content, ext = form.cleaned_data["avatar"]
        account_services.avatar_set(user=request.user, content=content, ext=ext)
    messages.success(request, "Your profile is saved.")
    return redirect("settings")


@login_required
@require_POST
def email_change(request):
    form = EmailChangeForm(request.POST, user=request.user, request=request)
    if not form.is_valid():
        return _page(request, email=form, status=400)
    try:
        account_services.email_change_request(user=request.user, new_email=form.cleaned_data["email"])
    except ApiError as exc:
        form.add_error("email", exc.message)
        return _page(request, email=form, status=400)
    messages.success(
        request,
        f"We sent a confirmation link to {form.cleaned_data['email']}. Your email changes when you open it.",
    )
    return redirect("settings")


@require_GET
def email_confirm(request, token: str):
    try:
        user = account_services.email_change_confirm(token=token)
    except ApiError as exc:
        return render(
            request, "marketplace/dashboard/email_confirm_failed.html", {"message": exc.message}, status=400
        )
    messages.success(request, f"Your email is now {user.email}.")
    return redirect("settings" if request.user.is_authenticated else "login")


@login_required
@require_POST
def password_change(request):
    form = GuardedPasswordChangeForm(request.user, request.POST, request=request)
    if not form.is_valid():
        return _page(request, password=form, status=400)
    user = form.save()  # accounts' password_changed signal revokes tokens; other sessions end
    update_session_auth_hash(request, user)  # … but this one stays signed in
    messages.success(request, "Your password is changed; every other session and token is signed out.")
    return redirect("settings")


@login_required
@require_POST
def sign_out_everywhere(request):
    account_services.user_sign_out_everywhere(user=request.user, keep_session_key=request.session.session_key)
    messages.success(
        request, "Signed out everywhere else: other browsers, the CLI and apps signed in with a token. "
        "API keys keep working; revoke them on the API keys page."
    )  # fmt: skip
    return redirect("settings")


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    user = request.user
    templates = list(registry.user_templates(owner=user, include_private=True))
    form = DeleteAccountForm(request.POST or None, user=user, request=request)
    blocked = None
    try:
        services.account_delete_allowed_or_raise(user=user)
    except ApiError as exc:
        blocked = exc.message
    if request.method == "POST" and not blocked and form.is_valid():
        services.account_delete(user=user)
        logout(request)
        messages.success(request, "Your account is deleted. Thank you for trying loopwind.")
        return redirect("home")
    return render(
        request,
        "marketplace/dashboard/delete_account.html",
        {"form": form, "templates": templates, "blocked": blocked, "section": "settings"},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def avatar(request, name: str):
    """Avatars are public, like the profile showing them; the name is the content's hash."""
    if "/" in name or name.startswith("."):
        raise Http404("No such avatar.")
    try:
        content = stored_files.file_read(f"avatars/{name}")
    except (FileNotFoundError, OSError):
        raise Http404("No such avatar.") from None
    response = HttpResponse(content, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
