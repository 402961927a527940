"""SQLite's index for the username search: an FTS5 table with the trigram tokenizer over
sip_credential's usernames, kept by triggers in each change's own transaction, whoever makes
it. PostgreSQL has its trigram index already (0004_username_trigram_index); on SQLite a
substring search read all 100,000 usernames of an account (45 ms a page). The search still
tests each row with the same LIKE as before: the index only narrows the rows to test
(whippy/sql_tables.py, SqlRows.matching), so what a search finds does not change."""

from django.db import migrations

TABLE = "sip_credential_username"
STATEMENTS = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(username, content='sip_credential', "
    "content_rowid='id', tokenize='trigram')",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON sip_credential "
    f"BEGIN INSERT INTO {TABLE}(rowid, username) VALUES (NEW.id, NEW.username); END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON sip_credential "
    f"BEGIN INSERT INTO {TABLE}({TABLE}, rowid, username) "
    "VALUES ('delete', OLD.id, OLD.username); END",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF username ON sip_credential "
    f"BEGIN INSERT INTO {TABLE}({TABLE}, rowid, username) "
    "VALUES ('delete', OLD.id, OLD.username); "
    f"INSERT INTO {TABLE}(rowid, username) VALUES (NEW.id, NEW.username); END",
]
DROPS = [f"DROP TRIGGER {TABLE}_{event}" for event in ("insert", "delete", "update")] + [
    f"DROP TABLE {TABLE}"
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("sip", "0012_sip_user_count")]

    operations = [migrations.RunPython(run(STATEMENTS), run(DROPS))]
