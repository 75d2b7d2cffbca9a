from django.conf import settings
from django.contrib import admin, messages

from moderation.forms import ReasonActionForm
from templates_registry import moderation
from templates_registry.models import Star, Tag, Template, TemplateVersion
from templates_registry.previews import HEAVY_SHARE


class VersionInline(admin.TabularInline):
    model = TemplateVersion
    extra = 0
    can_delete = False
    fields = ("version", "published_at", "downloads", "deprecated", "checksum")
    readonly_fields = ("version", "published_at", "downloads", "checksum")
    show_change_link = True


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "type",
        "category",
        "private",
        "featured",
        "downloads",
        "stars",
        "published_at",
        "unpublished_at",
    )
    list_filter = ("featured", "category", "type", "private", "unpublished_at")
    search_fields = ("name", "owner__username", "public_id", "description")
    list_select_related = ("owner",)
    raw_id_fields = ("owner", "latest_version")
    readonly_fields = ("public_id", "created_at", "updated_at", "downloads", "renders", "stars")
    exclude = ("search_vector",)
    inlines = [VersionInline]
    # Moderation goes through actions (each logged in the ModerationLog), not by editing the flags.
    action_form = ReasonActionForm
    actions = ["feature", "unfeature", "unpublish", "mark_violating", "clear_violation"]

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "featured", "unpublished_at")

    @admin.action(description="Feature on the home page")
    def feature(self, request, queryset):
        for template in queryset.select_related("owner"):
            moderation.template_feature_set(actor=request.user, template=template, featured=True)
        self.message_user(request, f"Featured {queryset.count()} template(s).", messages.SUCCESS)

    @admin.action(description="Stop featuring")
    def unfeature(self, request, queryset):
        for template in queryset.select_related("owner"):
            moderation.template_feature_set(actor=request.user, template=template, featured=False)
        self.message_user(request, f"Unfeatured {queryset.count()} template(s).", messages.SUCCESS)

    @admin.action(description="Unpublish (hide from everyone)")
    def unpublish(self, request, queryset):
        reason = request.POST.get("reason", "")
        for template in queryset.select_related("owner"):
            moderation.template_moderate_unpublish(actor=request.user, template=template, reason=reason)
        self.message_user(request, f"Unpublished {queryset.count()} template(s).", messages.SUCCESS)

    @admin.action(description="Mark as violating (hide; the owner sees the reason)")
    def mark_violating(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Give a reason: the owner is shown it.", messages.ERROR)
            return
        for template in queryset.select_related("owner"):
            moderation.template_mark_violating(actor=request.user, template=template, reason=reason)
        self.message_user(request, f"Marked {queryset.count()} template(s) as violating.", messages.SUCCESS)

    @admin.action(description="Clear the violation mark")
    def clear_violation(self, request, queryset):
        for template in queryset.select_related("owner"):
            moderation.template_violation_clear(actor=request.user, template=template)
        self.message_user(request, "Cleared; the owner can publish the template again.", messages.SUCCESS)


class HeavyFilter(admin.SimpleListFilter):
    """Versions whose publish preview took much of the render time limit: a template whose cost grows
    with a prop can hold renderers (issue 22); staff look at these first."""

    title = "render cost"
    parameter_name = "heavy"

    def lookups(self, request, model_admin):
        return [("1", f"preview over {HEAVY_SHARE:.0%} of the render time limit")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(preview_cpu_ms__gt=HEAVY_SHARE * settings.RENDER_TIME_LIMIT * 1000)
        return queryset


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    list_display = ("template", "version", "published_at", "downloads", "preview_cpu_ms", "deprecated")
    list_filter = (HeavyFilter,)
    search_fields = ("template__name", "version")
    list_select_related = ("template", "template__owner")
    readonly_fields = [f.name for f in TemplateVersion._meta.fields if f.name != "deprecated"]


admin.site.register(Tag)
admin.site.register(Star)
