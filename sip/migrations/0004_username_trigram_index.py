from django.db import migrations


def create_index(apps, schema_editor):
    # PostgreSQL only: the SIP Users search looks for text anywhere in a username
    # (icontains, UPPER(username) LIKE '%...%'), which a trigram index answers without reading
    # every credential. SQLite scans; it has no such index.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS credential_username_trgm "
        "ON sip_credential USING gin (UPPER(username) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS credential_username_trgm")


class Migration(migrations.Migration):
    dependencies = [("sip", "0003_credential_account")]

    operations = [migrations.RunPython(create_index, drop_index)]
