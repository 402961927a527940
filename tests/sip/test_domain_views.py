from __future__ import annotations

import pytest

from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from tests.conftest import HTMX


def tab(account, path: str = "domains/") -> str:
    return f"/o/acme/accounts/{account.pk}/{path}"


def test_account_page_opens_the_domains_tab(admin_client, account):
    response = admin_client.get(f"/o/acme/accounts/{account.pk}/")
    assert response["Location"] == tab(account)


def test_domains_tab_lists_domains(admin_client, account, domain):
    page = admin_client.get(tab(account)).content.decode()
    for text in ("Name", "Domain", "Created", "Actions", "Head office", "acme-hq.sip.twilio.com"):
        assert text in page
    assert 'data-copy="acme-hq.sip.twilio.com"' in page
    assert "not the link and email domains of Settings &gt; Domains" in page
    assert '<a role="tab" id="tab-domains"' in page
    assert 'aria-selected="true">Domains <span class="badge badge-warning"' in page
    assert "Settings</li>" in page and 'href="/o/acme/accounts/"' in page  # breadcrumbs


def test_empty_state_explains_and_offers_add(admin_client, empty_account):
    page = admin_client.get(tab(empty_account)).content.decode()
    assert "No SIP Domains Found" in page
    assert "is the address your phones and PBX register with" in page
    assert page.count("Add SIP domain") == 2  # header and empty state


def test_tabs_are_partials_for_htmx_and_full_pages_otherwise(admin_client, account):
    for path, label in (
        ("domains/", "SIP domains"),
        ("credential-lists/", "No Credential Lists Found"),
        ("attachments/", "No Credential Attachments Found"),
    ):
        partial = admin_client.get(tab(account, path), headers=HTMX)
        assert partial.status_code == 200
        assert b"<html" not in partial.content
        assert b'role="tablist"' in partial.content
        assert label in partial.content.decode()
        assert "HX-Request" in partial["Vary"]
        full = admin_client.get(tab(account, path))
        assert b"<html" in full.content and label in full.content.decode()
        assert "HX-Request" in full["Vary"]


