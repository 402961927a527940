"""Rotating the passwords of chosen SIP users of a list at once: new generated passwords, the
download once, one Activity record; support staff refused."""

from __future__ import annotations

import re

import pytest

from accounts.models import Activity
from sip.digest import ha1_md5
from sip.models import Credential
from sip.models import CredentialList
from tests.sip.test_bulk_import import read_download

REALM = "sip.twilio.com"


@pytest.fixture
def phones(account) -> CredentialList:
    phones = CredentialList.objects.create(account=account, name="Office phones")
    for username in ("amy", "bob", "cat"):
        credential = Credential(credential_list=phones, username=username)
        credential.set_password("Old-Password-123")
        credential.save()
    return phones


def list_url(phones: CredentialList) -> str:
    return f"/o/acme/accounts/{phones.account_id}/credential-lists/{phones.pk}/"


def nonce_of(client, phones) -> str:
    page = client.get(list_url(phones)).content.decode()
    return re.search(r'name="nonce" value="([0-9a-f]{32})"', page).group(1)


def rotate(client, phones, usernames: list[str], nonce: str | None = None):
    ids = list(phones.credentials.filter(username__in=usernames).values_list("pk", flat=True))
    data = {"credentials": ids, "nonce": nonce or nonce_of(client, phones)}
    return client.post(list_url(phones) + "rotate/", data)


@pytest.mark.django_db
def test_the_list_page_has_a_checkbox_per_sip_user_tied_to_the_rotation_form(admin_client, phones):
    page = admin_client.get(list_url(phones)).content.decode()
    assert page.count('form="rotate-selected"') == 3
    for credential in phones.credentials.all():
        assert (
            f'<input type="checkbox" name="credentials" value="{credential.pk}" '
            f'form="rotate-selected" aria-label="Select {credential.username}">'
        ) in page
    assert 'data-select-all aria-label="Select all on this page"' in page


@pytest.mark.django_db
def test_rotating_chosen_sip_users(admin_client, phones):
    nonce = nonce_of(admin_client, phones)
    response = rotate(admin_client, phones, ["amy", "cat"], nonce)
    rows = read_download(response)
    assert [row["username"] for row in rows] == ["amy", "cat"]
    assert rows[0]["password"] != rows[1]["password"]
    by_name = {c.username: c for c in phones.credentials.all()}
    for row in rows:
        assert by_name[row["username"]].ha1_md5 == ha1_md5(row["username"], REALM, row["password"])
    assert by_name["bob"].ha1_md5 == ha1_md5("bob", REALM, "Old-Password-123")
    record = Activity.objects.get(action=Activity.Action.PASSWORD_ROTATED)
    assert record.summary == "Rotated the passwords of 2 SIP users in “Office phones”: amy, cat."
    assert record.changes == {"rotated": [None, 2], "not_rotated": [None, 0]}
    # The same form sent again rotates nothing more.
    changed = {c.username: c.ha1_md5 for c in phones.credentials.all()}
    again = rotate(admin_client, phones, ["amy", "cat"], nonce)
    assert again["Content-Type"].startswith("text/html")
    assert "This form was already sent" in again.content.decode()
    assert {c.username: c.ha1_md5 for c in phones.credentials.all()} == changed


@pytest.mark.django_db
def test_nothing_chosen_or_another_lists_user(admin_client, phones, account):
    other = CredentialList.objects.create(account=account, name="Other")
    stranger = Credential.objects.create(credential_list=other, username="zed")
    before = {c.username: c.ha1_md5 for c in Credential.objects.all()}
    nothing = rotate(admin_client, phones, [])
    assert "Choose the SIP users to rotate: tick their boxes in the table." in (
        nothing.content.decode()
    )
    foreign = admin_client.post(
        list_url(phones) + "rotate/",
        {"credentials": [stranger.pk], "nonce": nonce_of(admin_client, phones)},
    )
    assert "A chosen SIP user was deleted a moment ago" in foreign.content.decode()
    mangled = admin_client.post(
        list_url(phones) + "rotate/",
        {"credentials": [phones.credentials.first().pk], "nonce": "x"},
    )
    assert "This form is out of date. Reload the page and try again." in (mangled.content.decode())
    assert {c.username: c.ha1_md5 for c in Credential.objects.all()} == before
    assert not Activity.objects.filter(action=Activity.Action.PASSWORD_ROTATED).exists()


@pytest.mark.django_db
def test_support_staff_cannot_rotate_or_import(support_client, phones):
    before = {c.username: c.ha1_md5 for c in phones.credentials.all()}
    ids = list(phones.credentials.values_list("pk", flat=True))
    nonce = "0" * 32
    assert (
        support_client.post(
            list_url(phones) + "rotate/", {"credentials": ids, "nonce": nonce}
        ).status_code
        == 403
    )
    assert support_client.get(list_url(phones) + "import/").status_code == 403
    assert support_client.post(list_url(phones) + "import/", {}).status_code == 403
    page = support_client.get(list_url(phones)).content.decode()
    assert 'form="rotate-selected"' not in page and "Import from CSV" not in page
    assert {c.username: c.ha1_md5 for c in phones.credentials.all()} == before
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_progress_of_the_work(
    admin_client, support_client, phones, django_capture_on_commit_callbacks
):
    nonce = nonce_of(admin_client, phones)
    url = list_url(phones) + f"progress/{nonce}/"
    waiting = admin_client.get(url).content.decode()
    assert "Starting…" in waiting and 'hx-trigger="every 700ms"' in waiting
    with django_capture_on_commit_callbacks(execute=True):
        rotate(admin_client, phones, ["amy"], nonce)
    finished = admin_client.get(url).content.decode()
    assert "1 SIP user rotated" in finished
    assert "hx-trigger" not in finished  # it stops asking
    assert "1 SIP user rotated" in support_client.get(url).content.decode()  # a member reads it
