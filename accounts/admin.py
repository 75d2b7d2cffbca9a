from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts import moderation
from accounts.forms import GuardedAdminAuthenticationForm
from accounts.models import ApiKey, DeviceAuthorization, User
from accounts.normalize import email_normalize
from moderation.forms import ReasonActionForm

# The admin's sign-in goes through the same per-account and per-IP lockout as the API and the site.
admin.site.login_form = GuardedAdminAuthenticationForm


class NormalizedEmailMixin:
    def clean_email(self):
        # Normalised before the uniqueness check, as User.save stores it: a look-alike is a duplicate.
        return email_normalize(self.cleaned_data["email"])


class LoopwindUserCreationForm(NormalizedEmailMixin, UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "username")


class LoopwindUserChangeForm(NormalizedEmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines: list = []  # billing/admin.py adds the subscription and usage
    form = LoopwindUserChangeForm
    add_form = LoopwindUserCreationForm
    ordering = ("-created_at",)
    list_display = ("username", "email", "name", "plan", "is_active", "is_staff", "created_at")
    list_filter = ("plan", "is_active", "is_staff")
    search_fields = ("username", "email", "name", "public_id")
    readonly_fields = ("public_id", "created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("public_id", "email", "username", "password")}),
        ("Profile", {"fields": ("name", "bio", "avatar_url", "plan")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )
    action_form = ReasonActionForm
    actions = ["suspend", "unsuspend"]

    def get_queryset(self, request):
        # People only: an organization has no email or password, which these forms require; the
        # staff manage organizations in orgs/admin.py (created by people, never here).
        return super().get_queryset(request).filter(kind=User.Kind.PERSON)

    @admin.action(description="Suspend (keys, tokens and sessions stop working)")
    def suspend(self, request, queryset):
        suspended = 0
        for user in queryset.exclude(pk=request.user.pk):
            moderation.user_suspend(actor=request.user, user=user, reason=request.POST.get("reason", ""))
            suspended += 1
        self.message_user(request, f"Suspended {suspended} user(s).", messages.SUCCESS)

    @admin.action(description="Lift the suspension")
    def unsuspend(self, request, queryset):
        for user in queryset:
            moderation.user_unsuspend(actor=request.user, user=user)
        self.message_user(request, f"Reactivated {queryset.count()} user(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "scopes", "last_used_at", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username", "public_id")
    list_select_related = ("user",)
    readonly_fields = ("public_id", "prefix", "key_hash", "created_at", "last_used_at")
    raw_id_fields = ("user",)

    def has_add_permission(self, request):
        return False  # keys are created by their owners, who alone see the whole key once


@admin.register(DeviceAuthorization)
class DeviceAuthorizationAdmin(admin.ModelAdmin):
    list_display = ("user_code", "status", "user", "client_name", "created_at", "expires_at")
    list_filter = ("status",)
    readonly_fields = ("device_code_hash",)
    raw_id_fields = ("user",)
