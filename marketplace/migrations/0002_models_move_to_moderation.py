"""ModerationLog and TemplateViolation now belong to the moderation app (moderation 0001 took
over their tables); the marketplace forgets them without touching the database."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("marketplace", "0001_initial"),
        ("moderation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ModerationLog"),
                migrations.DeleteModel(name="TemplateViolation"),
            ],
            database_operations=[],
        ),
    ]
