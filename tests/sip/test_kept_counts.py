"""Each account's number of credential attachments and each list's number of SIP users, kept by
the database (sip/migrations/0016_kept_counts.py), stay the real counts whatever changes the
rows, and are what the Credential Attachments and Credential Lists tabs and a list's page
show."""

from __future__ import annotations

import importlib

from django.db import connection
from django.db.models import Count

from accounts.models import ProviderAccount
from sip import selects
from sip.models import AttachmentCount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialCount
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from tests.conftest import one_of_everything

migration = importlib.import_module("sip.migrations.0016_kept_counts")

ATTACHMENT_COLUMNS = "domain_id, credential_list_id, purpose, legacy, sync_state, sync_error"


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def kept() -> tuple[dict[int, int], dict[int, int]]:
    """The kept counts, attachments by account and SIP users by list (a key without a row has
    none; a count that comes down to zero is removed, so none is zero here)."""
    return (
        dict(AttachmentCount.objects.values_list("account_id", "attachments")),
        dict(CredentialCount.objects.values_list("credential_list_id", "credentials")),
    )


def real() -> tuple[dict[int, int], dict[int, int]]:
    """The same, counted: attachments by their domain's account, SIP users by list."""
    attachments = CredentialAttachment.objects.values("domain__account_id").annotate(n=Count("id"))
    credentials = Credential.objects.values("credential_list_id").annotate(n=Count("id"))
    return (
        {row["domain__account_id"]: row["n"] for row in attachments},
        {row["credential_list_id"]: row["n"] for row in credentials},
    )


def same() -> tuple[dict[int, int], dict[int, int]]:
    counts = kept()
    assert counts == real()
    return counts


def user(credential_list: CredentialList, username: str) -> Credential:
    credential = Credential(
        credential_list=credential_list, account_id=credential_list.account_id, username=username
    )
    credential.set_password("Count-Test-Pass-1234")
    return credential


def raw_attachment(domain_id: int, list_id: int, purpose: str, account_id: int | None) -> None:
    sql(
        f"INSERT INTO sip_credentialattachment ({ATTACHMENT_COLUMNS}, created_at, account_id) "
        "VALUES (%s, %s, %s, false, 'synced', '', CURRENT_TIMESTAMP, %s)",
        domain_id,
        list_id,
        purpose,
        account_id,
    )


def test_the_counts_follow_every_kind_of_change(account, empty_account, domain):
    world = one_of_everything(account, domain)
    phones = CredentialList.objects.get(pk=world["list_id"])
    spare = CredentialList.objects.create(account=account, name="Spare")
    there = SipDomain.objects.create(account=empty_account, name="There", prefix="there")
    theirs = CredentialList.objects.create(account=empty_account, name="Theirs")
    assert same() == ({account.pk: 1}, {phones.pk: 1})

    user(phones, "one").save()  # the ORM
    CredentialAttachment.objects.create(domain=domain, credential_list=spare, purpose="calls")
    same()
    Credential.objects.bulk_create([user(spare, f"bulk{i}") for i in range(5)])
    CredentialAttachment.objects.bulk_create(
        [CredentialAttachment(domain=domain, credential_list=phones, purpose="registrations")]
    )
    assert same() == ({account.pk: 3}, {phones.pk: 2, spare.pk: 5})

    # Raw SQL: an attachment whose account is left for the database to set, and one that
    # names the wrong account (the database puts it right, and its count follows).
    raw_attachment(there.pk, theirs.pk, "calls", None)
    raw_attachment(domain.pk, spare.pk, "registrations", empty_account.pk)
    assert same() == ({account.pk: 4, empty_account.pk: 1}, {phones.pk: 2, spare.pk: 5})

    # An attachment moved to another account's domain moves its count, its account set by
    # the database (NULL in between).
    moved = CredentialAttachment.objects.get(domain=domain, credential_list=spare, purpose="calls")
    sql(
        "UPDATE sip_credentialattachment SET account_id = NULL, domain_id = %s WHERE id = %s",
        there.pk,
        moved.pk,
    )
    assert same()[0] == {account.pk: 3, empty_account.pk: 2}

    # SIP users moved to another list in one statement, from two lists.
    sql(
        "UPDATE sip_credential SET credential_list_id = %s WHERE username IN ('one', 'bulk0')",
        theirs.pk,
    )
    assert same()[1] == {phones.pk: 1, spare.pk: 4, theirs.pk: 2}
    # Other updates leave them.
    sql("UPDATE sip_credential SET sync_error = 'x'")
    sql("UPDATE sip_credentialattachment SET sync_error = 'x'")
    same()

    sql("DELETE FROM sip_credential WHERE username IN ('bulk1', 'bulk2')")
    sql("DELETE FROM sip_credentialattachment WHERE id = %s", moved.pk)
    assert same() == (
        {account.pk: 3, empty_account.pk: 1},
        {phones.pk: 1, spare.pk: 2, theirs.pk: 2},
    )

    # Deletes through the ORM, and what goes with a domain or a list.
    Credential.objects.filter(username="bulk3").delete()
    there.delete()  # its attachment goes with it
    spare.attachments.all().delete()
    spare.delete()  # its SIP users go with it
    assert same() == ({account.pk: 2}, {phones.pk: 1, theirs.pk: 2})
    phones.attachments.all().delete()
    phones.delete()
    assert same() == ({}, {theirs.pk: 2})


