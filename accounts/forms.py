from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts.login_guard import TooManyLoginAttempts, login_allowed_or_raise, login_failed


class GuardedAuthenticationForm(AuthenticationForm):
    """The website's sign-in form, with the same brute-force protection as POST /api/auth/login."""

    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True}))

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


class DeviceCodeForm(forms.Form):
    code = forms.CharField(label="Code shown by the CLI", max_length=20)
