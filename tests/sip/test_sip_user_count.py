"""The number of SIP users each account has, kept by the database (sip/migrations/
0012_sip_user_count.py), stays the real count whatever changes the credentials, and is what
the SIP Users tab shows."""

from __future__ import annotations

import importlib

from django.db import connection

from accounts.models import ProviderAccount
from sip import selects
from sip.models import Credential
from sip.models import CredentialList
from sip.models import SipUserCount
from tests.conftest import one_of_everything

migration = importlib.import_module("sip.migrations.0012_sip_user_count")


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def kept(account: ProviderAccount) -> int:
    row = SipUserCount.objects.filter(account=account).first()
    return row.sip_users if row else 0


def real(account: ProviderAccount) -> int:
    return Credential.objects.filter(account=account).count()


def user(credential_list: CredentialList, username: str) -> Credential:
    credential = Credential(
        credential_list=credential_list, account_id=credential_list.account_id, username=username
    )
    credential.set_password("Count-Test-Pass-1234")
    return credential


def test_the_count_follows_every_kind_of_change(account, empty_account, domain):
    world = one_of_everything(account, domain)
    phones = CredentialList.objects.get(pk=world["list_id"])
    other_list = CredentialList.objects.create(account=empty_account, name="Elsewhere")
    assert (kept(account), kept(empty_account)) == (1, 0)

    def same() -> None:
        assert (kept(account), kept(empty_account)) == (real(account), real(empty_account))

    user(phones, "one").save()  # the ORM
    same()
    Credential.objects.bulk_create([user(phones, f"bulk{i}") for i in range(5)])
    same()
    one = Credential.objects.get(username="bulk0")
    columns = "credential_list_id, account_id, username, ha1_md5, ha1_sha256, sync_state"
    sql(
        f"INSERT INTO sip_credential ({columns}, sync_error, remote_sid, created_at, "
        "password_changed_at, password_known) SELECT credential_list_id, account_id, 'raw', "
        "ha1_md5, ha1_sha256, sync_state, sync_error, remote_sid, created_at, "
        "password_changed_at, password_known FROM sip_credential WHERE id = %s",
        one.pk,
    )
    same()
    assert kept(account) == 8
    # Moving a SIP user to another account (raw SQL: the app never does) moves its count.
    sql(
        "UPDATE sip_credential SET account_id = %s, credential_list_id = %s WHERE id = %s",
        empty_account.pk,
        other_list.pk,
        one.pk,
    )
    same()
    assert kept(empty_account) == 1
    sql("UPDATE sip_credential SET sync_error = 'x' WHERE credential_list_id = %s", phones.pk)
    same()  # other updates leave it
    sql("DELETE FROM sip_credential WHERE username = %s", "raw")
    same()
    Credential.objects.filter(username="bulk1").delete()
    same()
    phones.attachments.all().delete()
    phones.delete()  # its SIP users go with it
    same()
    assert kept(account) == 0


def test_the_migration_counts_what_is_there(account, empty_account, domain):
    one_of_everything(account, domain)
    CredentialList.objects.create(account=empty_account, name="Empty")
    SipUserCount.objects.all().delete()
    sql(migration.FILL)
    assert kept(account) == real(account) == 1
    assert not SipUserCount.objects.filter(account=empty_account).exists()


def test_the_sip_users_tab_shows_the_kept_count(admin_client, account, domain, settings):
    # Only a change of credentials moves the count, and it moves the setup version too; this
    # test moves the count alone, so the pages are rendered each time.
    settings.FRAGMENT_CACHE = False
    world = one_of_everything(account, domain)
    url = f"/o/{account.organization.slug}/accounts/{account.pk}/sip-users/"
    assert "1 SIP user." in admin_client.get(url).content.decode()
    # Whatever the database keeps is what the page shows (set apart from the rows here).
    SipUserCount.objects.filter(account=account).update(sip_users=7)
    page = admin_client.get(url).content.decode()
    assert "7 SIP users." in page
    # A search counts the rows it finds.
    assert "1 SIP user matching" in admin_client.get(url, {"q": "desk"}).content.decode()
    assert selects.SIP_USERS.of(world["account_id"]).count() == 7


def test_an_account_without_sip_users_counts_none(empty_account):
    assert not SipUserCount.objects.filter(account=empty_account).exists()
    assert selects.SIP_USERS.of(empty_account.pk).count() == 0


def test_one_statement_over_several_accounts_counts_each(account, empty_account, domain):
    """PostgreSQL keeps the counts once per statement (sip/migrations/0014): one statement
    that adds, moves and removes SIP users of two accounts counts each account's own."""
    mine = CredentialList.objects.create(account=account, name="Mine")
    theirs = CredentialList.objects.create(account=empty_account, name="Theirs")
    Credential.objects.bulk_create(
        [user(mine, f"m{i}") for i in range(4)] + [user(theirs, f"t{i}") for i in range(3)]
    )
    assert (kept(account), kept(empty_account)) == (4, 3)
    sql(
        "UPDATE sip_credential SET account_id = %s, credential_list_id = %s "
        "WHERE username IN ('m0', 'm1')",
        empty_account.pk,
        theirs.pk,
    )
    assert (kept(account), kept(empty_account)) == (2, 5) == (real(account), real(empty_account))
    sql("DELETE FROM sip_credential WHERE username IN ('m2', 't0', 't1')")
    assert (kept(account), kept(empty_account)) == (1, 3) == (real(account), real(empty_account))
