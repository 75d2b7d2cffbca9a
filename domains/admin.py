from django.contrib import admin

from domains import hosts
from domains.models import Domain


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "account", "status", "failure_reason", "verified_at", "last_checked_at")
    list_filter = ("status",)
    search_fields = ("domain", "account__username")
    raw_id_fields = ("account",)
    readonly_fields = ("public_id", "challenge_token", "created_at")

    # Staff changing a status here take effect at once on every process, as the API's changes do.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        hosts.forget(obj.domain)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        hosts.forget(obj.domain)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        hosts.forget()
