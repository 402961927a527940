"""The SQL of the account's big tables (whippy/sql_tables.py): for each, the condition on its
parent, the SQL of the fields its columns sort by and its search looks in (named as in
whippy/registry.py), the counts its rows show, the lines they show of other tables (a list's
domains) and the rows joined to them; and a list's domains for its own page. The same SQL as the
ORM's for these tables; tests/sip/test_selects.py compares every sort and search with it."""

from __future__ import annotations

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from whippy.sql_tables import Joined
from whippy.sql_tables import Select
from whippy.sql_tables import Trigrams
from whippy.sql_tables import fetch_all

# What the rows show of their list and domain: names (and what Retry's label says of a row).
CREDENTIAL_LIST = Joined(
    "credential_list", CredentialList, "l", "l.id = t.credential_list_id", ("id", "name")
)

# The domains of a list's attachments (the list is t's, or t's list), for Select.lines.
ATTACHED_TO = (
    "FROM sip_credentialattachment a INNER JOIN sip_sipdomain d ON d.id = a.domain_id "
    "WHERE a.credential_list_id = {}"
)

# How many SIP users a list has, kept by the database (sip/migrations/0016_kept_counts.py;
# a list without a row has none): not counted again for every row of a page.
LIST_SIZE = (
    "COALESCE((SELECT k.credentials FROM sip_credentialcount k WHERE k.credential_list_id = {}), 0)"
)

# SQLite's index of username trigrams (sip/migrations/0013_username_trigram_sqlite.py);
# PostgreSQL's is of the usernames as whippy.sql_tables.SPELLED spells them (0018).
USERNAME_TRIGRAMS = Trigrams("sip_credential_username", "username", "username_spelled")

# indexed: the fields PostgreSQL keeps an index of trigrams of (sip/migrations/0019).
DOMAINS = Select(
    SipDomain,
    "t.account_id = %s",
    {"name": "t.name", "domain": "t.domain", "created_at": "t.created_at"},
    indexed=frozenset({"name", "domain"}),
    counts={
        "attached_list_count": "(SELECT COUNT(DISTINCT a.credential_list_id) "
        "FROM sip_credentialattachment a WHERE a.domain_id = t.id)",
    },
    # Kept by the database (sip/migrations/0020_kept_table_sizes.py), as SIP users are.
    total="SELECT domains FROM sip_domaincount WHERE account_id = %s",
)

LISTS = Select(
    CredentialList,
    "t.account_id = %s",
    {"name": "t.name", "created_at": "t.created_at"},
    indexed=frozenset({"name"}),
    counts={"credential_count": LIST_SIZE.format("t.id")},
    lines={"attached_domains": ("d.domain", ATTACHED_TO.format("t.id"))},
    # The rows show their domains (lines): how many there are is not read again for each row
    # (a second lookup of its attachments: 0.5 of the page query's 1.3 ms on PostgreSQL).
    orders={
        "attached_domain_count": "(SELECT COUNT(DISTINCT a.domain_id) "
        "FROM sip_credentialattachment a WHERE a.credential_list_id = t.id)"
    },
    total="SELECT lists FROM sip_listcount WHERE account_id = %s",  # as the domains' (0020)
)

CREDENTIALS = Select(
    Credential,
    "t.credential_list_id = %s",
    {
        "username": "t.username",
        "created_at": "t.created_at",
        "password_changed_at": "t.password_changed_at",
    },
    total="SELECT credentials FROM sip_credentialcount WHERE credential_list_id = %s",
    # No index of trigrams: a list's own usernames are read on its (list, username) index, and
    # asking the index cost more than the search (a term in every username names 2,000 rows).
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
    # "calls acme.sip.example.com": where its list authenticates (views.sip_users reads them).
    lines={
        "attached_for": ("a.purpose || ' ' || d.domain", ATTACHED_TO.format("t.credential_list_id"))
    },
    # Kept by the database (sip/migrations/0012_sip_user_count.py): 100,000 are not counted.
    total="SELECT sip_users FROM sip_sipusercount WHERE account_id = %s",
    trigram={"username": USERNAME_TRIGRAMS},
)

ATTACHMENTS = Select(
    CredentialAttachment,
    "t.account_id = %s",  # kept by the database (sip/migrations/0015_attachment_account.py)
    {
        "domain__domain": "d.domain",
        "credential_list__name": "l.name",
        "purpose": "t.purpose",
        "created_at": "t.created_at",
    },
    counts={"credential_count": LIST_SIZE.format("t.credential_list_id")},
    # Its search finds the domains and lists first, on their indexes, then their attachments.
    indexed=frozenset({"domain__domain", "credential_list__name"}),
    # Kept by the database (sip/migrations/0016_kept_counts.py), as the lists' sizes.
    total="SELECT attachments FROM sip_attachmentcount WHERE account_id = %s",
    joined=(
        Joined("domain", SipDomain, "d", "d.id = t.domain_id", ("id", "domain")),
        CREDENTIAL_LIST,
    ),
)


def domain_names(list_id: int) -> list[str]:
    """The domains a list is attached to, each once, as the Credential Lists tab shows them
    (LISTS' attached_domains: the same SQL, sorted in Python)."""
    sql = f"SELECT DISTINCT d.domain {ATTACHED_TO.format('%s')}"
    return sorted(domain for (domain,) in fetch_all(sql, [list_id]))
