from django.contrib import admin, messages

from rendering import jobs, webhooks
from rendering.models import Render, RenderBatch, RenderJob, WebhookAttempt, WebhookDelivery


@admin.register(Render)
class RenderAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "user",
        "template",
        "format",
        "scale",
        "source",
        "duration_ms",
        "size",
        "created_at",
    )
    list_filter = ("format", "source")
    search_fields = ("public_id", "user__username", "template__name")
    date_hierarchy = "created_at"
    list_select_related = ("user", "template", "template__owner")
    raw_id_fields = ("user", "template", "version")
    readonly_fields = [f.name for f in Render._meta.fields]


@admin.register(RenderJob)
class RenderJobAdmin(admin.ModelAdmin):
    list_display = ("public_id", "user", "template", "format", "status", "progress", "attempts", "error_code",
                    "created_at", "completed_at")  # fmt: skip
    list_filter = ("status", "format", "created_at", ("user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("public_id", "user__username", "user__email", "template__name", "error_code")
    date_hierarchy = "created_at"
    list_select_related = ("user", "template", "template__owner")
    raw_id_fields = ("user", "template", "version")
    readonly_fields = [f.name for f in RenderJob._meta.fields]
    actions = ["retry"]

    @admin.action(description="Retry failed or cancelled jobs")
    def retry(self, request, queryset):
        retried = sum(jobs.render_job_retry(actor=request.user, job=job) for job in queryset)
        skipped = queryset.count() - retried
        self.message_user(request, f"Queued {retried} job(s) again; {skipped} skipped (not failed or cancelled).",
                          messages.SUCCESS if retried else messages.WARNING)  # fmt: skip


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "at", "ok", "status_code", "error", "duration_ms", "response_excerpt")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "user",
        "event",
        "url",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
    )
    list_filter = ("status", "event", "created_at")
    search_fields = ("public_id", "user__username", "url", "job__public_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    raw_id_fields = ("user", "job")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver now")
    def redeliver(self, request, queryset):
        for delivery in queryset.select_related("user"):
            webhooks.webhook_redeliver(user=delivery.user, delivery_id=delivery.public_id)
        self.message_user(request, f"Redelivering {queryset.count()} webhook(s).", messages.SUCCESS)


@admin.register(RenderBatch)
class RenderBatchAdmin(admin.ModelAdmin):
    list_display = ("public_id", "user", "template", "format", "status", "total_rows", "skipped_rows",
                    "created_at", "completed_at")  # fmt: skip
    list_filter = ("status", "format", "created_at")
    search_fields = ("public_id", "user__username", "user__email", "template__name")
    date_hierarchy = "created_at"
    list_select_related = ("user", "template", "template__owner")
    raw_id_fields = ("user", "template", "version")
    readonly_fields = [f.name for f in RenderBatch._meta.fields]
