from django.db import migrations

# PostgreSQL: the usernames as whippy.sql_tables.SPELLED spells them (upper case, every
# character but a letter or a digit a 0), kept by the database, and the index of their
# trigrams (pg_trgm keeps only letters and digits, so 0004's index of UPPER(username) named
# every username with the words of a term, wherever they were). Stored, not only indexed: a
# search that matches most usernames reads the table, and spelling each of them again there
# cost twice the search. The Django admin's search asks it too (sip/admin.py).
SPELLED = [
    "ALTER TABLE sip_credential ADD COLUMN username_spelled text GENERATED ALWAYS AS "
    "(regexp_replace(UPPER(username::text), '[^A-Z0-9]', '0', 'g')) STORED",
    "CREATE INDEX credential_username_spelled ON sip_credential "
    "USING gin (username_spelled gin_trgm_ops)",
    "DROP INDEX IF EXISTS credential_username_trgm",
]
UPPER = [
    "CREATE INDEX IF NOT EXISTS credential_username_trgm "
    "ON sip_credential USING gin (UPPER(username) gin_trgm_ops)",
    "ALTER TABLE sip_credential DROP COLUMN username_spelled",  # and its index
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("sip", "0017_recent_indexes_with_their_tiebreak")]

    operations = [migrations.RunPython(run(SPELLED), run(UPPER))]
