from __future__ import annotations

from accounts.models import Membership
from accounts.models import ProviderAccount
from accounts.models import Role


def test_user_with_several_memberships_can_switch(admin_user, admin_client, other_org):
    Membership.objects.create(user=admin_user, organization=other_org, role=Role.SUPPORT)
    ProviderAccount.objects.create(organization=other_org, name="Globex Twilio", provider="twilio")
    page = admin_client.get("/o/acme/accounts/").content.decode()
    assert 'href="/o/globex/accounts/"' in page
    other = admin_client.get("/o/globex/accounts/")
    assert other.status_code == 200
    assert "Globex Twilio" in other.content.decode()
    # The role is per organization: support in Globex sees no Add button there.
    assert "Add account" not in other.content.decode()
    assert admin_client.get("/").headers["Location"] == "/o/globex/accounts/"


def test_switcher_is_absent_with_a_single_membership(admin_client):
    page = admin_client.get("/o/acme/accounts/").content.decode()
    assert "Switch organization" not in page


def test_non_member_gets_404_for_the_organization(outsider_client, org):
    assert outsider_client.get("/o/acme/accounts/").status_code == 404
    assert outsider_client.get("/o/no-such-org/accounts/").status_code == 404


def test_dates_follow_the_organization_time_zone(admin_client, org, account):
    org.time_zone = "Asia/Tokyo"
    org.save()
    page = admin_client.get("/o/acme/accounts/").content.decode()
    assert "JST" in page


def test_times_show_date_and_time_in_the_organization_zone(admin_client, org, account):
    import datetime

    from accounts.models import Activity

    org.time_zone = "Europe/Berlin"
    org.save()
    Activity.objects.create(
        organization=org,
        account=account,
        account_name=account.name,
        actor_name="alice",
        action="created",
        object_type="domain",
        object_repr="x",
        summary="Added something.",
        created_at=datetime.datetime(2026, 11, 28, 13, 5, 9, tzinfo=datetime.UTC),
    )
    page = admin_client.get(f"/o/acme/accounts/{account.pk}/activity/").content.decode()
    # 13:05 UTC is 14:05 in Berlin in November; 24 h, one line, exact time on hover.
    assert 'title="2026-11-28 14:05:09 CET">Nov 28, 2026 14:05</time>' in page
