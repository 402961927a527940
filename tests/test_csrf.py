from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import ProviderAccount
from sip.models import SipDomain


@pytest.fixture
def csrf_client(admin_user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


def csrf_token(client: Client, url: str) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_post_without_token_is_refused(csrf_client, account, domain):
    base = f"/o/acme/accounts/{account.pk}"
    assert (
        csrf_client.post(f"{base}/domains/new/", {"name": "x", "prefix": "xx"}).status_code == 403
    )
    assert csrf_client.post(f"{base}/domains/{domain.pk}/delete/").status_code == 403
    assert (
        csrf_client.post("/o/acme/accounts/new/", {"name": "x", "provider": "twilio"}).status_code
        == 403
    )
    assert SipDomain.objects.count() == 1
    assert ProviderAccount.objects.count() == 1


def test_post_with_header_token_succeeds(csrf_client, account):
    token = csrf_token(csrf_client, f"/o/acme/accounts/{account.pk}/domains/")
    response = csrf_client.post(
        f"/o/acme/accounts/{account.pk}/domains/new/",
        {"name": "x", "prefix": "xx"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 200
    assert SipDomain.objects.get().domain == "xx.sip.twilio.com"


def test_pages_carry_the_token_for_htmx(csrf_client, account):
    """The token the page gives htmx (hx-headers on body) is one the server accepts."""
    import re

    page = csrf_client.get(f"/o/acme/accounts/{account.pk}/domains/").content.decode()
    embedded = re.search(r"<body hx-headers='\{\"x-csrftoken\": \"([^\"]+)\"\}'>", page).group(1)
    url = f"/o/acme/accounts/{account.pk}/domains/new/"
    headers = {"HX-Request": "true"}
    forged = embedded[:-4] + ("aaaa" if not embedded.endswith("aaaa") else "bbbb")
    refused = csrf_client.post(
        url, {"name": "x", "prefix": "xx"}, headers={**headers, "X-CSRFToken": forged}
    )
    assert refused.status_code == 403
    accepted = csrf_client.post(
        url, {"name": "x", "prefix": "xx"}, headers={**headers, "X-CSRFToken": embedded}
    )
    assert accepted.status_code == 200
    assert SipDomain.objects.get().domain == "xx.sip.twilio.com"


def test_credential_writes_need_the_token(csrf_client, account):
    from sip.models import Credential
    from sip.models import CredentialList

    phones = CredentialList.objects.create(account=account, name="Phones")
    base = f"/o/acme/accounts/{account.pk}/credential-lists/"
    data = {"username": "desk", "password_choice": "generate"}
    assert csrf_client.post(f"{base}new/", {"name": "X"}).status_code == 403
    assert csrf_client.post(f"{base}{phones.pk}/credentials/new/", data).status_code == 403
    assert CredentialList.objects.count() == 1 and not Credential.objects.exists()
    token = csrf_token(csrf_client, f"{base}{phones.pk}/")
    response = csrf_client.post(
        f"{base}{phones.pk}/credentials/new/", data, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert Credential.objects.get().username == "desk"


def test_attachment_writes_need_the_token(csrf_client, account, domain):
    from sip.models import CredentialAttachment
    from sip.models import CredentialList

    phones = CredentialList.objects.create(account=account, name="Phones")
    url = f"/o/acme/accounts/{account.pk}/attachments/new/"
    data = {"domain": domain.pk, "credential_list": phones.pk, "authenticates": "both"}
    assert csrf_client.post(url, data).status_code == 403
    assert not CredentialAttachment.objects.exists()
    token = csrf_token(csrf_client, url)
    assert csrf_client.post(url, data, headers={"X-CSRFToken": token}).status_code == 302
    assert CredentialAttachment.objects.count() == 2
