from django.db import migrations
from django.db import models

# A list's name index with its created_at: SQLite's search of an account's lists tests each
# name on the index, and the order of what it finds (newest first) is read from it too, not
# from each list's row (whippy.sql_tables: a search of 1,000 lists 0.43 to 0.29 ms).


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_sign_in_security"),
        ("sip", "0020_kept_table_sizes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="credentiallist", name="list_account_name"),
        migrations.AddIndex(
            model_name="credentiallist",
            index=models.Index(fields=["account", "name", "created_at"], name="list_account_name"),
        ),
    ]
