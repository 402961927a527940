"""The access helpers on their own: membership, then the object, then the role and the rate."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from accounts.access import get_account
from accounts.access import get_membership
from accounts.access import require_change
from accounts.limits import TooManyWrites
from accounts.models import Activity
from accounts.models import Membership
from accounts.models import Organization
from accounts.models import Role


def request_for(user, method: str = "get"):
    request = getattr(RequestFactory(), method)("/")
    request.user = user
    return request


def test_membership_is_found_by_slug_and_set_on_the_request(admin_user, org, other_org):
    org.time_zone = "Asia/Tokyo"
    org.save()
    Membership.objects.create(user=admin_user, organization=other_org, role=Role.SUPPORT)
    request = request_for(admin_user)
    membership = get_membership(request, "acme")
    assert membership.organization == org and membership.role == Role.ADMIN
    assert request.membership is membership
    # All of the user's memberships, by organization name, for the switcher.
    assert [m.organization.slug for m in request.memberships] == ["acme", "globex"]
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"
    timezone.deactivate()


def test_no_membership_is_404(outsider, org):
    with pytest.raises(Http404):
        get_membership(request_for(outsider), "acme")
    with pytest.raises(Http404):
        get_membership(request_for(outsider), "no-such-org")


def test_support_may_read_but_not_change(support_user, account):
    request = request_for(support_user)
    assert get_membership(request, "acme").role == Role.SUPPORT
    assert get_account(request, "acme", account.pk)[1] == account
    with pytest.raises(
        PermissionDenied, match=r"^Support staff can view this setup but not change it\.$"
    ):
        get_membership(request, "acme", admin=True)
    with pytest.raises(PermissionDenied):
        get_account(request, "acme", account.pk, admin=True)


def test_another_organizations_account_is_404_before_the_role(support_user, other_org):
    from accounts.models import ProviderAccount

    theirs = ProviderAccount.objects.create(organization=other_org, name="T", provider="telnyx")
    for admin in (False, True):
        with pytest.raises(Http404):
            get_account(request_for(support_user), "acme", theirs.pk, admin=admin)


def test_account_carries_its_organization(admin_user, account):
    membership, found = get_account(request_for(admin_user), "acme", account.pk)
    assert found.organization is membership.organization


def test_one_query_finds_the_membership_and_the_account(
    admin_user, account, other_org, django_assert_num_queries
):
    """The account comes with the user's memberships; one of the same id in another of the
    user's organizations is not it."""
    from accounts.models import ProviderAccount

    Membership.objects.create(user=admin_user, organization=other_org, role=Role.ADMIN)
    ProviderAccount.objects.create(organization=other_org, name="Theirs", provider="telnyx")
    request = request_for(admin_user)
    with django_assert_num_queries(1):
        membership, found = get_account(request, "acme", account.pk)
    assert (found.pk, found.name) == (account.pk, "Twilio main")
    assert found.organization is membership.organization
    assert [m.organization.slug for m in request.memberships] == ["acme", "globex"]
    with pytest.raises(Http404):
        get_account(request_for(admin_user), "globex", account.pk)


@pytest.mark.parametrize("key", [0, 2**63 - 1, 2**63, 10**20])
def test_an_id_no_database_holds_is_404(admin_client, account, key):
    assert admin_client.get(f"/o/acme/accounts/{key}/domains/").status_code == 404
    lists = f"/o/acme/accounts/{account.pk}/credential-lists"
    assert admin_client.get(f"{lists}/{key}/").status_code == 404


def test_a_list_is_found_in_its_own_account_only(admin_client, org, account):
    from accounts.models import ProviderAccount
    from sip.models import CredentialList

    other = ProviderAccount.objects.create(organization=org, name="Other", provider="telnyx")
    theirs = CredentialList.objects.create(account=other, name="Theirs")
    ours = CredentialList.objects.create(account=account, name="Ours")
    lists = f"/o/acme/accounts/{account.pk}/credential-lists"
    assert admin_client.get(f"{lists}/{theirs.pk}/").status_code == 404
    page = admin_client.get(f"{lists}/{ours.pk}/")
    assert page.status_code == 200 and "<h2>Credential list “Ours”</h2>" in page.content.decode()


def test_the_rate_of_changes_is_checked_for_a_post_only(admin_user, org, settings):
    settings.WRITES_PER_MINUTE = 2
    membership = Membership.objects.get(user=admin_user)
    for n in range(2):
        Activity.objects.create(
            organization=org,
            actor=admin_user,
            actor_name="alice",
            account_name="A",
            action="created",
            object_type="domain",
            object_repr=f"d{n}",
            summary="Added.",
        )
    require_change(request_for(admin_user, "get"), membership)  # a form may still be opened
    with pytest.raises(TooManyWrites) as refused:
        require_change(request_for(admin_user, "post"), membership)
    assert 1 <= refused.value.wait <= 60
    assert str(refused.value).startswith("You have made 2 changes in the last minute")
    # Password tests are not changes.
    Activity.objects.update(action="password_checked")
    require_change(request_for(admin_user, "post"), membership)


def test_organization_without_members_is_404_for_everyone(admin_user):
    Organization.objects.create(name="Empty", slug="empty")
    with pytest.raises(Http404):
        get_membership(request_for(admin_user), "empty")
