"""Every table of a provider account's page: the page it is on, the element its swaps
target, its columns, what its search looks in and its rows' links (built by string, each
resolved to its view by tests/test_registry.py). Registered for the tests and the benchmark."""

from __future__ import annotations

from whippy.tables import Column, RowLink, TableSpec, register

DOMAINS = register(
    TableSpec(
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
)

LISTS = register(
    TableSpec(
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
)

CREDENTIALS = register(
    TableSpec(
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
)

ATTACHMENTS = register(
    TableSpec(
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
)

SIP_USERS = register(
    TableSpec(
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
        links={"list": RowLink("sip:credentiallist-detail", "{lists}{row.credential_list_id}/")},
    )
)

ACTIVITY = register(
    TableSpec(
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
)
