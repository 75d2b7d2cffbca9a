from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm

from accounts.login_guard import TooManyLoginAttempts, login_allowed_or_raise, login_failed
from accounts.models import User
from accounts.normalize import email_normalize


class LoginGuardMixin:
    """The brute-force protection of POST /api/auth/login for a Django sign-in form: the same
    counters (per account and per IP), so failures anywhere count everywhere."""

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        try:
            login_allowed_or_raise(self.request, email)
        except TooManyLoginAttempts as exc:
            raise forms.ValidationError(exc.message, code="too_many_attempts") from exc
        try:
            return super().clean()
        except forms.ValidationError:
            if self.cleaned_data.get("password"):
                login_failed(self.request, email)
            raise


def current_password_checked(request, user, password: str) -> str:
    """The signed-in user's password, asked again before a sensitive change (email, password, deleting
    the account), counted by the same login guard as a sign-in: a stolen session cannot try passwords
    without limit through these forms."""
    try:
        login_allowed_or_raise(request, user.email)
    except TooManyLoginAttempts as exc:
        raise forms.ValidationError(exc.message, code="too_many_attempts") from exc
    if not user.check_password(password):
        login_failed(request, user.email)
        raise forms.ValidationError("The password is incorrect.", code="password_incorrect")
    return password


class CurrentPasswordMixin:
    """For forms with a ``password`` field holding the current password, built with ``request=``."""

    current_password_field = "password"  # noqa: S105 - the field's name

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def _clean_current_password(self):
        return current_password_checked(
            self.request, self.user, self.cleaned_data.get(self.current_password_field, "")
        )


class GuardedPasswordChangeForm(CurrentPasswordMixin, PasswordChangeForm):
    """Django's password change, with the old password counted by the login guard."""

    current_password_field = "old_password"  # noqa: S105 - the field's name

    def clean_old_password(self):
        return self._clean_current_password()


class GuardedAuthenticationForm(LoginGuardMixin, AuthenticationForm):
    """The website's sign-in form."""

    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True}))


class GuardedAdminAuthenticationForm(LoginGuardMixin, AdminAuthenticationForm):
    """/admin/login/ (accounts/admin.py installs it): the admin had no brute-force protection."""


class DeviceCodeForm(forms.Form):
    code = forms.CharField(label="Code shown by the CLI", max_length=20)


class SiteUrlPasswordResetForm(PasswordResetForm):
    """Password reset whose email links are built from settings.SITE_URL. Django's builds them from
    the request's Host header, so a reset requested with a forged Host mailed the victim a link to
    the attacker's site carrying a valid reset token."""

    def get_users(self, email):
        # The account is found the way sign-in finds it (Django's matches case-insensitively in SQL).
        for user in User.objects.filter(email=email_normalize(email), is_active=True):
            if user.has_usable_password():
                yield user

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        context = {**context, "site_url": settings.SITE_URL, "domain": None, "protocol": None}
        super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
