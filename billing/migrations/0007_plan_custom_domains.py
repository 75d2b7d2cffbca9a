from django.db import migrations, models

from billing.defaults import DEFAULT_PLANS


def seed(apps, schema_editor):
    """The default plans get their custom domains (Business 5); plans made in the admin keep 0."""
    Plan = apps.get_model("billing", "Plan")
    for plan in DEFAULT_PLANS:
        Plan.objects.filter(code=plan["code"]).update(custom_domains=plan["custom_domains"])


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0006_plan_seats"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="custom_domains",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
