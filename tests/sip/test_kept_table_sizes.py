"""Each account's number of SIP domains and of credential lists, kept by the database
(sip/migrations/0020_kept_table_sizes.py), stay the real counts whatever changes the rows, and
are what the Domains and Credential Lists tabs show and page by."""

from __future__ import annotations

import importlib

from django.db import connection
from django.db.models import Count

from accounts.models import ProviderAccount
from sip import selects
from sip.models import CredentialList
from sip.models import DomainCount
from sip.models import ListCount
from sip.models import SipDomain
from sip.models import name_key
from tests.conftest import one_of_everything

migration = importlib.import_module("sip.migrations.0020_kept_table_sizes")
COUNTS = importlib.import_module("sip.migrations.0016_kept_counts")

DOMAIN_COLUMNS = (
    "account_id, name, prefix, domain, created_at, sync_state, sync_error, remote_sid, "
    "voice_url, voice_method, sip_registration, secure"
)


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def kept() -> tuple[dict[int, int], dict[int, int]]:
    """The kept counts, domains and lists by account (an account without a row has none; a
    count that comes down to zero is removed, so none is zero here)."""
    return (
        dict(DomainCount.objects.values_list("account_id", "domains")),
        dict(ListCount.objects.values_list("account_id", "lists")),
    )


def real() -> tuple[dict[int, int], dict[int, int]]:
    """The same, counted."""
    domains = SipDomain.objects.values("account_id").annotate(n=Count("id"))
    lists = CredentialList.objects.values("account_id").annotate(n=Count("id"))
    return (
        {row["account_id"]: row["n"] for row in domains},
        {row["account_id"]: row["n"] for row in lists},
    )


def same() -> tuple[dict[int, int], dict[int, int]]:
    counts = kept()
    assert counts == real()
    return counts


def new_domain(account: ProviderAccount, name: str, prefix: str) -> SipDomain:
    """A domain for bulk_create (which does not call save(), where its address is made)."""
    return SipDomain(account=account, name=name, prefix=prefix, domain=f"{prefix}.sip.twilio.com")


def new_list(account: ProviderAccount, name: str) -> CredentialList:
    """A list for bulk_create (which does not call save(), where its name's key is made)."""
    return CredentialList(account=account, name=name, name_key=name_key(name))


def raw_domain(account_id: int, prefix: str) -> None:
    sql(
        f"INSERT INTO sip_sipdomain ({DOMAIN_COLUMNS}) VALUES (%s, %s, %s, %s, "
        "CURRENT_TIMESTAMP, 'local', '', '', '', 'POST', FALSE, FALSE)",
        account_id,
        prefix.title(),
        prefix,
        f"{prefix}.sip.twilio.com",
    )


def raw_list(account_id: int, name: str) -> None:
    sql(
        "INSERT INTO sip_credentiallist (account_id, name, name_key, created_at, remote_sid, "
        "sync_state, sync_error) VALUES (%s, %s, %s, CURRENT_TIMESTAMP, '', 'local', '')",
        account_id,
        name,
        name_key(name),
    )


def test_the_counts_follow_every_kind_of_change(account, empty_account, domain):
    world = one_of_everything(account, domain)
    assert same() == ({account.pk: 1}, {account.pk: 1})

    # The ORM, one by one and in bulk.
    SipDomain.objects.create(account=account, name="Two", prefix="two")
    CredentialList.objects.create(account=empty_account, name="Theirs")
    SipDomain.objects.bulk_create([new_domain(empty_account, f"B{i}", f"b{i}") for i in range(3)])
    CredentialList.objects.bulk_create([new_list(account, f"L{i}") for i in range(4)])
    assert same() == ({account.pk: 2, empty_account.pk: 3}, {account.pk: 5, empty_account.pk: 1})

    # Raw SQL.
    raw_domain(account.pk, "raw")
    raw_list(empty_account.pk, "Raw")
    assert same() == ({account.pk: 3, empty_account.pk: 3}, {account.pk: 5, empty_account.pk: 2})

    # A domain and a list moved to another account (the app never does) move their counts.
    sql("UPDATE sip_sipdomain SET account_id = %s WHERE prefix = 'raw'", empty_account.pk)
    sql("UPDATE sip_credentiallist SET account_id = %s WHERE name = 'L0'", empty_account.pk)
    assert same() == ({account.pk: 2, empty_account.pk: 4}, {account.pk: 4, empty_account.pk: 3})
    # Other updates leave them.
    sql("UPDATE sip_sipdomain SET sync_error = 'x'")
    sql("UPDATE sip_credentiallist SET sync_error = 'x'")
    assert same() == ({account.pk: 2, empty_account.pk: 4}, {account.pk: 4, empty_account.pk: 3})

    # Deletes: raw, through the ORM, in bulk, and a domain with its attachment.
    sql("DELETE FROM sip_sipdomain WHERE prefix = 'raw'")
    sql("DELETE FROM sip_credentiallist WHERE name = 'Raw'")
    SipDomain.objects.filter(account=empty_account).delete()
    CredentialList.objects.filter(name__in=["L1", "L2"]).delete()
    SipDomain.objects.get(prefix="two").delete()
    assert same() == ({account.pk: 1}, {account.pk: 2, empty_account.pk: 2})
    domain.delete()
    CredentialList.objects.get(pk=world["list_id"]).delete()  # its SIP user goes with it
    assert same() == ({}, {account.pk: 1, empty_account.pk: 2})
    CredentialList.objects.filter(account=empty_account).delete()
    assert same() == ({}, {account.pk: 1})


