"""The models moved here from the marketplace app. Their tables already exist (created by
marketplace 0001): this takes them over in Django's state only, then gives them this app's names."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("marketplace", "0001_initial"),
        ("templates_registry", "0003_listing_sort_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ModerationLog",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("action", models.CharField(choices=[("feature", "Feature"), ("unfeature", "Unfeature"), ("unpublish", "Unpublish"), ("violation", "Violation"), ("violation_cleared", "Violation Cleared"), ("suspend", "Suspend"), ("unsuspend", "Unsuspend"), ("job_retry", "Job Retry")], max_length=20)),
                        ("target_type", models.CharField(max_length=20)),
                        ("target_id", models.CharField(max_length=40)),
                        ("target_label", models.CharField(max_length=120)),
                        ("reason", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"ordering": ["-created_at", "-pk"], "db_table": "marketplace_moderationlog"},
                ),
                migrations.CreateModel(
                    name="TemplateViolation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("reason", models.TextField()),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("template", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="violation", to="templates_registry.template")),
                    ],
                    options={"db_table": "marketplace_templateviolation"},
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="moderationlog", table=None),
        migrations.AlterModelTable(name="templateviolation", table=None),
    ]
