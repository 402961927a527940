from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import HTMX


def url(account, path: str = "") -> str:
    return f"/o/acme/accounts/{account.pk}/attachments/{path}"


@pytest.fixture
def phones(account) -> CredentialList:
    credential_list = CredentialList.objects.create(account=account, name="Office phones")
    for name in ("desk-1", "desk-2", "desk-3"):
        Credential.objects.create(
            credential_list=credential_list, username=name, ha1_md5="x", ha1_sha256="y"
        )
    return credential_list


def attach(client, account, domain, credential_list, authenticates="both", headers=None):
    return client.post(
        url(account, "new/"),
        {
            "domain": domain.pk,
            "credential_list": credential_list.pk,
            "authenticates": authenticates,
        },
        headers=headers or {},
    )


def purposes() -> list[str]:
    return sorted(CredentialAttachment.objects.values_list("purpose", flat=True))


def test_table_and_empty_state(admin_client, account, domain, phones):
    page = admin_client.get(url(account)).content.decode()
    assert "No Credential Attachments Found" in page
    assert page.count("Add credential attachment") == 2
    assert "before adding an attachment" not in page
    CredentialAttachment.objects.create(domain=domain, credential_list=phones, purpose="calls")
    page = admin_client.get(url(account)).content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>(?:<a [^>]*>)?([^<]+)', page)
    assert [h.strip() for h in headers] == [
        "Domain",
        "Credential list",
        "Authenticates",
        "Created",
        "Actions",
    ]
    assert "acme-hq.sip.twilio.com" in page and "Office phones" in page
    assert ">Calls</span>" in page and "(3 SIP users)" in page


def test_the_add_form_shows_whatever_the_table_finds(admin_client, account, domain, phones):
    """Whether the account has domains and lists comes from the table's rows where they show
    any (an attachment has both) and from the database where they do not: a search that
    finds nothing keeps the form, not the prerequisites."""
    CredentialAttachment.objects.create(domain=domain, credential_list=phones, purpose="calls")
    for params in ({}, {"q": "acme"}, {"q": "no such thing"}, {"page": "9"}):
        page = admin_client.get(url(account), params).content.decode()
        assert "before adding an attachment" not in page, params
        assert "Add credential attachment" in page, params
        assert 'aria-describedby="prerequisites"' not in page, params
    assert (
        "match “no such thing”"
        in admin_client.get(url(account), {"q": "no such thing"}).content.decode()
    )


@pytest.mark.parametrize(
    ("make_domain", "make_list", "missing"),
    [
        (False, False, ["Domains", "Credential Lists"]),
        (True, False, ["Credential Lists"]),
        (False, True, ["Domains"]),
    ],
)
def test_prerequisites_disable_create_and_refuse_post(
    admin_client, account, make_domain, make_list, missing
):
    domain = (
        SipDomain.objects.create(account=account, name="D", prefix="d") if make_domain else None
    )
    credential_list = (
        CredentialList.objects.create(account=account, name="L") if make_list else None
    )
    page = admin_client.get(url(account)).content.decode()
    assert "Create a SIP domain and a credential list before adding an attachment." in page
    assert 'disabled aria-describedby="prerequisites">Add credential attachment' in page
    for tab in ("Domains", "Credential Lists"):
        assert (f"go to {tab}</a>" in page) == (tab in missing)
    for headers in ({}, HTMX):
        response = admin_client.post(
            url(account, "new/"),
            {
                "domain": domain.pk if domain else "",
                "credential_list": credential_list.pk if credential_list else "",
                "authenticates": "both",
            },
            headers=headers,
        )
        assert response.status_code == 200
        assert "before adding an attachment." in response.content.decode()
    assert not CredentialAttachment.objects.exists()


def test_create_offers_only_this_accounts_objects(admin_client, account, domain, phones, org):
    other = ProviderAccount.objects.create(organization=org, name="Other", provider="telnyx")
    SipDomain.objects.create(account=other, name="O", prefix="other-domain")
    CredentialList.objects.create(account=other, name="Other list")
    page = admin_client.get(url(account, "new/")).content.decode()
    assert "acme-hq.sip.twilio.com" in page and "Office phones" in page
    assert "other-domain" not in page and "Other list" not in page
    assert re.search(r'<input type="radio" name="authenticates" value="both"[^>]* checked', page)


