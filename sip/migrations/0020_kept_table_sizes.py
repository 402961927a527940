"""The database keeps two more counts, as 0016 keeps each account's attachments: each account's
SIP domains (sip_domaincount) and credential lists (sip_listcount). The Domains and Credential
Lists tabs counted the big account's 1,000 of each on every view, and their deep pages walked
up to 950 keys of the index; with the number kept, a page past the middle is read backwards
from the end it is nearer to (whippy.sql_tables.SqlRows), as SIP Users and the attachments
are.

The same triggers as 0016's (made by its functions, given these counts): on PostgreSQL once
per statement, on SQLite once per row; a domain or list moved to another account moves its
count; a count that comes down to zero is removed. Tests in tests/sip/test_kept_table_sizes.py
make changes of every kind, on both databases, and compare with real counts."""

import functools
import importlib

import django.db.models.deletion
from django.db import migrations
from django.db import models

COUNTS = importlib.import_module("sip.migrations.0016_kept_counts")

# the counts table: (its key, its number, the table it counts)
KEPT = {
    "sip_domaincount": ("account_id", "domains", "sip_sipdomain"),
    "sip_listcount": ("account_id", "lists", "sip_credentiallist"),
}


def count_of(name: str, number: str) -> migrations.CreateModel:
    return migrations.CreateModel(
        name=name,
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
            (number, models.BigIntegerField(default=0)),
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_sign_in_security"),
        ("sip", "0019_name_trigram_indexes"),
    ]

    operations = [
        count_of("DomainCount", "domains"),
        count_of("ListCount", "lists"),
        migrations.RunPython(
            functools.partial(COUNTS.create, kept=KEPT), functools.partial(COUNTS.drop, kept=KEPT)
        ),
    ]
