from django.contrib import admin

from domains.models import Domain


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "account", "status", "failure_reason", "verified_at", "last_checked_at")
    list_filter = ("status",)
    search_fields = ("domain", "account__username")
    raw_id_fields = ("account",)
    readonly_fields = ("public_id", "challenge_token", "created_at")