def test_attach_both_by_default(admin_client, account, domain, phones):
    response = attach(admin_client, account, domain, phones, headers=HTMX)
    html = response.content.decode()
    assert (
        "“Office phones” now authenticates calls and registrations on acme-hq.sip.twilio.com."
        in html
    )
    assert 'id="attachment-table" hx-swap-oob="true"' in html
    assert purposes() == ["calls", "registrations"]


def test_attach_calls_then_both_adds_only_registrations(admin_client, account, domain, phones):
    attach(admin_client, account, domain, phones, "calls")
    assert purposes() == ["calls"]
    response = attach(admin_client, account, domain, phones, "both", headers=HTMX)
    html = response.content.decode()
    assert "now authenticates registrations" in html
    assert "already attached for calls, so only the missing purpose was added" in html
    assert purposes() == ["calls", "registrations"]


def test_existing_link_is_refused(admin_client, account, domain, phones):
    attach(admin_client, account, domain, phones, "calls")
    response = attach(admin_client, account, domain, phones, "calls", headers=HTMX)
    assert "“Office phones” is already attached to acme-hq.sip.twilio.com for calls." in (
        response.content.decode()
    )
    attach(admin_client, account, domain, phones, "registrations")
    response = attach(admin_client, account, domain, phones, "both")
    assert "for calls and registrations." in response.content.decode()
    assert purposes() == ["calls", "registrations"]


def test_double_submit_ends_with_one_attachment(admin_client, account, domain, phones):
    first = attach(admin_client, account, domain, phones, "calls")
    second = attach(admin_client, account, domain, phones, "calls")
    assert first.status_code == 302 and second.status_code == 200
    assert CredentialAttachment.objects.count() == 1


def test_tampered_ids_are_invalid_choices(admin_client, account, domain, phones, org, other_org):
    mine_other_account = ProviderAccount.objects.create(
        organization=org, name="O", provider="telnyx"
    )
    theirs = ProviderAccount.objects.create(organization=other_org, name="T", provider="twilio")
    foreign_domains = [
        SipDomain.objects.create(account=mine_other_account, name="x", prefix="x1"),
        SipDomain.objects.create(account=theirs, name="y", prefix="y1"),
    ]
    foreign_lists = [
        CredentialList.objects.create(account=mine_other_account, name="X"),
        CredentialList.objects.create(account=theirs, name="Y"),
    ]
    for foreign in foreign_domains:
        response = attach(admin_client, account, foreign, phones, headers=HTMX)
        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
    for foreign in foreign_lists:
        response = attach(admin_client, account, domain, foreign)
        assert "Select a valid choice." in response.content.decode()
    for bad in ("999999", "not-a-number", "1 OR 1=1"):
        response = admin_client.post(
            url(account, "new/"),
            {"domain": bad, "credential_list": phones.pk, "authenticates": "sideways"},
        )
        assert response.status_code == 200
    assert not CredentialAttachment.objects.exists()


def test_detach_states_impact(admin_client, account, domain, phones):
    calls = CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose="calls"
    )
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose="registrations"
    )
    page = admin_client.get(url(account, f"{calls.pk}/delete/")).content.decode()
    assert (
        "<strong>3 SIP users</strong> in “Office phones” will stop authenticating calls on "
        "acme-hq.sip.twilio.com." in page
    )
    assert "The list stays attached for registrations." in page
    response = admin_client.post(url(account, f"{calls.pk}/delete/"), headers=HTMX)
    assert "no longer authenticates calls on acme-hq.sip.twilio.com" in response.content.decode()
    assert response["HX-Push-Url"] == url(account)
    assert purposes() == ["registrations"]


