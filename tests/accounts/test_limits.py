"""Fair-use limits: accounts and SIP domains per organization, changes per person per minute."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Activity
from accounts.models import ProviderAccount
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import HTMX


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_accounts_per_organization(admin_client, account, settings, headers):
    settings.MAX_ACCOUNTS_PER_ORGANIZATION = 2
    assert admin_client.post(
        "/o/acme/accounts/new/", {"name": "Second", "provider": "telnyx"}, headers=headers
    ).status_code in (200, 302)
    refused = admin_client.post(
        "/o/acme/accounts/new/", {"name": "Third", "provider": "telnyx"}, headers=headers
    )
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Your organization has reached its limit of 2 provider accounts." in html
    assert 'value="Third"' in html  # what was typed stays
    assert ProviderAccount.objects.count() == 2


def test_accounts_limit_is_per_organization(admin_client, outsider_client, account, settings):
    settings.MAX_ACCOUNTS_PER_ORGANIZATION = 1
    response = outsider_client.post(
        "/o/globex/accounts/new/", {"name": "Theirs", "provider": "telnyx"}
    )
    assert response.status_code == 302
    assert ProviderAccount.objects.filter(organization__slug="globex").count() == 1


def test_sip_domains_per_organization_across_its_accounts(
    admin_client, account, empty_account, settings
):
    settings.MAX_SIP_DOMAINS_PER_ORGANIZATION = 2
    for target, prefix in ((account, "one"), (empty_account, "two")):
        admin_client.post(
            f"/o/acme/accounts/{target.pk}/domains/new/", {"name": prefix, "prefix": prefix}
        )
    refused = admin_client.post(
        f"/o/acme/accounts/{account.pk}/domains/new/",
        {"name": "Three", "prefix": "three"},
        headers=HTMX,
    ).content.decode()
    assert "Your organization has reached its limit of 2 SIP domains across its accounts." in (
        refused
    )
    assert 'value="three"' in refused
    assert SipDomain.objects.count() == 2


def create_list(client, account, name, headers=None):
    return client.post(
        f"/o/acme/accounts/{account.pk}/credential-lists/new/",
        {"name": name},
        headers=headers or {},
    )


def test_changes_per_person_per_minute(admin_client, django_user_model, org, account, settings):
    settings.WRITES_PER_MINUTE = 3
    for n in range(3):
        assert create_list(admin_client, account, f"List {n}").status_code == 302
    plain = create_list(admin_client, account, "One too many")
    assert plain.status_code == 429
    assert int(plain["Retry-After"]) in range(1, 61)
    page = plain.content.decode()
    assert "You have made 3 changes in the last minute" in page and "nothing was changed" in page
    htmx = create_list(admin_client, account, "One too many", HTMX)
    assert htmx.status_code == 429 and htmx["Content-Type"].startswith("text/plain")
    assert htmx.content.decode().startswith("You have made 3 changes in the last minute")
    assert CredentialList.objects.count() == 3
    # Someone else in the organization is not held up.
    from tests.conftest import logged_in
    from tests.conftest import make_user

    colleague = logged_in(make_user(django_user_model, "carol", org, "admin"))
    assert create_list(colleague, account, "Carol's").status_code == 302
    # A minute later, changes are welcome again.
    Activity.objects.update(created_at=Activity.objects.first().created_at - timedelta(minutes=2))
    assert create_list(admin_client, account, "Next minute").status_code == 302


def test_reading_and_the_role_check_come_first(admin_client, support_client, account, settings):
    settings.WRITES_PER_MINUTE = 1
    create_list(admin_client, account, "Only one")
    assert admin_client.get(f"/o/acme/accounts/{account.pk}/credential-lists/").status_code == 200
    assert admin_client.get(f"/o/acme/accounts/{account.pk}/domains/new/").status_code == 200
    assert create_list(support_client, account, "Not yours").status_code == 403
