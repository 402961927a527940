from __future__ import annotations

import pytest

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from tests.conftest import HTMX


def url(account, query: str = "") -> str:
    return f"/o/acme/accounts/{account.pk}/sip-users/{query}"


def test_sip_users_show_where_they_authenticate(admin_client, account, domain):
    phones = CredentialList.objects.create(account=account, name="Phones")
    for name in ("desk-1", "reception"):
        Credential.objects.create(
            credential_list=phones, username=name, ha1_md5="x", ha1_sha256="y"
        )
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    html = admin_client.get(url(account)).content.decode()
    row = html[html.index("<code>desk-1</code>") :]
    row = row[: row.index("</tr>")]
    assert "Phones</a>" in row
    assert "<td><code>acme-hq.sip.twilio.com</code></td>" in row  # calls
    assert "Nowhere" in row  # registrations
    assert "this SIP user connect?" in html


def test_search_by_username_plain_and_htmx(admin_client, account):
    phones = CredentialList.objects.create(account=account, name="Phones")
    for name in ("desk-1", "desk-2", "reception"):
        Credential.objects.create(
            credential_list=phones, username=name, ha1_md5="x", ha1_sha256="y"
        )
    plain = admin_client.get(url(account, "?q=DESK")).content.decode()
    assert "desk-1" in plain and "desk-2" in plain and "<code>reception</code>" not in plain
    partial = admin_client.get(
        url(account, "?q=recep"), headers={**HTMX, "HX-Target": "sip-user-table"}
    )
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="sip-user-table">')
    assert "reception" in html and "desk-1" not in html
    empty = admin_client.get(url(account, "?q=zzz")).content.decode()
    assert "No SIP users match “zzz”" in empty


def test_sip_users_empty_state_and_support(support_client, account):
    html = support_client.get(url(account)).content.decode()
    assert "No SIP Users Found" in html


def check_fields(html: str) -> set[str]:
    """The connection check's fields in a page: name of each input inside the check panel."""
    import re

    panel = html[html.index('id="check"') :]
    panel = panel[: panel.index("</section>")]
    return set(re.findall(r'<input[^>]*name="(username|domain|password)"', panel))


@pytest.mark.parametrize("persona", ["admin_client", "support_client"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["full page", "htmx tab switch"])
def test_connection_check_shows_its_fields_on_first_load(request, persona, headers, account):
    client = request.getfixturevalue(persona)
    html = client.get(url(account), headers=headers).content.decode()
    assert check_fields(html) == {"username", "domain", "password"}
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_domain">SIP domain</label>' in html
    assert '<label for="id_password">Password (optional)</label>' in html


def test_row_check_link_fills_in_username_and_domain(admin_client, account, domain):
    phones = CredentialList.objects.create(account=account, name="Phones")
    Credential.objects.create(
        credential_list=phones, username="desk-1", ha1_md5="x", ha1_sha256="y"
    )
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.REGISTRATIONS
    )
    html = admin_client.get(url(account)).content.decode()
    link = "check/?username=desk-1&amp;domain=acme-hq.sip.twilio.com"
    assert link in html
    form = admin_client.get(
        url(account, "check/?username=desk-1&domain=acme-hq.sip.twilio.com"), headers=HTMX
    ).content.decode()
    assert 'name="username" value="desk-1"' in form
    assert 'name="domain" value="acme-hq.sip.twilio.com"' in form
