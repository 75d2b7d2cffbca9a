from django.contrib import admin

from accounts.admin import UserAdmin
from billing.models import Plan, StripeEvent, Subscription, Usage
from billing.plans import plans_reload


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "price_cents", "image_renders_per_month", "video_renders_per_month",
                    "max_templates", "requests_per_minute", "private_templates", "webhooks", "priority_rendering")  # fmt: skip
    list_editable = ("image_renders_per_month", "video_renders_per_month", "requests_per_minute")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        plans_reload()


@admin.register(Usage)
class UsageAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "month", "count")
    list_filter = ("type", "month")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "stripe_customer_id", "stripe_subscription_id", "status", "plan_code",
                    "current_period_end", "payment_failed_at")  # fmt: skip
    search_fields = ("user__username", "stripe_customer_id", "stripe_subscription_id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "received_at")
    search_fields = ("event_id", "type")
    readonly_fields = ("event_id", "type", "received_at")


class UsageInline(admin.TabularInline):
    model = Usage
    extra = 0
    fields = ("type", "month", "count")
    ordering = ("-month",)


class SubscriptionInline(admin.StackedInline):
    model = Subscription
    extra = 0
    readonly_fields = (
        "stripe_customer_id",
        "stripe_subscription_id",
        "status",
        "plan_code",
        "current_period_end",
    )
    can_delete = False


# A user's page in the admin shows their subscription and usage: billing adds them to the accounts
# app's UserAdmin (billing sits above accounts, so accounts never imports billing).
UserAdmin.inlines = [*UserAdmin.inlines, SubscriptionInline, UsageInline]
