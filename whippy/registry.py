"""Every table of the app, in one place: the page it is on (its URL name), the element its
swaps target, its columns, what its search looks in and its rows' links (built by string; each
resolved to its view by tests/test_registry.py). The tests and the benchmark walk TABLES, and
fail when a page with a table is missing from it."""

from __future__ import annotations

from whippy.tables import Column
from whippy.tables import RowLink
from whippy.tables import TableSpec

ACCOUNTS = TableSpec(
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

ORG_ACTIVITY = TableSpec(
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


DOMAINS = TableSpec(
    "sip:domain-list",
    "domain-table",
    [
        Column("name", "Name", "name"),
        Column("domain", "Domain", "domain"),
        Column("created", "Created", "created_at"),
    ],
    search=["name", "domain"],
    links={
        "edit": RowLink("sip:domain-update", "{path}{row.pk}/edit/"),
        "delete": RowLink("sip:domain-delete", "{path}{row.pk}/delete/"),
    },
)

LISTS = TableSpec(
    "sip:credentiallist-list",
    "list-table",
    [
        Column("name", "Name", "name"),
        Column("credentials", "Credentials", "credential_count", numeric=True),
        Column("attached", "Attached to", "attached_domain_count"),
        Column("created", "Created", "created_at"),
    ],
    search=["name"],
    links={
        "open": RowLink("sip:credentiallist-detail", "{path}{row.pk}/"),
        "edit": RowLink("sip:credentiallist-update", "{path}{row.pk}/edit/"),
        "delete": RowLink("sip:credentiallist-delete", "{path}{row.pk}/delete/"),
    },
)

CREDENTIALS = TableSpec(
    "sip:credentiallist-detail",
    "credential-table",
    [
        Column("username", "Username", "username"),
        Column("created", "Created", "created_at"),
        Column("changed", "Password last changed", "password_changed_at"),
    ],
    search=["username"],
    links={
        "rotate": RowLink("sip:credential-rotate", "{path}credentials/{row.pk}/password/"),
        "delete": RowLink("sip:credential-delete", "{path}credentials/{row.pk}/delete/"),
    },
)

ATTACHMENTS = TableSpec(
    "sip:attachment-list",
    "attachment-table",
    [
        Column("domain", "Domain", "domain__domain"),
        Column("list", "Credential list", "credential_list__name"),
        Column("purpose", "Authenticates", "purpose"),
        Column("created", "Created", "created_at"),
    ],
    search=["domain__domain", "credential_list__name"],
    links={
        "list": RowLink("sip:credentiallist-detail", "{lists}{row.credential_list_id}/"),
        "delete": RowLink("sip:attachment-delete", "{path}{row.pk}/delete/"),
    },
)

SIP_USERS = TableSpec(
    "sip:sip-user-list",
    "sip-user-table",
    [
        Column("username", "Username", "username"),
        Column("list", "Credential list", "credential_list__name"),
        Column("calls", "Calls on"),
        Column("registrations", "Registrations on"),
        Column("created", "Created", "created_at"),
    ],
    search=["username"],
    links={
        "list": RowLink("sip:credentiallist-detail", "{lists}{row.credential_list_id}/"),
        "rotate": RowLink(
            "sip:credential-rotate",
            "{lists}{row.credential_list_id}/credentials/{row.pk}/password/",
        ),
    },
)

ACTIVITY = TableSpec(
    "sip:activity-list",
    "activity-table",
    [
        Column("created", "When", "created_at"),
        Column("actor", "Who", "actor_name"),
        Column("what", "What", "object_type"),
        Column("change", "Change"),
    ],
    search=["summary", "actor_name"],
)


TABLES = {
    spec.url_name: spec
    for spec in (
        ACCOUNTS,
        ORG_ACTIVITY,
        DOMAINS,
        LISTS,
        CREDENTIALS,
        ATTACHMENTS,
        SIP_USERS,
        ACTIVITY,
    )
}
