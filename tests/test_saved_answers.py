"""How every successful change answers (whippy.htmx.saved): a plain request is redirected to the
table's page; an HTMX create keeps its form open, blank, for the next entry and leaves the URL
alone; an HTMX rename or delete closes the panel and pushes the table's URL. And what the
services refuse under their locks carries what the page needs to explain it."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from accounts.services import joined_counts
from sip import services
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import HTMX

# (the form's URL, valid data, a field the blank form shows, the table's URL); {a} is the account.
CREATES = {
    "account": ("/o/acme/accounts/new/", {"name": "Spare", "provider": "telnyx"}, "provider", ""),
    "domain": (
        "{a}/domains/new/",
        {"name": "Branch", "prefix": "branch"},
        "prefix",
        "{a}/domains/",
    ),
    "list": ("{a}/credential-lists/new/", {"name": "Desks"}, "name", "{a}/credential-lists/"),
    "attachment": (
        "{a}/attachments/new/",
        {"domain": "{domain}", "credential_list": "{list}", "authenticates": "both"},
        "authenticates",
        "{a}/attachments/",
    ),
}


def fill(value: str, account, ids: dict) -> str:
    return value.format(a=f"/o/acme/accounts/{account.pk}", **ids)


@pytest.fixture
def ids(account, domain):
    return {
        "domain": domain.pk,
        "list": CredentialList.objects.create(account=account, name="L").pk,
    }


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_a_create_answers_with_a_blank_form_or_a_redirect(kind, admin_client, account, ids):
    path, data, field, table = CREATES[kind]
    url = fill(path, account, ids)
    data = {key: fill(value, account, ids) for key, value in data.items()}
    htmx = admin_client.post(url, data, headers=HTMX)
    page = htmx.content.decode()
    assert htmx.status_code == 200 and "<html" not in page
    assert f'name="{field}"' in page  # the form is there again, for the next entry
    assert 'value="Spare"' not in page and 'value="branch"' not in page
    assert 'value="Desks"' not in page
    if kind == "attachment":  # nothing chosen in the blank form
        assert '<option value="" selected>Choose a SIP domain</option>' in page
    assert "HX-Push-Url" not in htmx  # the address stays the form's
    # A plain request with the same kind of data goes to the table's page.
    if kind == "attachment":
        CredentialAttachment.objects.all().delete()
    else:
        data = {**data, "name": "Another", **({"prefix": "another"} if kind == "domain" else {})}
    plain = admin_client.post(url, data)
    assert plain.status_code == 302
    assert plain["Location"] == (fill(table, account, ids) or "/o/acme/accounts/")


def test_a_rename_closes_the_panel_and_pushes_the_table_url(admin_client, account, domain):
    base = f"/o/acme/accounts/{account.pk}"
    response = admin_client.post(
        f"{base}/domains/{domain.pk}/edit/", {"name": "Renamed"}, headers=HTMX
    )
    assert response["HX-Push-Url"] == f"{base}/domains/"
    assert 'name="name"' not in response.content.decode()  # no form: the panel is closed


def test_joined_counts_reads_as_a_sentence():
    assert joined_counts([(1, "SIP domain")]) == "1 SIP domain"
    assert joined_counts([(2, "SIP domains"), (1, "credential list")]) == (
        "2 SIP domains and 1 credential list"
    )
    assert joined_counts([(2, "a"), (3, "b"), (4, "c")]) == "2 a, 3 b and 4 c"


def test_refused_deletes_carry_what_blocks_them(admin_request, account, domain):
    phones = CredentialList.objects.create(account=account, name="Phones")
    other = SipDomain.objects.create(account=account, name="Other", prefix="other")
    for target in (domain, other):
        CredentialAttachment.objects.create(domain=target, credential_list=phones, purpose="calls")
    CredentialAttachment.objects.create(
        domain=other, credential_list=phones, purpose="registrations"
    )
    with pytest.raises(services.StillAttached) as refused:
        services.credential_list_delete(request=admin_request, credential_list=phones)
    # Each domain once, whatever the number of purposes, in domain order.
    assert refused.value.domains == [domain, other]
    assert refused.value.messages == [
        "This list cannot be deleted while it is attached to "
        "acme-hq.sip.twilio.com, other.sip.twilio.com."
    ]
    with pytest.raises(account_services.StillHas) as refused:
        account_services.account_delete(request=admin_request, account=account)
    assert refused.value.contents == [(2, "SIP domains"), (1, "credential list")]
    assert str(refused.value.messages[0]).endswith("still has 2 SIP domains and 1 credential list.")


def test_a_rename_writes_the_name_and_nothing_else(admin_request, org, account, domain):
    """Another change made after the instance was read survives a rename of it."""
    from datetime import UTC
    from datetime import datetime

    from accounts.models import ProviderAccount

    phones = CredentialList.objects.create(account=account, name="Phones")
    moved = datetime(2020, 1, 1, tzinfo=UTC)
    for model, obj in ((SipDomain, domain), (CredentialList, phones)):
        model.objects.filter(pk=obj.pk).update(created_at=moved)
    ProviderAccount.objects.filter(pk=account.pk).update(setup_version=41)

    def version() -> int:
        return ProviderAccount.objects.get(pk=account.pk).setup_version

    versions = [version()]
    services.domain_rename(request=admin_request, domain=domain, name="Main office")
    versions.append(version())
    services.credential_list_rename(request=admin_request, credential_list=phones, name="Desks")
    versions.append(version())
    account_services.account_rename(request=admin_request, account=account, name="Main")
    versions.append(version())
    assert SipDomain.objects.get(pk=domain.pk).created_at == moved
    assert CredentialList.objects.get(pk=phones.pk).created_at == moved
    # Each rename moved the version on from the one that was there (41), never back to the
    # stale one the account object was read with.
    assert versions[0] == 41
    assert versions == sorted(set(versions))  # strictly increasing
