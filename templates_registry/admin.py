from django.contrib import admin

from templates_registry.models import Star, Tag, Template, TemplateVersion


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
        "private",
        "featured",
        "downloads",
        "stars",
        "published_at",
        "unpublished_at",
    )
    list_filter = ("type", "private", "featured", "unpublished_at")
    search_fields = ("name", "owner__username", "public_id", "description")
    list_select_related = ("owner",)
    raw_id_fields = ("owner", "latest_version")
    readonly_fields = ("public_id", "created_at", "updated_at", "downloads", "renders", "stars")
    exclude = ("search_vector",)
    inlines = [VersionInline]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    list_display = ("template", "version", "published_at", "downloads", "deprecated")
    search_fields = ("template__name", "version")
    list_select_related = ("template", "template__owner")
    readonly_fields = [f.name for f in TemplateVersion._meta.fields if f.name != "deprecated"]


admin.site.register(Tag)
admin.site.register(Star)