def test_one_statement_over_several_accounts_counts_each(account, empty_account):
    """PostgreSQL keeps the counts once per statement: one statement that adds, moves and
    removes rows of several accounts counts each account's own."""
    SipDomain.objects.bulk_create(
        [new_domain(account, f"M{i}", f"m{i}") for i in range(4)]
        + [new_domain(empty_account, f"T{i}", f"t{i}") for i in range(3)]
    )
    CredentialList.objects.bulk_create(
        [new_list(a, f"N{i}") for a in (account, empty_account) for i in (1, 2)]
    )
    assert same() == ({account.pk: 4, empty_account.pk: 3}, {account.pk: 2, empty_account.pk: 2})
    sql(
        "UPDATE sip_sipdomain SET account_id = CASE WHEN account_id = %s THEN %s ELSE %s END "
        "WHERE prefix IN ('m0', 'm1', 't0')",
        account.pk,
        empty_account.pk,
        account.pk,
    )
    assert same()[0] == {account.pk: 3, empty_account.pk: 4}
    sql("DELETE FROM sip_sipdomain WHERE prefix IN ('m2', 't1', 't2')")
    sql("DELETE FROM sip_credentiallist WHERE name = 'N1'")
    assert same() == ({account.pk: 2, empty_account.pk: 2}, {account.pk: 1, empty_account.pk: 1})


def test_the_migration_counts_what_is_there(account, empty_account, domain):
    one_of_everything(account, domain)
    CredentialList.objects.create(account=empty_account, name="Empty")
    DomainCount.objects.all().delete()
    ListCount.objects.all().delete()
    for counts in migration.KEPT:
        sql(COUNTS.fill(counts, migration.KEPT))
    assert same() == ({account.pk: 1}, {account.pk: 1, empty_account.pk: 1})


def test_the_tabs_show_the_kept_counts_and_page_by_them(admin_client, account, settings):
    # Only a change of the rows moves the counts, and it moves the setup version too; this
    # test moves the counts alone, so the pages are rendered each time.
    settings.FRAGMENT_CACHE = False
    SipDomain.objects.bulk_create([new_domain(account, f"D{i:02}", f"d{i:02}") for i in range(60)])
    CredentialList.objects.bulk_create([new_list(account, f"L{i:02}") for i in range(60)])
    base = f"/o/{account.organization.slug}/accounts/{account.pk}"

    def page(tab: str, **query: str) -> str:
        return admin_client.get(f"{base}/{tab}/", {"sort": "name", **query}).content.decode()

    assert "60 SIP domains: page 1 of 2." in page("domains")
    assert "60 credential lists: page 1 of 2." in page("credential-lists")
    # Whatever the database keeps is what the pages show (set apart from the rows here), and
    # a page past the middle is read backwards from the kept end: told of 70 rows, the second
    # page is the last 20 (read forwards, it would be the last 10).
    DomainCount.objects.filter(account=account).update(domains=70)
    ListCount.objects.filter(account=account).update(lists=70)
    domains = page("domains", page="2")
    lists = page("credential-lists", page="2")
    assert "70 SIP domains: page 2 of 2." in domains
    assert "70 credential lists: page 2 of 2." in lists
    assert "D59" in domains and "D40" in domains and "D39" not in domains
    assert "L59" in lists and "L40" in lists and "L39" not in lists
    # A search counts the rows it finds.
    assert "10 SIP domains matching “D5”." in page("domains", q="D5")
    assert "10 credential lists matching “L5”." in page("credential-lists", q="L5")
    assert selects.DOMAINS.of(account.pk).count() == 70
    assert selects.LISTS.of(account.pk).count() == 70
    assert selects.DOMAINS.of(account.pk).matching("D0", ["name"]).count() == 10


def test_none_kept_counts_none(account, empty_account):
    assert not DomainCount.objects.filter(account=empty_account).exists()
    assert not ListCount.objects.filter(account=empty_account).exists()
    assert selects.DOMAINS.of(empty_account.pk).count() == 0
    assert selects.LISTS.of(empty_account.pk).count() == 0
    assert selects.LISTS.of(empty_account.pk).window(0, 50) == (None, [])


def test_a_count_at_zero_is_removed_so_raw_sql_can_delete_its_account(account, domain):
    """An account is deleted once empty; the database removes a count that comes down to
    zero, so raw SQL can delete it (PostgreSQL checks the keys at commit)."""
    world = one_of_everything(account, domain)
    sql("DELETE FROM sip_credentialattachment WHERE id = %s", world["attachment_id"])
    sql("DELETE FROM sip_credential WHERE id = %s", world["credential_id"])
    sql("DELETE FROM sip_credentiallist WHERE id = %s", world["list_id"])
    sql("DELETE FROM sip_sipdomain WHERE id = %s", domain.pk)
    assert kept() == ({}, {})
    # (The SIP users' count, sip/migrations/0012, is kept at zero: removed here by hand.)
    sql("DELETE FROM sip_sipusercount WHERE account_id = %s", account.pk)
    sql("DELETE FROM accounts_provideraccount WHERE id = %s", account.pk)
    connection.check_constraints()
    assert not ProviderAccount.objects.filter(pk=account.pk).exists()
