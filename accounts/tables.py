"""The organization's tables: its provider accounts and its Activity. Registered, like the
account page's (sip/tables.py), for the tests and the benchmark."""

from __future__ import annotations

from whippy.tables import Column, RowLink, TableSpec, register

ACCOUNTS = register(
    TableSpec(
        "accounts:account-list",
        "account-table",
        [
            Column("name", "Name", "name"),
            Column("provider", "Provider", "provider"),
            Column("domains", "SIP domains", "domain_count", numeric=True),
            Column("lists", "Credential lists", "list_count", numeric=True),
            Column("review", "Setup review"),
            Column("created", "Created", "created_at"),
        ],
        search=["name"],
        links={
            "open": RowLink("sip:domain-list", "{path}{row.pk}/domains/"),
            "edit": RowLink("accounts:account-update", "{path}{row.pk}/edit/"),
            "delete": RowLink("accounts:account-delete", "{path}{row.pk}/delete/"),
        },
    )
)

ACTIVITY = register(
    TableSpec(
        "org-activity",
        "activity-table",
        [
            Column("created", "When", "created_at"),
            Column("actor", "Who", "actor_name"),
            Column("account", "Account", "account_name"),
            Column("what", "What", "object_type"),
            Column("change", "Change"),
        ],
        search=["summary", "actor_name", "account_name"],
        # Only for records of an account that still exists (the template checks).
        links={"account": RowLink("sip:activity-list", "{accounts}{row.account_id}/activity/")},
    )
)
