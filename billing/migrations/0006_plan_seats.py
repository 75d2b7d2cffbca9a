from django.db import migrations, models

from billing.defaults import DEFAULT_PLANS


def seed(apps, schema_editor):
    """The default plans get their seats (Business 10); plans made in the admin keep 1."""
    Plan = apps.get_model("billing", "Plan")
    for plan in DEFAULT_PLANS:
        Plan.objects.filter(code=plan["code"]).update(seats=plan["seats"])


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0005_plan_max_batch_rows"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="seats",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
