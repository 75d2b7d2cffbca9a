from django.db import migrations, models
from django.db.models import F


def deprecated_since_publish(apps, schema_editor):
    """Versions deprecated before the date was kept: the best known is their publish date."""
    TemplateVersion = apps.get_model("templates_registry", "TemplateVersion")
    TemplateVersion.objects.exclude(deprecated="").update(deprecated_at=F("published_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("templates_registry", "0003_listing_sort_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="templateversion",
            name="deprecated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="templateversion",
            name="yanked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="templateversion",
            name="yank_reason",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.RunPython(deprecated_since_publish, migrations.RunPython.noop),
    ]
