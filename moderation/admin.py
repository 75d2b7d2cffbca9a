from django.contrib import admin

from moderation.models import ModerationLog, TemplateViolation


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "target_type", "target_label", "reason")
    list_filter = ("action", "target_type")
    search_fields = ("target_label", "target_id", "reason", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the log is append-only


@admin.register(TemplateViolation)
class TemplateViolationAdmin(admin.ModelAdmin):
    list_display = ("template", "reason", "created_by", "created_at")
    search_fields = ("template__name", "template__owner__username", "reason")
    list_select_related = ("template", "template__owner", "created_by")
    readonly_fields = ("template", "created_by", "created_at")

    def has_add_permission(self, request):
        return False  # marked from the template list's "mark as violating" action, which also hides it
