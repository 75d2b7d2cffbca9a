"""Organizations in the staff admin: their plan and seats, members, and a Business trial."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from accounts.models import Membership, Role
from billing.admin import SubscriptionInline, UsageInline
from billing.plans import plan_limits
from billing.services import plan_set
from orgs.models import Organization
from orgs.services import LastOwner, seats_used

TRIAL = timedelta(days=30)


class MembershipFormSet(BaseInlineFormSet):
    """The rule orgs.services keeps for everyone (LastOwner) holds for the staff too: an organization
    is never left without an owner."""

    def clean(self):
        super().clean()
        owners = sum(
            1
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("role") == Role.OWNER
        )
        if owners == 0:
            raise ValidationError(LastOwner.message)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    fk_name = "org"
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    ordering = ("user__username",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = (
        "username",
        "name",
        "plan",
        "plan_expires_at",
        "seats",
        "members",
        "is_active",
        "created_at",
    )
    list_filter = ("plan", "is_active")
    search_fields = ("username", "name", "public_id", "memberships__user__username")
    ordering = ("-created_at",)
    fields = (
        "public_id", "username", "name", "bio", "avatar_url", "plan", "plan_expires_at", "seats", "is_active",
        "created_at", "updated_at",
    )  # fmt: skip
    readonly_fields = ("public_id", "username", "seats", "created_at", "updated_at")
    inlines = [MembershipInline, SubscriptionInline, UsageInline]
    actions = ["grant_business_trial"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships", distinct=True))

    def has_add_permission(self, request):
        return False  # organizations are created by people (the site or POST /api/orgs), who own them

    def has_delete_permission(self, request, obj=None):
        return False  # owners delete them (keys revoked first, no running subscription); staff deactivate

    @admin.display(description="members", ordering="member_count")
    def members(self, org) -> int:
        return org.member_count

    @admin.display(description="seats used")
    def seats(self, org) -> str:
        return f"{seats_used(org)} / {plan_limits(org).seats}"

    @admin.action(description="Grant a 30-day Business trial")
    def grant_business_trial(self, request, queryset):
        until = timezone.now() + TRIAL
        for org in queryset:
            plan_set(user=org, code="business", expires_at=until, actor=request.user)
        self.message_user(
            request,
            f"{queryset.count()} organization(s) on Business until {until:%Y-%m-%d %H:%M} UTC.",
            messages.SUCCESS,
        )
