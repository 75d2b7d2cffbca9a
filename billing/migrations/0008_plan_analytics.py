from django.db import migrations, models

from billing.defaults import DEFAULT_PLANS

FIELDS = ("analytics_days", "analytics_intervals", "analytics_groupings")


def seed(apps, schema_editor):
    """The default plans get their analytics (Business: 90 days, every interval and grouping)."""
    Plan = apps.get_model("billing", "Plan")
    for plan in DEFAULT_PLANS:
        Plan.objects.filter(code=plan["code"]).update(**{name: plan[name] for name in FIELDS})


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0007_plan_custom_domains"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="analytics_days",
            field=models.PositiveIntegerField(default=7),
        ),
        migrations.AddField(
            model_name="plan",
            name="analytics_intervals",
            field=models.CharField(default="day", help_text="comma-separated: minute, hour, day", max_length=40),
        ),
        migrations.AddField(
            model_name="plan",
            name="analytics_groupings",
            field=models.CharField(
                default="route,status",
                help_text="comma-separated: route, template, key, status, format, cache",
                max_length=80,
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
