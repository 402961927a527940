from django.db import migrations

# The index of the usernames' trigrams as whippy.sql_tables.SPELLED spells them: upper case,
# every character but a letter or a digit a 0 (pg_trgm keeps only letters and digits, so the
# index of UPPER(username) named every username with the words of a term, wherever they were).
# It replaces 0004's index; the Django admin's search asks it too (sip/admin.py).
SPELLED_INDEX = (
    "CREATE INDEX IF NOT EXISTS credential_username_spelled ON sip_credential USING gin "
    "(regexp_replace(UPPER(username::text), '[^A-Z0-9]', '0', 'g') gin_trgm_ops)"
)
UPPER_INDEX = (
    "CREATE INDEX IF NOT EXISTS credential_username_trgm "
    "ON sip_credential USING gin (UPPER(username) gin_trgm_ops)"
)


def spelled(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SPELLED_INDEX)
        schema_editor.execute("DROP INDEX IF EXISTS credential_username_trgm")


def upper(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UPPER_INDEX)
        schema_editor.execute("DROP INDEX IF EXISTS credential_username_spelled")


class Migration(migrations.Migration):
    dependencies = [("sip", "0017_recent_indexes_with_their_tiebreak")]

    operations = [migrations.RunPython(spelled, upper)]
