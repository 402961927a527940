"""On PostgreSQL, the setup version (0011) and the SIP user counts (0012) are kept by one
trigger run per statement instead of per row: it reads the statement's rows from its
transition tables and updates each account once.

Per row, an import of 10,000 SIP users updated its account's row 10,000 times in one
transaction (twice, version and count), and PostgreSQL keeps every version of a row until the
transaction ends, each update finding the newest through all the older ones: the import took
5.8 s instead of 0.5 s. SQLite has no statement triggers, and updates a row in place: its row
triggers stay.

What they keep does not change: a change of any origin moves the version of each account it
touches, in its own transaction, and the counts stay the real ones (tests/sip/
test_fragment_cache.py and test_sip_user_count.py, on both databases).
"""

import importlib

from django.db import migrations

ACCOUNTS = "accounts_provideraccount"
COUNTS = "sip_sipusercount"
# table: the accounts of a set of its rows ({rows}: a transition table)
TABLES = {
    "sip_sipdomain": "SELECT account_id FROM {rows}",
    "sip_credentiallist": "SELECT account_id FROM {rows}",
    "sip_credential": "SELECT account_id FROM {rows}",
    "sip_credentialattachment": (
        "SELECT d.account_id FROM {rows} r INNER JOIN sip_sipdomain d ON d.id = r.domain_id"
    ),
}
# event: its transition tables
EVENTS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
FUNCTION = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body}
    RETURN NULL;
END
$$;
CREATE TRIGGER {name} AFTER {event} ON {table} {referencing}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


def version_body(table: str, event: str) -> str:
    rows = {"INSERT": ["new_rows"], "UPDATE": ["old_rows", "new_rows"], "DELETE": ["old_rows"]}
    accounts = " UNION ".join(TABLES[table].format(rows=name) for name in rows[event])
    return f"UPDATE {ACCOUNTS} SET setup_version = setup_version + 1 WHERE id IN ({accounts});"


def add(rows: str) -> str:
    return (
        f"INSERT INTO {COUNTS} (account_id, sip_users) SELECT account_id, COUNT(*) FROM {rows} "
        f"GROUP BY account_id ON CONFLICT (account_id) "
        f"DO UPDATE SET sip_users = {COUNTS}.sip_users + EXCLUDED.sip_users;"
    )


def take(rows: str) -> str:
    return (
        f"UPDATE {COUNTS} c SET sip_users = c.sip_users - gone.n "
        f"FROM (SELECT account_id, COUNT(*) AS n FROM {rows} GROUP BY account_id) gone "
        "WHERE c.account_id = gone.account_id;"
    )


# An update counts only the rows whose account it changed.
MOVED = (
    "(SELECT {side}.account_id FROM old_rows o INNER JOIN new_rows n ON n.id = o.id "
    "WHERE n.account_id IS DISTINCT FROM o.account_id) {alias}"
)
COUNT_BODIES = {
    "INSERT": add("new_rows"),
    "DELETE": take("old_rows"),
    "UPDATE": take(MOVED.format(side="o", alias="moved_from"))
    + "\n    "
    + add(MOVED.format(side="n", alias="moved_to")),
}

ROW_TRIGGERS = [f"DROP TRIGGER {table}_setup_changed ON {table}" for table in TABLES] + [
    f"DROP FUNCTION {table}_setup_changed()" for table in TABLES
]
ROW_COUNT_TRIGGER = [
    "DROP TRIGGER sip_credential_counted ON sip_credential",
    "DROP FUNCTION sip_credential_counted()",
]


def statement_triggers() -> list[tuple[str, str, str]]:
    """(name, table, SQL) of every statement trigger."""
    found = []
    for event, referencing in EVENTS.items():
        bodies = {
            (f"{table}_setup_{event.lower()}", table): version_body(table, event)
            for table in TABLES
        }
        bodies[f"sip_credential_counted_{event.lower()}", "sip_credential"] = COUNT_BODIES[event]
        for (name, table), body in bodies.items():
            sql = FUNCTION.format(
                name=name, body=body, event=event, table=table, referencing=referencing
            )
            found.append((name, table, sql))
    return found


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in ROW_TRIGGERS + ROW_COUNT_TRIGGER:
        schema_editor.execute(statement)
    for _, _, sql in statement_triggers():
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, _ in statement_triggers():
        schema_editor.execute(f"DROP TRIGGER {name} ON {table}")
        schema_editor.execute(f"DROP FUNCTION {name}()")
    versions = importlib.import_module("sip.migrations.0011_setup_version_triggers")
    counts = importlib.import_module("sip.migrations.0012_sip_user_count")
    rows = versions.statements("postgresql")[: len(TABLES)]  # the tables' (not the account's)
    for statement in [*rows, counts.POSTGRESQL]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("sip", "0013_username_trigram_sqlite")]

    operations = [migrations.RunPython(forward, backward)]
