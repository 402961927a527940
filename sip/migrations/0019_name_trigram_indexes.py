from django.db import migrations

# PostgreSQL: indexes of the trigrams of what the Domains and Credential Lists tabs search (a
# domain's name and address, a list's name), in upper case as the search's LIKE tests them
# (whippy.sql_tables.Select.indexed). An account's 1,000 domains were each tested: 0.8 ms a
# search; the index names the few that may match. The Django admin's searches ask them too,
# and the Credential Attachments' search of its domains' and lists' names.
INDEXES = {
    "domain_name_trgm": "sip_sipdomain USING gin (UPPER(name::text) gin_trgm_ops)",
    "domain_domain_trgm": "sip_sipdomain USING gin (UPPER(domain::text) gin_trgm_ops)",
    "list_name_trgm": "sip_credentiallist USING gin (UPPER(name::text) gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, on in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("sip", "0018_username_trigrams_of_every_character")]

    operations = [migrations.RunPython(create, drop)]