def test_tabs_stay_consistent(admin_client, account, domain, phones):
    lists_tab = f"/o/acme/accounts/{account.pk}/credential-lists/"
    domains_tab = f"/o/acme/accounts/{account.pk}/domains/"
    assert "Not attached" in admin_client.get(lists_tab).content.decode()
    assert "No credential list" in admin_client.get(domains_tab).content.decode()
    attach(admin_client, account, domain, phones)
    assert "1 domain:" in admin_client.get(lists_tab).content.decode()
    assert "1 credential list</span>" in admin_client.get(domains_tab).content.decode()
    # Deleting an attached list stays refused; deleting the domain removes its attachments.
    admin_client.post(f"{lists_tab}{phones.pk}/delete/")
    assert CredentialList.objects.filter(pk=phones.pk).exists()
    delete_page = admin_client.get(f"{domains_tab}{domain.pk}/delete/").content.decode()
    assert "Office phones: calls" in delete_page
    admin_client.post(f"{domains_tab}{domain.pk}/delete/")
    assert not CredentialAttachment.objects.exists()
    assert "Not attached" in admin_client.get(lists_tab).content.decode()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_support_is_read_only(support_client, account, domain, phones, headers):
    attachment = CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose="calls"
    )
    page = support_client.get(url(account), headers=headers).content.decode()
    assert "acme-hq.sip.twilio.com" in page
    assert "Add credential attachment" not in page and "Detach" not in page
    assert support_client.get(url(account, "new/"), headers=headers).status_code == 403
    assert (
        attach(support_client, account, domain, phones, "registrations", headers).status_code == 403
    )
    for method in ("get", "post"):
        response = getattr(support_client, method)(
            url(account, f"{attachment.pk}/delete/"), headers=headers
        )
        assert response.status_code == 403
    assert purposes() == ["calls"]


def test_other_organization_is_404(outsider_client, account, domain, phones):
    attachment = CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose="calls"
    )
    assert outsider_client.get(url(account)).status_code == 404
    assert attach(outsider_client, account, domain, phones).status_code == 404
    assert outsider_client.post(url(account, f"{attachment.pk}/delete/")).status_code == 404
    assert purposes() == ["calls"]


def test_attachment_of_another_account_is_404_through_this_one(admin_client, account, org):
    other = ProviderAccount.objects.create(organization=org, name="O", provider="telnyx")
    d = SipDomain.objects.create(account=other, name="x", prefix="x2")
    cl = CredentialList.objects.create(account=other, name="X")
    foreign = CredentialAttachment.objects.create(domain=d, credential_list=cl, purpose="calls")
    assert admin_client.post(url(account, f"{foreign.pk}/delete/")).status_code == 404
    assert CredentialAttachment.objects.filter(pk=foreign.pk).exists()


def test_each_order_of_a_delete_and_an_attach_settles_cleanly(
    admin_client, admin_request, account, domain
):
    """The two orders the race test (PostgreSQL) leaves to chance, each forced here."""
    from sip import services

    base = f"/o/acme/accounts/{account.pk}"
    data = {"domain": domain.pk, "authenticates": "calls"}
    # Attach first: the delete is refused and names the domain.
    first = CredentialList.objects.create(account=account, name="First")
    admin_client.post(f"{base}/attachments/new/", {**data, "credential_list": first.pk})
    refused = admin_client.post(f"{base}/credential-lists/{first.pk}/delete/")
    assert "cannot be deleted while it is attached" in refused.content.decode()
    assert CredentialList.objects.filter(pk=first.pk).exists()
    # Delete first: the attach is refused, whether it sees the list gone when validating...
    second = CredentialList.objects.create(account=account, name="Second")
    admin_client.post(f"{base}/credential-lists/{second.pk}/delete/")
    late = admin_client.post(f"{base}/attachments/new/", {**data, "credential_list": second.pk})
    assert "Select a valid choice." in late.content.decode()
    # ...or only when it locks the rows to save (deleted between validation and saving).
    third = CredentialList.objects.create(account=account, name="Third")
    CredentialList.objects.filter(pk=third.pk).delete()
    with pytest.raises(
        ValidationError, match=r"^\['That SIP domain or credential list was deleted"
    ):
        services.attachment_create(
            request=admin_request, domain=domain, credential_list=third, purposes=["calls"]
        )
    assert not CredentialAttachment.objects.filter(credential_list__name="Second").exists()


def test_the_service_refuses_a_domain_and_list_of_different_accounts(
    admin_request, account, domain, org
):
    from sip import services

    other = ProviderAccount.objects.create(organization=org, name="Other", provider="twilio")
    foreign = CredentialList.objects.create(account=other, name="Foreign")
    with pytest.raises(
        ValueError, match=r"^The domain and the list belong to different accounts\.$"
    ):
        services.attachment_create(
            request=admin_request, domain=domain, credential_list=foreign, purposes=["calls"]
        )
    assert not CredentialAttachment.objects.exists()
