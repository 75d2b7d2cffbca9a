from django.db import migrations, models

from billing.defaults import DEFAULT_PLANS


def seed(apps, schema_editor):
    """The default plans get their batch sizes; plans made in the admin keep 0 (no batches)."""
    Plan = apps.get_model("billing", "Plan")
    for plan in DEFAULT_PLANS:
        Plan.objects.filter(code=plan["code"]).update(max_batch_rows=plan["max_batch_rows"])


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0004_usage_render_cpu_ms'),
    ]

    operations = [
        migrations.AddField(
            model_name='plan',
            name='max_batch_rows',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
