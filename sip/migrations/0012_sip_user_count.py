"""The database keeps each account's number of SIP users (sip_sipusercount): a trigger on
sip_credential adds one on an insert, takes one off on a delete, and moves one on an update
that changes the account, in the change's own transaction, whoever makes it. The SIP Users tab
reads it instead of counting the account's credentials on every view (3 ms for 100,000 on
SQLite). The same statements run on PostgreSQL and SQLite (an upsert, ON CONFLICT); tests in
tests/sip/test_sip_user_count.py make changes of every kind and compare with a real count."""

import django.db.models.deletion
from django.db import migrations
from django.db import models

COUNTS = "sip_sipusercount"
ADD = (
    f"INSERT INTO {COUNTS} (account_id, sip_users) VALUES ({{row}}.account_id, 1) "
    f"ON CONFLICT (account_id) DO UPDATE SET sip_users = {COUNTS}.sip_users + 1"
)
TAKE = f"UPDATE {COUNTS} SET sip_users = sip_users - 1 WHERE account_id = {{row}}.account_id"
FILL = (
    f"INSERT INTO {COUNTS} (account_id, sip_users) "
    "SELECT account_id, COUNT(*) FROM sip_credential GROUP BY account_id"
)

POSTGRESQL = f"""
CREATE FUNCTION sip_credential_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.account_id IS NOT DISTINCT FROM OLD.account_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        {TAKE.format(row="OLD")};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {ADD.format(row="NEW")};
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sip_credential_counted AFTER INSERT OR UPDATE OR DELETE ON sip_credential
    FOR EACH ROW EXECUTE FUNCTION sip_credential_counted();
"""
SQLITE = [
    f"CREATE TRIGGER sip_credential_counted_insert AFTER INSERT ON sip_credential "
    f"BEGIN {ADD.format(row='NEW')}; END;",
    f"CREATE TRIGGER sip_credential_counted_delete AFTER DELETE ON sip_credential "
    f"BEGIN {TAKE.format(row='OLD')}; END;",
    f"CREATE TRIGGER sip_credential_counted_update AFTER UPDATE OF account_id ON sip_credential "
    f"WHEN NEW.account_id IS NOT OLD.account_id "
    f"BEGIN {TAKE.format(row='OLD')}; {ADD.format(row='NEW')}; END;",
]


def create(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        # No credential may be added or removed between the count and the trigger.
        schema_editor.execute("LOCK TABLE sip_credential IN SHARE MODE")
    schema_editor.execute(FILL)
    for statement in [POSTGRESQL] if postgresql else SQLITE:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = [
            "DROP TRIGGER sip_credential_counted ON sip_credential",
            "DROP FUNCTION sip_credential_counted()",
        ]
    else:
        statements = [
            f"DROP TRIGGER sip_credential_counted_{event}"
            for event in ("insert", "delete", "update")
        ]
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_sign_in_security"),
        ("sip", "0011_setup_version_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="SipUserCount",
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
                ("sip_users", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
