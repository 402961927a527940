from __future__ import annotations

import re

import pytest

from accounts.models import Activity
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from tests.conftest import HTMX
from tests.conftest import rotation

TYPED = "Typed-Secret-Pass-77"


@pytest.fixture
def phones(account) -> CredentialList:
    return CredentialList.objects.create(account=account, name="Office phones")


def base(account, credential_list) -> str:
    return f"/o/acme/accounts/{account.pk}/credential-lists/{credential_list.pk}/"


def shown_password(html: str) -> str:
    match = re.search(r'<code class="secret-value" id="secret-value">([^<]+)</code>', html)
    assert match, "no password shown"
    return match.group(1)


def test_create_with_typed_password_shows_it_once(admin_client, account, phones):
    response = admin_client.post(
        base(account, phones) + "credentials/new/",
        {"username": "desk-101", "password_choice": "type", "password": TYPED},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert shown_password(html) == TYPED
    assert f'data-copy="{TYPED}"' in html
    assert "it will not be shown again" in html
    assert 'hx-history="false"' in html
    assert "no-store" in response["Cache-Control"]
    assert 'id="credential-table" hx-swap-oob="true"' in html
    assert "SIP user “desk-101” added to “Office phones”." in html
    credential = Credential.objects.get()
    assert credential.username == "desk-101"
    # Later pages never show it again.
    for later in (
        admin_client.get(base(account, phones)),
        admin_client.get(base(account, phones), headers=HTMX),
        admin_client.get(base(account, phones) + "credentials/new/"),
        admin_client.get(base(account, phones) + f"credentials/{credential.pk}/password/"),
        admin_client.get(base(account, phones) + f"credentials/{credential.pk}/delete/"),
        admin_client.get(f"/o/acme/accounts/{account.pk}/credential-lists/"),
    ):
        assert later.status_code == 200
        assert TYPED not in later.content.decode()


def test_create_with_generated_password(admin_client, account, phones):
    response = admin_client.post(
        base(account, phones) + "credentials/new/",
        {"username": "desk-102", "password_choice": "generate"},
    )
    html = response.content.decode()
    assert response.status_code == 200  # no redirect: the password is shown in this response
    assert "<html" in html
    password = shown_password(html)
    assert len(password) >= 20
    assert "no-store" in response["Cache-Control"]
    import hashlib

    credential = Credential.objects.get()
    assert (
        credential.ha1_md5
        == hashlib.md5(f"desk-102:sip.twilio.com:{password}".encode()).hexdigest()
    )
    assert password not in admin_client.get(base(account, phones)).content.decode()


def test_invalid_create_never_refills_password(admin_client, account, phones):
    response = admin_client.post(
        base(account, phones) + "credentials/new/",
        {"username": "bad name", "password_choice": "type", "password": TYPED},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Use letters, digits, dots, underscores and hyphens" in html
    assert 'value="bad name"' in html
    assert TYPED not in html
    assert 'id="secret-value"' not in html
    assert not Credential.objects.exists()


def test_weak_password_message_in_place(admin_client, account, phones):
    response = admin_client.post(
        base(account, phones) + "credentials/new/",
        {"username": "desk", "password_choice": "type", "password": "weakpassword"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "The password needs an upper case letter and a digit." in html
    assert 'value="desk"' in html and "weakpassword" not in html


def test_duplicate_username_refused(admin_client, account, phones):
    Credential.objects.create(credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y")
    response = admin_client.post(
        base(account, phones) + "credentials/new/",
        {"username": "DESK", "password_choice": "generate"},
    )
    assert "This list already has a SIP user with this username." in response.content.decode()
    assert Credential.objects.count() == 1


def test_rotate_password(admin_client, account, phones):
    credential = Credential.objects.create(
        credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y"
    )
    rotate = base(account, phones) + f"credentials/{credential.pk}/password/"
    page = admin_client.get(rotate).content.decode()
    assert "Rotate password of <code>desk</code>" in page
    response = admin_client.post(
        rotate, rotation(credential.pk, password_choice="type", password=TYPED), headers=HTMX
    )
    html = response.content.decode()
    assert shown_password(html) == TYPED
    assert "no-store" in response["Cache-Control"]
    assert "Password of SIP user “desk” rotated." in html
    credential.refresh_from_db()
    import hashlib

    assert credential.ha1_md5 == hashlib.md5(f"desk:sip.twilio.com:{TYPED}".encode()).hexdigest()
    assert credential.password_changed_at > credential.created_at
    again = admin_client.post(rotate, rotation(credential.pk, password_choice="generate"))
    again = again.content.decode()
    assert shown_password(again) != TYPED


def test_delete_credential_states_impact(admin_client, account, phones, domain):
    credential = Credential.objects.create(
        credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y"
    )
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    delete = base(account, phones) + f"credentials/{credential.pk}/delete/"
    page = admin_client.get(delete).content.decode()
    assert "stop authenticating on" in page and "acme-hq.sip.twilio.com</code>: calls" in page
    response = admin_client.post(delete, headers=HTMX)
    assert "SIP user “desk” deleted." in response.content.decode()
    assert "No Credentials Found" in response.content.decode()
    assert not Credential.objects.exists()


def test_username_cannot_be_renamed(admin_client, account, phones):
    credential = Credential.objects.create(
        credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y"
    )
    rotate = base(account, phones) + f"credentials/{credential.pk}/password/"
    response = admin_client.post(
        rotate, rotation(credential.pk, username="evil", password_choice="generate")
    )
    assert "Password of SIP user “desk” rotated." in response.content.decode()
    credential.refresh_from_db()
    assert credential.username == "desk"
    html = admin_client.get(base(account, phones)).content.decode()
    assert "/edit/" not in html.split('id="credential-table"')[1]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_resubmitted_rotate_does_not_rotate_again(admin_client, account, phones, headers):
    credential = Credential(credential_list=phones, username="desk")
    credential.set_password(TYPED)
    credential.save()
    rotate = base(account, phones) + f"credentials/{credential.pk}/password/"
    form = rotation(credential.pk, password_choice="generate")  # the form as it was opened
    first = admin_client.post(rotate, form, headers=headers).content.decode()
    shown = shown_password(first)
    digest = Credential.objects.get(pk=credential.pk).ha1_md5
    second = admin_client.post(rotate, form, headers=headers).content.decode()
    assert "Nothing was changed: the password of “desk” was already rotated at" in second
    assert "by alice" in second and "sent twice?" in second
    assert 'id="secret-value"' not in second and shown not in second
    assert "rotated." not in second.split("Nothing was changed")[0]  # no success message
    assert Credential.objects.get(pk=credential.pk).ha1_md5 == digest  # the shown one still works
    assert Activity.objects.filter(action="password_rotated").count() == 1
    # Submitting the refused form again is a deliberate second rotation, and it works.
    fresh_version = re.search(r'name="version" value="([^"]+)"', second).group(1)
    third = admin_client.post(
        rotate, {"password_choice": "generate", "version": fresh_version}, headers=headers
    )
    assert shown_password(third.content.decode()) != shown
    assert Credential.objects.get(pk=credential.pk).ha1_md5 != digest


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_lists_page_names_its_domains_once_each(admin_client, account, phones, domain, headers):
    """The header names the domains the list is attached to (read with the list), each once
    and sorted, whatever the purposes; a list attached nowhere says so."""
    branch = SipDomain.objects.create(account=account, name="Branch", prefix="acme-branch")
    for where, purpose in ((domain, Purpose.CALLS), (domain, Purpose.REGISTRATIONS)):
        CredentialAttachment.objects.create(domain=where, credential_list=phones, purpose=purpose)
    CredentialAttachment.objects.create(domain=branch, credential_list=phones, purpose="calls")
    html = admin_client.get(base(account, phones), headers=headers).content.decode()
    assert (
        f"Its SIP users can authenticate on <code>{branch.domain}</code>, "
        f"<code>{domain.domain}</code> (see" in html
    )
    lonely = CredentialList.objects.create(account=account, name="Lonely")
    html = admin_client.get(base(account, lonely), headers=headers).content.decode()
    assert "Not attached to any SIP domain yet" in html


def test_another_accounts_list_page_is_not_found(admin_client, account, empty_account):
    theirs = CredentialList.objects.create(account=empty_account, name="Theirs")
    # Its key under this account's address: a 404, as is a key that fits no row.
    for key in (theirs.pk, 2**63):
        response = admin_client.get(f"/o/acme/accounts/{account.pk}/credential-lists/{key}/")
        assert response.status_code == 404
    assert admin_client.get(base(empty_account, theirs)).status_code == 200
