from django import forms
from django.contrib.auth import password_validation

from accounts.forms import CurrentPasswordMixin, GuardedAuthenticationForm
from accounts.models import API_KEY_SCOPES, User
from accounts.normalize import email_normalize
from accounts.services import AVATAR_MAX_BYTES, AVATAR_TYPES, DEFAULT_KEY_SCOPES
from templates_registry.categories import CATEGORIES


class SignInForm(GuardedAuthenticationForm):
    """Sign-in by email or username. A username is resolved to its account's email first, so the
    lockout and authentication that follow (GuardedAuthenticationForm) are exactly the email path's."""

    username = forms.CharField(
        label="Email or username",
        max_length=255,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        login = (self.cleaned_data.get("username") or "").strip()
        if login and "@" not in login:
            email = User.objects.filter(username__iexact=login).values_list("email", flat=True).first()
            if email:
                self.cleaned_data["username"] = email
        return super().clean()


class SignupForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    username = forms.CharField(
        label="Username",
        required=False,
        max_length=39,
        help_text="Optional: your profile lives at loopwind.dev/<username>.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    name = forms.CharField(label="Name", required=False, max_length=255)
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rules up front, from the validators that will check it (AUTH_PASSWORD_VALIDATORS).
        self.fields["password"].help_text = password_validation.password_validators_help_text_html()


class TemplateEditForm(forms.Form):
    description = forms.CharField(label="Description", required=False, max_length=2000, widget=forms.Textarea)
    category = forms.ChoiceField(
        label="Category",
        required=False,
        choices=[("", "None")] + [(c.slug, c.label) for c in CATEGORIES],
        help_text="The marketplace shelf it is listed on. A new version whose loopwind.json names one moves it.",
    )
    tags = forms.CharField(label="Tags", required=False, help_text="Comma-separated.", max_length=400)
    private = forms.BooleanField(label="Private (only you can see and render it)", required=False)


class DeprecateForm(forms.Form):
    version = forms.CharField(max_length=64, widget=forms.HiddenInput)
    message = forms.CharField(
        label="Deprecation message", max_length=500, required=False, help_text="Empty to undeprecate."
    )
    yanked = forms.BooleanField(label="Yanked (withdrawn: never latest)", required=False)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Key name", max_length=100)
    scopes = forms.MultipleChoiceField(
        label="Scopes",
        choices=[(scope, scope) for scope in API_KEY_SCOPES],
        initial=DEFAULT_KEY_SCOPES,
        widget=forms.CheckboxSelectMultiple,
    )


class PropsForm(forms.Form):
    """The "try it" form, built from a version's manifest props. Empty fields are left out so the
    template's defaults apply; the values are text, typed by the manifest as a URL's are
    (engine.props_from_text), and the engine validates them."""

    def __init__(self, *args, props_spec: dict, **kwargs):
        super().__init__(*args, **kwargs)
        # Required props first (the stored manifest does not keep the author's order).
        self.props_spec = dict(sorted(props_spec.items(), key=lambda item: not item[1].get("required")))
        for name, spec in self.props_spec.items():
            kind = spec.get("type", "string")
            label = name + ("" if spec.get("required") else " (optional)")
            help_text = spec.get("description", "")
            initial = spec.get("example", spec.get("default"))
            if spec.get("enum"):
                choices = [("", "—")] * (not spec.get("required")) + [(str(v), str(v)) for v in spec["enum"]]
                field = forms.ChoiceField(choices=choices, required=False)
            elif kind == "boolean":
                field = forms.BooleanField(required=False)
            elif kind in ("number", "integer"):
                attrs = {"step": "1" if kind == "integer" else "any"}
                attrs.update({k: spec[k] for k in ("min", "max") if spec.get(k) is not None})
                field = forms.CharField(required=False, widget=forms.NumberInput(attrs=attrs))
            else:
                attrs = {"maxlength": spec["maxLength"]} if spec.get("maxLength") else {}
                if kind == "image":
                    attrs["placeholder"] = "https://… or an asset path"
                if kind == "color":
                    attrs["placeholder"] = "#f59e0b"
                field = forms.CharField(required=False, widget=forms.TextInput(attrs=attrs), strip=False)
                field.is_color = kind == "color"  # a color picker beside the text (site.js)
            if spec.get("required") and kind != "boolean":
                # Announced as required; still not required by the form, so the engine names what is missing.
                field.widget.attrs["required"] = True
            field.label, field.help_text, field.initial = label, help_text, initial
            self.fields[name] = field

    def props(self) -> dict:
        out = {}
        for name, spec in self.props_spec.items():
            value = self.cleaned_data.get(name)
            kind = spec.get("type", "string")
            if kind == "boolean":
                out[name] = bool(value)
                continue
            if value in (None, ""):
                continue
            out[name] = value
        return out


class ProfileForm(forms.Form):
    """Account settings: name, bio and an optional new avatar (PNG, JPEG, WebP or GIF, at most 1 MB;
    the picture is opened by Pillow, so a renamed file of another kind is refused)."""

    name = forms.CharField(label="Name", required=False, max_length=255)
    bio = forms.CharField(
        label="Bio", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on your profile page. At most 500 characters.",
    )  # fmt: skip
    avatar = forms.ImageField(
        label="Avatar",
        required=False,
        help_text="PNG, JPEG, WebP or GIF, at most 1 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        if upload.size > AVATAR_MAX_BYTES:
            raise forms.ValidationError("The avatar is larger than 1 MB; pick a smaller picture.")
        kind = getattr(getattr(upload, "image", None), "format", None)
        if kind not in AVATAR_TYPES:
            raise forms.ValidationError("The avatar must be a PNG, JPEG, WebP or GIF picture.")
        upload.seek(0)
        return upload.read(), AVATAR_TYPES[kind]


class EmailChangeForm(CurrentPasswordMixin, forms.Form):
    email = forms.EmailField(
        label="New email",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We mail a confirmation link to the new address; your email changes when you open it.",
    )
    password = forms.CharField(
        label="Current password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        return self._clean_current_password()

    def clean_email(self):
        email = email_normalize(self.cleaned_data["email"])
        if email == self.user.email:
            raise forms.ValidationError("This is already your email.")
        if User.objects.filter(email=email).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email


class DeleteAccountForm(CurrentPasswordMixin, forms.Form):
    password = forms.CharField(
        label="Your password, to confirm",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        return self._clean_current_password()


ROLE_CHOICES = [("member", "Member: publish, render, read usage"),
                ("admin", "Admin: + members, invitations, keys, webhooks"),
                ("owner", "Owner: + billing, roles, deleting the organization")]  # fmt: skip


class OrgCreateForm(forms.Form):
    username = forms.CharField(
        label="Name in URLs",
        max_length=39,
        help_text="Lowercase letters, digits and dashes: templates are published as <name>/<template>.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(label="Display name", required=False, max_length=255)
    bio = forms.CharField(
        label="Bio", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class OrgProfileForm(forms.Form):
    name = forms.CharField(label="Display name", required=False, max_length=255)
    bio = forms.CharField(
        label="Bio", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    avatar_url = forms.URLField(
        label="Avatar URL", required=False, max_length=500, assume_scheme="https",
        help_text="An https:// image shown on the organization's profile.",
    )  # fmt: skip


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, initial="member")

    def __init__(self, *args, may_invite_owners: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_invite_owners:  # only owners invite owners (orgs.services.invitation_create)
            self.fields["role"].choices = [c for c in ROLE_CHOICES if c[0] != "owner"]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=[(code, code) for code, _ in ROLE_CHOICES])
