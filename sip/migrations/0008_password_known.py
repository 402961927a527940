"""Credential.password_known, and the sip_auth view leaving out SIP users whose password this
app does not know (imported from the provider, which never returns passwords): no digest, no
authentication, until the password is rotated here.

SQLite rebuilds the table to add the column, which the view does not survive: it is set aside
around the change there. PostgreSQL adds the column in place and replaces the view (same
columns, so sip_auth_lookup and the SIP server's role keep working).
"""

import importlib

from django.db import migrations, models

OLD_VIEW = importlib.import_module("sip.migrations.0005_auth_view").VIEW
NEW_VIEW = OLD_VIEW.rstrip() + "\nWHERE c.password_known\n"


def drop_view(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP VIEW sip_auth")


def create_view(view):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(view)
        else:
            schema_editor.execute(view.replace("CREATE VIEW", "CREATE OR REPLACE VIEW"))

    return run


def back_to_old(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        drop_view(apps, schema_editor)
    else:
        create_view(OLD_VIEW)(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("sip", "0007_twilio_connection"),
    ]

    operations = [
        migrations.RunPython(drop_view, create_view(OLD_VIEW)),
        migrations.AddField(
            model_name="credential",
            name="password_known",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.RunPython(create_view(NEW_VIEW), back_to_old),
    ]
