from django.db import migrations

from billing.defaults import DEFAULT_PLANS as PLANS


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    known = {field.name for field in Plan._meta.get_fields()}  # later migrations add (and fill) the rest
    for plan in PLANS:
        Plan.objects.update_or_create(code=plan["code"], defaults={k: v for k, v in plan.items() if k in known})


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