def test_one_statement_over_several_keys_counts_each(account, empty_account, domain):
    """PostgreSQL keeps the counts once per statement: one statement that adds, moves and
    removes rows of several accounts and lists counts each key's own."""
    there = SipDomain.objects.create(account=empty_account, name="There", prefix="there")
    mine = CredentialList.objects.create(account=account, name="Mine")
    theirs = CredentialList.objects.create(account=empty_account, name="Theirs")
    Credential.objects.bulk_create(
        [user(mine, f"m{i}") for i in range(4)] + [user(theirs, f"t{i}") for i in range(3)]
    )
    CredentialAttachment.objects.bulk_create(
        [
            CredentialAttachment(domain=d, credential_list=cl, purpose=purpose)
            for d, cl in ((domain, mine), (there, theirs))
            for purpose in Purpose.values
        ]
    )
    assert same() == ({account.pk: 2, empty_account.pk: 2}, {mine.pk: 4, theirs.pk: 3})
    sql(
        "UPDATE sip_credential SET credential_list_id = CASE WHEN credential_list_id = %s "
        "THEN %s ELSE %s END WHERE username IN ('m0', 'm1', 't0')",
        mine.pk,
        theirs.pk,
        mine.pk,
    )
    assert same()[1] == {mine.pk: 3, theirs.pk: 4}
    sql(
        "UPDATE sip_credentialattachment SET account_id = NULL, domain_id = %s "
        "WHERE domain_id = %s AND purpose = 'calls'",
        there.pk,
        domain.pk,
    )
    assert same()[0] == {account.pk: 1, empty_account.pk: 3}
    sql("DELETE FROM sip_credential WHERE username IN ('m2', 't1', 't2')")
    sql("DELETE FROM sip_credentialattachment WHERE purpose = 'registrations'")
    assert same() == ({empty_account.pk: 2}, {mine.pk: 2, theirs.pk: 2})


def test_the_migration_counts_what_is_there(account, empty_account, domain):
    world = one_of_everything(account, domain)
    CredentialList.objects.create(account=empty_account, name="Empty")
    AttachmentCount.objects.all().delete()
    CredentialCount.objects.all().delete()
    for counts in migration.KEPT:
        sql(migration.fill(counts))
    assert same() == ({account.pk: 1}, {world["list_id"]: 1})
    assert CredentialCount.objects.count() == AttachmentCount.objects.count() == 1


def test_the_tabs_show_the_kept_counts(admin_client, account, domain, settings):
    # Only a change of the rows moves the counts, and it moves the setup version too; this
    # test moves the counts alone, so the pages are rendered each time.
    settings.FRAGMENT_CACHE = False
    world = one_of_everything(account, domain)
    base = f"/o/{account.organization.slug}/accounts/{account.pk}"
    attachments = admin_client.get(f"{base}/attachments/").content.decode()
    assert "1 attachment." in attachments
    assert "(1 SIP user)" in attachments
    # Whatever the database keeps is what the pages show (set apart from the rows here).
    AttachmentCount.objects.filter(account=account).update(attachments=7)
    CredentialCount.objects.filter(credential_list_id=world["list_id"]).update(credentials=5)
    attachments = admin_client.get(f"{base}/attachments/").content.decode()
    assert "7 attachments." in attachments
    assert "(5 SIP users)" in attachments
    lists = admin_client.get(f"{base}/credential-lists/").content.decode()
    assert '<td class="num">5</td>' in lists
    assert (
        "5 credentials."
        in admin_client.get(f"{base}/credential-lists/{world['list_id']}/").content.decode()
    )
    # A search counts the rows it finds.
    searched = admin_client.get(f"{base}/attachments/", {"q": "Phones"}).content.decode()
    assert "1 attachment matching" in searched
    assert selects.ATTACHMENTS.of(account.pk).count() == 7
    assert selects.CREDENTIALS.of(world["list_id"]).count() == 5


def test_none_kept_counts_none(account, empty_account):
    phones = CredentialList.objects.create(account=account, name="Empty")
    assert not AttachmentCount.objects.filter(account=empty_account).exists()
    assert not CredentialCount.objects.filter(credential_list=phones).exists()
    assert selects.ATTACHMENTS.of(empty_account.pk).count() == 0
    assert selects.CREDENTIALS.of(phones.pk).count() == 0
    assert selects.LISTS.of(account.pk).window(0, 50)[1][0].credential_count == 0


def test_a_count_at_zero_is_removed_so_raw_sql_can_delete_its_parent(account, domain):
    """A list or an account is deleted once empty; the database removes a count that comes
    down to zero, so raw SQL can delete them (PostgreSQL checks the keys at commit)."""
    world = one_of_everything(account, domain)
    sql("DELETE FROM sip_credentialattachment WHERE id = %s", world["attachment_id"])
    sql("DELETE FROM sip_credential WHERE id = %s", world["credential_id"])
    assert not AttachmentCount.objects.exists()
    assert not CredentialCount.objects.exists()
    sql("DELETE FROM sip_credentiallist WHERE id = %s", world["list_id"])
    sql("DELETE FROM sip_sipdomain WHERE id = %s", domain.pk)
    assert same() == ({}, {})
    connection.check_constraints()  # what PostgreSQL checks at commit
    account.delete()
    assert not ProviderAccount.objects.filter(pk=account.pk).exists()
