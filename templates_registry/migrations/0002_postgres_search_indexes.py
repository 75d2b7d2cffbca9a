"""Search indexes that only PostgreSQL has: a GIN index on the stored search vector and a
trigram index on names (typo-tolerant search). SQLite skips them and searches by substring."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS template_search_vector_gin ON templates_registry_template USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS template_name_trgm ON templates_registry_template USING gin (name gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS template_name_trgm",
    "DROP INDEX IF EXISTS template_search_vector_gin",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("templates_registry", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
