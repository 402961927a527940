"""The database keeps two more counts, as it keeps each account's SIP users (0012, 0014):
each account's credential attachments (sip_attachmentcount) and each credential list's SIP
users (sip_credentialcount). The Credential Attachments tab counted the big account's 5,000
attachments on every view, and it and the Credential Lists tab counted each row's list's SIP
users (50 counts of 100 rows a page); a list's page counted its SIP users for its total.

Triggers move each count in the change's own transaction, whoever makes it: on PostgreSQL once
per statement (from its transition tables), on SQLite once per row. A row whose key is NULL (an
attachment whose account the database has not set yet) is not counted; when the key changes,
the count moves. A count that comes down to zero is removed, so a list or an account
deleted by raw SQL once it is empty leaves no row behind to refer to it. Tests in tests/sip/test_kept_counts.py make changes of every kind, on both
databases, and compare with real counts."""

import importlib

import django.db.models.deletion
from django.db import migrations
from django.db import models

STATEMENT_TRIGGERS = importlib.import_module("sip.migrations.0014_statement_triggers_postgresql")

# the counts table: (its key, its number, the table it counts); the functions below take
# another such mapping too (0020 keeps two more counts with them)
KEPT = {
    "sip_attachmentcount": ("account_id", "attachments", "sip_credentialattachment"),
    "sip_credentialcount": ("credential_list_id", "credentials", "sip_credential"),
}
# The statement triggers' transition tables and function, as for the SIP user counts.
EVENTS = STATEMENT_TRIGGERS.EVENTS
FUNCTION = STATEMENT_TRIGGERS.FUNCTION


def fill(counts: str, kept: dict = KEPT) -> str:
    key, number, table = kept[counts]
    return (
        f"INSERT INTO {counts} ({key}, {number}) SELECT {key}, COUNT(*) FROM {table} "
        f"WHERE {key} IS NOT NULL GROUP BY {key}"
    )


def postgresql(counts: str, event: str, kept: dict = KEPT) -> str:
    """The body of the statement trigger that moves the counts for an event."""
    key, number, _ = kept[counts]

    def add(rows: str) -> str:
        return (
            f"INSERT INTO {counts} ({key}, {number}) SELECT {key}, COUNT(*) FROM {rows} "
            f"WHERE {key} IS NOT NULL GROUP BY {key} ON CONFLICT ({key}) "
            f"DO UPDATE SET {number} = {counts}.{number} + EXCLUDED.{number};"
        )

    def take(rows: str) -> str:
        gone = f"(SELECT {key}, COUNT(*) AS rows_gone FROM {rows} GROUP BY {key}) gone"
        return (
            f"UPDATE {counts} c SET {number} = c.{number} - gone.rows_gone FROM {gone} "
            f"WHERE c.{key} = gone.{key};\n    "
            f"DELETE FROM {counts} c USING {gone} WHERE c.{key} = gone.{key} AND c.{number} = 0;"
        )

    # An update counts only the rows whose key it changed.
    moved = (
        f"(SELECT {{side}}.{key} FROM old_rows o INNER JOIN new_rows n ON n.id = o.id "
        f"WHERE n.{key} IS DISTINCT FROM o.{key}) {{alias}}"
    )
    return {
        "INSERT": add("new_rows"),
        "DELETE": take("old_rows"),
        "UPDATE": take(moved.format(side="o", alias="moved_from"))
        + "\n    "
        + add(moved.format(side="n", alias="moved_to")),
    }[event]


def sqlite(counts: str, kept: dict = KEPT) -> list[str]:
    key, number, table = kept[counts]

    def add(row: str) -> str:
        return (
            f"INSERT INTO {counts} ({key}, {number}) SELECT {row}.{key}, 1 "
            f"WHERE {row}.{key} IS NOT NULL ON CONFLICT ({key}) "
            f"DO UPDATE SET {number} = {counts}.{number} + 1"
        )

    def take(row: str) -> str:
        return (
            f"UPDATE {counts} SET {number} = {number} - 1 WHERE {key} = {row}.{key}; "
            f"DELETE FROM {counts} WHERE {key} = {row}.{key} AND {number} = 0"
        )

    return [
        f"CREATE TRIGGER {counts}_insert AFTER INSERT ON {table} BEGIN {add('NEW')}; END",
        f"CREATE TRIGGER {counts}_delete AFTER DELETE ON {table} BEGIN {take('OLD')}; END",
        f"CREATE TRIGGER {counts}_update AFTER UPDATE OF {key} ON {table} "
        f"WHEN NEW.{key} IS NOT OLD.{key} BEGIN {take('OLD')}; {add('NEW')}; END",
    ]


def triggers(counts: str, kept: dict = KEPT) -> list[tuple[str, str]]:
    """(name, SQL) of each trigger that keeps a count, on PostgreSQL."""
    table = kept[counts][2]
    return [
        (
            f"{counts}_{event.lower()}",
            FUNCTION.format(
                name=f"{counts}_{event.lower()}",
                body=postgresql(counts, event, kept),
                event=event,
                table=table,
                referencing=referencing,
            ),
        )
        for event, referencing in EVENTS.items()
    ]


def create(apps, schema_editor, kept: dict = KEPT):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for counts, (_, _, table) in kept.items():
        if postgresql:
            # No row may be added or removed between the count and the triggers.
            schema_editor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        schema_editor.execute(fill(counts, kept))
        statements = (
            [sql for _, sql in triggers(counts, kept)] if postgresql else sqlite(counts, kept)
        )
        for statement in statements:
            schema_editor.execute(statement)


def drop(apps, schema_editor, kept: dict = KEPT):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for counts, (_, _, table) in kept.items():
        for event in EVENTS:
            name = f"{counts}_{event.lower()}"
            if postgresql:
                schema_editor.execute(f"DROP TRIGGER {name} ON {table}")
                schema_editor.execute(f"DROP FUNCTION {name}()")
            else:
                schema_editor.execute(f"DROP TRIGGER {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_sign_in_security"),
        ("sip", "0015_attachment_account"),
    ]

    operations = [
        migrations.CreateModel(
            name="AttachmentCount",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="accounts.provideraccount",
                    ),
                ),
                ("attachments", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="CredentialCount",
            fields=[
                (
                    "credential_list",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="sip.credentiallist",
                    ),
                ),
                ("credentials", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
