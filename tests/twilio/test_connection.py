"""Connecting an account to Twilio: admin only, the secret write-only and encrypted, a test that
says plainly what Twilio answered, and the status on the account's pages."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts.models import Activity
from accounts.models import ProviderAccount
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import HTMX
from tests.conftest import connect_through_service
from whippy.encryption import decrypt

pytestmark = pytest.mark.django_db


def url(account, tail: str = "") -> str:
    return f"/o/acme/accounts/{account.pk}/connection/{tail}"


def connect(client, account, fake, **overrides):
    data = {
        "twilio_account_sid": fake.account_sid,
        "twilio_key_sid": fake.key_sid,
        "twilio_key_secret": fake.key_secret,
        **overrides,
    }
    return client.post(url(account), data, follow=True)


def test_an_admin_connects_an_account_and_the_secret_is_never_shown(
    admin_client, account, fake_twilio, caplog
):
    caplog.set_level(logging.DEBUG)
    response = connect(admin_client, account, fake_twilio)
    page = response.content.decode()
    assert "Twilio accepted the API key: “Twilio main” is connected." in page
    assert fake_twilio.account_sid in page and fake_twilio.key_secret not in page
    stored = ProviderAccount.objects.get()
    assert stored.connected and stored.twilio_key_secret != fake_twilio.key_secret
    assert decrypt(stored.twilio_key_secret) == fake_twilio.key_secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_provideraccount")
        assert fake_twilio.key_secret not in repr(cursor.fetchall())
    record = Activity.objects.get(action=Activity.Action.CONNECTED)
    assert fake_twilio.key_secret not in repr((record.summary, record.changes))
    assert fake_twilio.key_secret not in caplog.text
    tab = admin_client.get(f"/o/acme/accounts/{account.pk}/domains/").content.decode()
    assert "Connected</span> to Twilio account" in tab


def test_a_key_twilio_refuses_is_an_error_on_the_secret_and_nothing_is_saved(
    admin_client, account, fake_twilio
):
    response = connect(admin_client, account, fake_twilio, twilio_key_secret="not-the-secret")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Twilio did not accept this API Key SID and secret for this Account SID." in page
    assert 'id="id_twilio_key_secret_error"' in page
    assert f'value="{fake_twilio.key_sid}"' in page  # what was typed stays, but the secret
    assert "not-the-secret" not in page
    assert not ProviderAccount.objects.get().connected


def test_malformed_sids_are_refused_beside_their_fields(admin_client, account, fake_twilio):
    response = connect(admin_client, account, fake_twilio, twilio_account_sid="AC123")
    page = response.content.decode()
    assert "An Account SID is AC followed by 32 hexadecimal characters" in page
    assert fake_twilio.requests == []


def test_a_blank_secret_keeps_the_saved_one(admin_client, account, fake_twilio):
    connect(admin_client, account, fake_twilio)
    saved = ProviderAccount.objects.get().twilio_key_secret
    page = connect(admin_client, account, fake_twilio, twilio_key_secret="").content.decode()
    assert "Leave blank to keep it" in page
    assert ProviderAccount.objects.get().twilio_key_secret == saved


def test_test_connection_says_what_twilio_answered(admin_client, account, fake_twilio):
    connect(admin_client, account, fake_twilio)
    works = admin_client.post(url(account), {"test": "1"}, follow=True).content.decode()
    assert "Twilio accepted this account&#x27;s API key: the connection works." in works
    fake_twilio.key_secret = "revoked-in-the-console"
    fails = admin_client.post(url(account), {"test": "1"}, follow=True).content.decode()
    assert (
        "The connection does not work. Twilio did not accept this API Key SID and secret for "
        "this Account SID." in fails
    )
    fake_twilio.fail_next("GET", "/Domains.json")
    silent = admin_client.post(url(account), {"test": "1"}, follow=True).content.decode()
    assert "Twilio did not answer in time" in silent


def test_disconnecting_forgets_the_key_and_rows_stay(admin_client, account, fake_twilio):
    connect(admin_client, account, fake_twilio)
    admin_client.post(
        f"/o/acme/accounts/{account.pk}/domains/new/", {"name": "Office", "prefix": "office"}
    )
    page = admin_client.post(url(account, "delete/"), follow=True).content.decode()
    assert "is disconnected" in page
    stored = ProviderAccount.objects.get()
    assert (stored.connected, stored.twilio_key_secret, stored.twilio_key_sid) == (False, "", "")
    assert SipDomain.objects.get().sync_state == ""
    assert len(fake_twilio.domains) == 1  # what Twilio has is left as it is


def test_support_staff_cannot_see_or_change_the_connection(support_client, account, fake_twilio):
    assert support_client.get(url(account)).status_code == 403
    response = support_client.post(
        url(account),
        {
            "twilio_account_sid": fake_twilio.account_sid,
            "twilio_key_sid": fake_twilio.key_sid,
            "twilio_key_secret": fake_twilio.key_secret,
        },
    )
    assert response.status_code == 403
    assert not ProviderAccount.objects.get().connected and fake_twilio.requests == []


def test_an_account_not_connected_says_so(admin_client, account, empty_account):
    twilio = admin_client.get(f"/o/acme/accounts/{account.pk}/domains/").content.decode()
    assert "Not connected</span> Twilio provider account" in twilio
    assert "Connect to Twilio" in twilio
    telnyx = admin_client.get(f"/o/acme/accounts/{empty_account.pk}/domains/").content.decode()
    assert "managed here only: syncing with Telnyx is not available yet." in telnyx
    assert "Connect to Twilio" not in telnyx
    page = admin_client.get(url(empty_account)).content.decode()
    assert "syncing with Telnyx is not available yet" in page and "<form" not in page.split(
        "</header>"
    )[-1].split("<footer")[0].replace('<form method="post" action="/logout/"', "")


def test_sync_state_shows_on_rows_of_a_connected_account(admin_client, connected, fake_twilio):
    admin_client.post(
        f"/o/acme/accounts/{connected.pk}/domains/new/", {"name": "Office", "prefix": "office"}
    )
    page = admin_client.get(f"/o/acme/accounts/{connected.pk}/domains/").content.decode()
    assert '<span class="badge badge-ok">In Twilio</span>' in page
    phones = admin_client.post(
        f"/o/acme/accounts/{connected.pk}/credential-lists/new/", {"name": "Phones"}
    )
    assert phones.status_code == 302
    admin_client.post(
        f"/o/acme/accounts/{connected.pk}/credential-lists/{CredentialList.objects.get().pk}"
        "/credentials/new/",
        {"username": "alice", "password_choice": "generate"},
    )
    for tab in ("credential-lists", "sip-users"):
        page = admin_client.get(f"/o/acme/accounts/{connected.pk}/{tab}/").content.decode()
        assert '<span class="badge badge-ok">In Twilio</span>' in page, tab


def test_a_twilio_refusal_shows_beside_the_field_and_keeps_what_was_typed(
    admin_client, connected, fake_twilio
):
    fake_twilio.taken_elsewhere.add("taken.sip.twilio.com")
    response = admin_client.post(
        f"/o/acme/accounts/{connected.pk}/domains/new/",
        {"name": "Mine", "prefix": "taken", "voice_url": "https://example.com/x"},
        headers=HTMX,
    )
    page = response.content.decode()
    assert 'id="id_prefix_error"' in page
    assert "already taken by another Twilio account" in page
    assert 'value="Mine"' in page and 'value="https://example.com/x"' in page
    assert not SipDomain.objects.exists()


def test_a_twilio_refusal_of_a_delete_shows_on_the_confirmation(
    admin_client, connected, fake_twilio
):
    admin_client.post(
        f"/o/acme/accounts/{connected.pk}/domains/new/", {"name": "Office", "prefix": "office"}
    )
    domain = SipDomain.objects.get()
    fake_twilio.fail_next("DELETE", "/Domains/")
    response = admin_client.post(
        f"/o/acme/accounts/{connected.pk}/domains/{domain.pk}/delete/", headers=HTMX
    )
    assert response.status_code == 200
    assert "Twilio did not answer in time" in response.content.decode()
    assert SipDomain.objects.exists()


def test_rotating_the_encryption_key(account, fake_twilio, settings, admin_request):
    from sip import services

    connect_through_service(admin_request, account, fake_twilio)
    old = settings.ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_key")
    settings.ENCRYPTION_KEYS = [new]  # the old key is gone: the secret still opens
    stored = ProviderAccount.objects.get()
    assert decrypt(stored.twilio_key_secret) == fake_twilio.key_secret
    services.check_connection(stored)  # and Twilio still accepts it
