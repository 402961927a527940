"""The database keeps each account's setup_version: every insert, update and delete of a SIP
domain, credential list, credential or attachment, and every update of the account row itself,
moves it forward in the same transaction, whoever makes the change (the app, the Django admin, a
management command, an import or a raw SQL statement).

Cached setup reviews and table fragments are keyed by it, so a change of any origin makes the
next request compute them again (tests/sip/test_fragment_cache.py changes rows with raw SQL).

An update of the account row that does not move the version itself (a rename; or a save() that
writes back a version read before) moves it past the old one: it never goes back, so a version
once seen never comes back with other contents.
"""

from django.db import migrations

ACCOUNTS = "accounts_provideraccount"
# table: how a row of it names its account
TABLES = {
    "sip_sipdomain": "{row}.account_id",
    "sip_credentiallist": "{row}.account_id",
    "sip_credential": "{row}.account_id",
    "sip_credentialattachment": "(SELECT account_id FROM sip_sipdomain WHERE id = {row}.domain_id)",
}
BUMP = f"UPDATE {ACCOUNTS} SET setup_version = setup_version + 1 WHERE id = {{account}}"

POSTGRESQL_ROW = """
CREATE FUNCTION {table}_setup_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {old};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {new};
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER {table}_setup_changed AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_setup_changed();
"""
POSTGRESQL_ACCOUNT = f"""
CREATE FUNCTION provideraccount_setup_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.setup_version <= OLD.setup_version THEN
        NEW.setup_version := OLD.setup_version + 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER provideraccount_setup_changed BEFORE UPDATE ON {ACCOUNTS}
    FOR EACH ROW EXECUTE FUNCTION provideraccount_setup_changed();
"""

# SQLite: a trigger per event, and AFTER triggers cannot change NEW: the account's own trigger
# updates the row again (SQLite does not run a trigger from its own statement).
SQLITE_ROW = """
CREATE TRIGGER {table}_setup_{event} AFTER {event} ON {table}
BEGIN {statements}; END;
"""
SQLITE_ACCOUNT = f"""
CREATE TRIGGER provideraccount_setup_changed AFTER UPDATE ON {ACCOUNTS}
    WHEN NEW.setup_version <= OLD.setup_version
BEGIN
    UPDATE {ACCOUNTS} SET setup_version = OLD.setup_version + 1 WHERE id = NEW.id;
END;
"""


def bump(table: str, row: str) -> str:
    return BUMP.format(account=TABLES[table].format(row=row))


def statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        rows = [
            POSTGRESQL_ROW.format(table=table, old=bump(table, "OLD"), new=bump(table, "NEW"))
            for table in TABLES
        ]
        return [*rows, POSTGRESQL_ACCOUNT]
    rows = []
    for table in TABLES:
        for event, row_names in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
            body = "; ".join(bump(table, row) for row in row_names)
            rows.append(SQLITE_ROW.format(table=table, event=event, statements=body))
    return [*rows, SQLITE_ACCOUNT]


def drops(vendor: str) -> list[str]:
    if vendor == "postgresql":
        functions = [f"{table}_setup_changed" for table in TABLES] + ["provideraccount_setup_changed"]
        tables = [*TABLES, ACCOUNTS]
        return [
            f"DROP TRIGGER {function} ON {table}; DROP FUNCTION {function}();"
            for function, table in zip(functions, tables, strict=True)
        ]
    names = [f"{t}_setup_{e}" for t in TABLES for e in ("INSERT", "UPDATE", "DELETE")]
    return [f"DROP TRIGGER {name};" for name in [*names, "provideraccount_setup_changed"]]


def create(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    for statement in drops(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("sip", "0010_bulk_work"),
        ("accounts", "0008_bulk_work"),
    ]

    operations = [migrations.RunPython(create, drop)]