def test_history_restore_request_gets_the_full_page(admin_client, account):
    response = admin_client.get(
        tab(account), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert b"<html" in response.content


def test_attachments_tab_states_prerequisites(admin_client, account, domain):
    page = admin_client.get(tab(account, "attachments/")).content.decode()
    assert "Create a SIP domain and a credential list before adding an attachment." in page
    assert "no credential list yet" in page
    assert "no SIP domain yet" not in page


def test_create_form_page_without_javascript(admin_client, account):
    page = admin_client.get(tab(account, "domains/new/")).content.decode()
    assert "<html" in page
    assert 'name="prefix"' in page
    assert "your-prefix.sip.twilio.com" in page
    assert 'data-suffix=".sip.twilio.com"' in page


def test_create_plain(admin_client, account):
    response = admin_client.post(
        tab(account, "domains/new/"), {"name": "Branch", "prefix": "Branch-1"}, follow=True
    )
    assert response.redirect_chain == [(tab(account), 302)]
    page = response.content.decode()
    assert "SIP domain “Branch” added: branch-1.sip.twilio.com" in page
    assert SipDomain.objects.get().domain == "branch-1.sip.twilio.com"


def test_create_htmx_updates_table_and_empties_form(admin_client, empty_account):
    response = admin_client.post(
        tab(empty_account, "domains/new/"), {"name": "Branch", "prefix": "branch"}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="domain-table" hx-swap-oob="true"' in page
    assert "branch.sip.telnyx.com" in page
    assert "No SIP Domains Found" not in page
    assert 'value="Branch"' not in page  # ready for the next entry
    assert "SIP domain “Branch” added" in page


def test_invalid_create_keeps_values_and_errors_in_place(admin_client, account, domain):
    response = admin_client.post(
        tab(account, "domains/new/"), {"name": "Copy", "prefix": "ACME-HQ"}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This SIP domain is already in use." in page
    assert 'value="Copy"' in page and 'value="ACME-HQ"' in page
    assert "acme-hq.sip.twilio.com" in page  # the preview shows what was typed
    assert SipDomain.objects.count() == 1


def test_limit_message_on_the_page(admin_client, account):
    SipDomain.objects.bulk_create(
        SipDomain(account=account, name=f"d{i}", prefix=f"d{i}", domain=f"d{i}.sip.twilio.com")
        for i in range(100)
    )
    response = admin_client.post(tab(account, "domains/new/"), {"name": "x", "prefix": "x"})
    assert response.status_code == 200
    assert "limit of 100 SIP domains" in response.content.decode()
    assert account.sip_domains.count() == 100


def test_rename_changes_only_the_name(admin_client, account, domain):
    page = admin_client.get(tab(account, f"domains/{domain.pk}/edit/")).content.decode()
    assert 'value="Head office"' in page and 'name="prefix"' not in page
    response = admin_client.post(
        tab(account, f"domains/{domain.pk}/edit/"),
        {"name": "HQ", "prefix": "changed"},
        headers=HTMX,
    )
    assert response["HX-Push-Url"] == tab(account)
    assert "SIP domain “HQ” saved." in response.content.decode()
    domain.refresh_from_db()
    assert (domain.name, domain.domain) == ("HQ", "acme-hq.sip.twilio.com")


def test_rename_invalid_keeps_value(admin_client, account, domain):
    response = admin_client.post(
        tab(account, f"domains/{domain.pk}/edit/"), {"name": "x" * 65}, headers=HTMX
    )
    assert "at most 64 characters" in response.content.decode()
    domain.refresh_from_db()
    assert domain.name == "Head office"


def test_delete_confirmation_lists_attachments_and_delete_removes_them(
    admin_client, account, domain
):
    phones = CredentialList.objects.create(account=account, name="Office phones")
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.REGISTRATIONS
    )
    page = admin_client.get(tab(account, f"domains/{domain.pk}/delete/")).content.decode()
    assert "Office phones: calls" in page and "Office phones: registrations" in page
    assert admin_client.get(tab(account, f"domains/{domain.pk}/delete/")).status_code == 200
    response = admin_client.post(tab(account, f"domains/{domain.pk}/delete/"), headers=HTMX)
    assert response.status_code == 200
    assert "No SIP Domains Found" in response.content.decode()
    assert not SipDomain.objects.exists()
    assert not CredentialAttachment.objects.exists()
    assert CredentialList.objects.filter(pk=phones.pk).exists()


def test_delete_without_attachments_says_nothing_else_goes(admin_client, account, domain):
    page = admin_client.get(tab(account, f"domains/{domain.pk}/delete/")).content.decode()
    assert "so no attachment goes with it" in page
    response = admin_client.post(tab(account, f"domains/{domain.pk}/delete/"))
    assert response.status_code == 302
    assert not SipDomain.objects.exists()


def test_delete_needs_post(admin_client, account, domain):
    assert admin_client.get(tab(account, f"domains/{domain.pk}/delete/")).status_code == 200
    assert admin_client.put(tab(account, f"domains/{domain.pk}/delete/")).status_code == 405
    assert SipDomain.objects.filter(pk=domain.pk).exists()


def test_support_sees_domains_without_controls(support_client, account, domain, empty_account):
    page = support_client.get(tab(account)).content.decode()
    assert "acme-hq.sip.twilio.com" in page
    assert "Add SIP domain" not in page
    assert "/edit/" not in page and "/delete/" not in page
    empty = support_client.get(tab(empty_account)).content.decode()
    assert "No SIP Domains Found" in empty and "Add SIP domain" not in empty


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_support_writes_are_403_and_change_nothing(support_client, account, domain, headers):
    urls = [
        ("get", tab(account, "domains/new/"), {}),
        ("post", tab(account, "domains/new/"), {"name": "x", "prefix": "xx"}),
        ("get", tab(account, f"domains/{domain.pk}/edit/"), {}),
        ("post", tab(account, f"domains/{domain.pk}/edit/"), {"name": "x"}),
        ("get", tab(account, f"domains/{domain.pk}/delete/"), {}),
        ("post", tab(account, f"domains/{domain.pk}/delete/"), {}),
    ]
    for method, url, data in urls:
        response = getattr(support_client, method)(url, data, headers=headers)
        assert response.status_code == 403, url
    domain.refresh_from_db()
    assert domain.name == "Head office"
    assert SipDomain.objects.count() == 1


def test_other_organization_domains_are_404(
    outsider_client, admin_client, account, domain, other_org
):
    assert outsider_client.get(tab(account)).status_code == 404
    assert outsider_client.post(tab(account, f"domains/{domain.pk}/delete/")).status_code == 404
    from accounts.models import ProviderAccount

    theirs = ProviderAccount.objects.create(organization=other_org, name="T", provider="twilio")
    their_domain = SipDomain.objects.create(account=theirs, name="T", prefix="theirs")
    # Their domain through our account's URL, and their account through our organization.
    assert admin_client.post(tab(account, f"domains/{their_domain.pk}/delete/")).status_code == 404
    assert admin_client.get(f"/o/acme/accounts/{theirs.pk}/domains/").status_code == 404
    assert SipDomain.objects.count() == 2


def test_first_inline_create_brings_the_search_box_with_the_table(admin_client, empty_account):
    page = admin_client.get(tab(empty_account, "domains/")).content.decode()
    assert 'id="domain-table-search"' in page and 'name="q"' not in page  # nothing to search
    response = admin_client.post(
        tab(empty_account, "domains/new/"), {"name": "Branch", "prefix": "branch"}, headers=HTMX
    )
    html = response.content.decode()
    box = html[html.index('<div id="domain-table-search" hx-swap-oob="true">') :]
    assert 'name="q"' in box[: box.index("</form>")]
