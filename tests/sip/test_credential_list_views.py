from __future__ import annotations

import pytest

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from tests.conftest import HTMX


def url(account, path: str = "") -> str:
    return f"/o/acme/accounts/{account.pk}/credential-lists/{path}"


@pytest.fixture
def phones(account) -> CredentialList:
    return CredentialList.objects.create(account=account, name="Office phones")


def attach(domain, credential_list, purpose=Purpose.CALLS) -> CredentialAttachment:
    return CredentialAttachment.objects.create(
        domain=domain, credential_list=credential_list, purpose=purpose
    )


def test_tab_lists_with_counts_and_attached_domains(admin_client, account, phones, domain):
    Credential.objects.create(credential_list=phones, username="a", ha1_md5="x", ha1_sha256="y")
    Credential.objects.create(credential_list=phones, username="b", ha1_md5="x", ha1_sha256="y")
    attach(domain, phones, Purpose.CALLS)
    attach(domain, phones, Purpose.REGISTRATIONS)
    page = admin_client.get(url(account)).content.decode()
    row = page[page.index(f'id="list-{phones.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">2</td>' in row
    assert "1 domain: <code>acme-hq.sip.twilio.com</code>" in row  # one domain, two purposes
    assert "Add credential list" in page


def test_empty_state(admin_client, account):
    page = admin_client.get(url(account)).content.decode()
    assert "No Credential Lists Found" in page
    assert "A credential list is a set of SIP usernames and passwords" in page
    assert page.count("Add credential list") == 2


def test_create_inline_and_near_duplicate_refused(admin_client, account, phones):
    response = admin_client.post(url(account, "new/"), {"name": "Warehouse"}, headers=HTMX)
    page = response.content.decode()
    assert "Credential list “Warehouse” added." in page
    assert 'id="list-table" hx-swap-oob="true"' in page
    response = admin_client.post(url(account, "new/"), {"name": "OFFICE-phones"}, headers=HTMX)
    page = response.content.decode()
    assert "A credential list with this name already exists." in page
    assert 'value="OFFICE-phones"' in page
    assert CredentialList.objects.count() == 2


def test_create_plain_redirects(admin_client, account):
    response = admin_client.post(url(account, "new/"), {"name": "Warehouse"})
    assert response["Location"] == url(account)


def test_rename(admin_client, account, phones):
    response = admin_client.post(url(account, f"{phones.pk}/edit/"), {"name": "Desk phones"})
    assert response.status_code == 302
    phones.refresh_from_db()
    assert (phones.name, phones.name_key) == ("Desk phones", "deskphones")


def test_delete_confirmation_counts_credentials(admin_client, account, phones):
    for name in ("a", "b", "c"):
        Credential.objects.create(
            credential_list=phones, username=name, ha1_md5="x", ha1_sha256="y"
        )
    page = admin_client.get(url(account, f"{phones.pk}/delete/")).content.decode()
    assert "Its 3 credentials (SIP users) are deleted with it." in page
    response = admin_client.post(url(account, f"{phones.pk}/delete/"), headers=HTMX)
    assert "Credential list “Office phones” deleted." in response.content.decode()
    assert not CredentialList.objects.exists()
    assert not Credential.objects.exists()


def test_delete_refused_while_attached_naming_domains(admin_client, account, phones, domain):
    attach(domain, phones)
    page = admin_client.get(url(account, f"{phones.pk}/delete/")).content.decode()
    assert "cannot be deleted while it is attached to 1 SIP domain" in page
    assert "<code>acme-hq.sip.twilio.com</code>" in page
    assert f'href="/o/acme/accounts/{account.pk}/attachments/"' in page
    assert "Delete credential list</button>" not in page
    for headers in ({}, HTMX):
        response = admin_client.post(url(account, f"{phones.pk}/delete/"), headers=headers)
        assert response.status_code == 200
        assert "cannot be deleted" in response.content.decode()
    assert CredentialList.objects.filter(pk=phones.pk).exists()
    assert CredentialAttachment.objects.count() == 1


def test_list_page_shows_credentials_without_secrets(admin_client, account, phones):
    Credential.objects.create(
        credential_list=phones, username="desk-101", ha1_md5="d" * 32, ha1_sha256="e" * 64
    )
    page = admin_client.get(url(account, f"{phones.pk}/")).content.decode()
    for text in ("Username", "Created", "Password last changed", "Actions", "desk-101"):
        assert text in page
    assert "d" * 32 not in page and "e" * 64 not in page
    assert "Usernames cannot be renamed" in page
    partial = admin_client.get(url(account, f"{phones.pk}/"), headers=HTMX)
    assert b"<html" not in partial.content and b"desk-101" in partial.content


def test_list_page_empty_state(admin_client, account, phones):
    page = admin_client.get(url(account, f"{phones.pk}/")).content.decode()
    assert "No Credentials Found" in page
    assert "Add credential" in page


def test_support_sees_lists_read_only(support_client, account, phones):
    Credential.objects.create(credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y")
    tab = support_client.get(url(account)).content.decode()
    assert "Office phones" in tab and "Add credential list" not in tab
    assert "/edit/" not in tab and "/delete/" not in tab
    page = support_client.get(url(account, f"{phones.pk}/")).content.decode()
    assert "desk" in page
    assert "Add credential" not in page and "Rotate password" not in page
    assert "/delete/" not in page


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_support_writes_are_403(support_client, account, phones, headers):
    credential = Credential.objects.create(
        credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y"
    )
    base = url(account, f"{phones.pk}/")
    writes = [
        (url(account, "new/"), {"name": "X"}),
        (url(account, f"{phones.pk}/edit/"), {"name": "X"}),
        (url(account, f"{phones.pk}/delete/"), {}),
        (base + "credentials/new/", {"username": "u", "password_choice": "generate"}),
        (base + f"credentials/{credential.pk}/password/", {"password_choice": "generate"}),
        (base + f"credentials/{credential.pk}/delete/", {}),
    ]
    for target, data in writes:
        assert support_client.get(target, headers=headers).status_code == 403, target
        assert support_client.post(target, data, headers=headers).status_code == 403, target
    credential.refresh_from_db()
    phones.refresh_from_db()
    assert (phones.name, credential.ha1_md5, Credential.objects.count()) == (
        "Office phones",
        "x",
        1,
    )
    assert CredentialList.objects.count() == 1


def test_other_organization_is_404(outsider_client, admin_client, account, phones, other_org):
    from accounts.models import ProviderAccount

    assert outsider_client.get(url(account, f"{phones.pk}/")).status_code == 404
    assert outsider_client.post(url(account, f"{phones.pk}/delete/")).status_code == 404
    theirs = ProviderAccount.objects.create(organization=other_org, name="T", provider="twilio")
    their_list = CredentialList.objects.create(account=theirs, name="Theirs")
    assert admin_client.get(url(account, f"{their_list.pk}/")).status_code == 404
    assert admin_client.post(url(account, f"{their_list.pk}/delete/")).status_code == 404
    assert (
        admin_client.post(
            url(account, f"{their_list.pk}/credentials/new/"),
            {"username": "x", "password_choice": "generate"},
        ).status_code
        == 404
    )
    assert CredentialList.objects.count() == 2
    assert not Credential.objects.exists()


def test_refused_delete_links_each_attachment_to_its_own_detach(
    admin_client, account, phones, domain
):
    calls = attach(domain, phones, Purpose.CALLS)
    registrations = attach(domain, phones, Purpose.REGISTRATIONS)
    for headers in ({}, HTMX):
        page = admin_client.post(url(account, f"{phones.pk}/delete/"), headers=headers)
        html = page.content.decode()
        for attachment in (calls, registrations):
            detach = f"/o/acme/accounts/{account.pk}/attachments/{attachment.pk}/delete/"
            assert f'href="{detach}"' in html
        assert "Detach “Office phones” from acme-hq.sip.twilio.com for registrations" in html
