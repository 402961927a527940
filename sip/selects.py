"""The SQL of the account's big tables (whippy/sql_tables.py): for each, the condition on its
parent, the SQL of the fields its columns sort by and its search looks in (named as in
whippy/registry.py), the counts its rows show and the rows joined to it. The same SQL as the
ORM's for these tables; tests/sip/test_selects.py compares every sort and search with it."""

from __future__ import annotations

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from whippy.sql_tables import Joined
from whippy.sql_tables import Select

CREDENTIAL_LIST = Joined("credential_list", CredentialList, "l", "l.id = t.credential_list_id")

DOMAINS = Select(
    SipDomain,
    "t.account_id = %s",
    {"name": "t.name", "domain": "t.domain", "created_at": "t.created_at"},
    counts={
        "attached_list_count": "(SELECT COUNT(DISTINCT a.credential_list_id) "
        "FROM sip_credentialattachment a WHERE a.domain_id = t.id)",
    },
)

LISTS = Select(
    CredentialList,
    "t.account_id = %s",
    {"name": "t.name", "created_at": "t.created_at"},
    counts={
        "credential_count": "(SELECT COUNT(*) FROM sip_credential c "
        "WHERE c.credential_list_id = t.id)",
        "attached_domain_count": "(SELECT COUNT(DISTINCT a.domain_id) "
        "FROM sip_credentialattachment a WHERE a.credential_list_id = t.id)",
    },
)

CREDENTIALS = Select(
    Credential,
    "t.credential_list_id = %s",
    {
        "username": "t.username",
        "created_at": "t.created_at",
        "password_changed_at": "t.password_changed_at",
    },
)

SIP_USERS = Select(
    Credential,
    "t.account_id = %s",
    {
        "username": "t.username",
        "credential_list__name": "l.name",
        "created_at": "t.created_at",
    },
    joined=(CREDENTIAL_LIST,),
)

ATTACHMENTS = Select(
    CredentialAttachment,
    "d.account_id = %s",
    {
        "domain__domain": "d.domain",
        "credential_list__name": "l.name",
        "purpose": "t.purpose",
        "created_at": "t.created_at",
    },
    joined=(Joined("domain", SipDomain, "d", "d.id = t.domain_id"), CREDENTIAL_LIST),
)
