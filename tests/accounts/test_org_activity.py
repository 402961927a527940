"""Settings > Activity: every change of every account, deleted accounts included."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Activity
from accounts.models import ProviderAccount
from tests.conftest import HTMX

URL = "/o/acme/accounts/"


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="activity-\d+">(.*?)</tr>', html, re.S)


def test_a_deleted_accounts_history_stays_readable(admin_client, support_client, account):
    admin_client.post(f"{URL}new/", {"name": "Short-lived", "provider": "telnyx"})
    doomed = ProviderAccount.objects.get(name="Short-lived")
    admin_client.post(f"{URL}{doomed.pk}/edit/", {"name": "Gone soon"})
    admin_client.post(f"{URL}{doomed.pk}/delete/")
    admin_client.post(f"{URL}{account.pk}/domains/new/", {"name": "HQ", "prefix": "hq"})
    assert not ProviderAccount.objects.filter(pk=doomed.pk).exists()

    for client in (admin_client, support_client):
        page = client.get("/o/acme/activity/").content.decode()
        assert len(rows(page)) == 4
        assert "Deleted account “Gone soon”." in page
        assert "Renamed account “Short-lived” to “Gone soon”." in page
        assert "Added SIP domain hq.sip.twilio.com" in page
        assert 'Gone soon <span class="badge">Deleted</span>' in page
        assert f'<option value="{doomed.pk}">Gone soon (deleted)</option>' in page
        assert f'<option value="{account.pk}">Twilio main</option>' in page
        sidebar = page.split('<nav class="sidebar"')[1].split("</nav>")[0]
        assert 'href="/o/acme/activity/" aria-current="page">Activity</a>' in sidebar

    only_deleted = admin_client.get(f"/o/acme/activity/?account={doomed.pk}").content.decode()
    assert len(rows(only_deleted)) == 3 and "hq.sip.twilio.com" not in only_deleted
    assert f'<option value="{doomed.pk}" selected>' in only_deleted
    only_domains = admin_client.get(
        f"/o/acme/activity/?account={account.pk}&type=domain"
    ).content.decode()
    assert len(rows(only_domains)) == 1
    # An unknown account or type shows everything rather than failing.
    assert (
        len(rows(admin_client.get("/o/acme/activity/?account=99999&type=x").content.decode())) == 4
    )


def test_other_organizations_changes_are_not_listed(admin_client, outsider_client, account):
    outsider_client.post("/o/globex/accounts/new/", {"name": "Theirs", "provider": "telnyx"})
    assert Activity.objects.count() == 1
    assert rows(admin_client.get("/o/acme/activity/").content.decode()) == []
    # Their account id in our filter is just unknown here.
    theirs = ProviderAccount.objects.get(name="Theirs")
    page = admin_client.get(f"/o/acme/activity/?account={theirs.pk}").content.decode()
    assert "Theirs" not in page


def test_search_and_htmx_table_swap(admin_client, account):
    for name in ("Alpha", "Beta"):
        admin_client.post(f"{URL}{account.pk}/credential-lists/new/", {"name": name})
    html = admin_client.get(
        "/o/acme/activity/?q=beta", headers={**HTMX, "HX-Target": "activity-table"}
    ).content.decode()
    assert html.lstrip().startswith('<div id="activity-table">')
    assert len(rows(html)) == 1 and "Beta" in html


def test_fixed_queries_whatever_the_history(admin_client, account, django_assert_num_queries):
    admin_client.post(f"{URL}{account.pk}/credential-lists/new/", {"name": "One"})
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/o/acme/activity/")
    for n in range(60):
        Activity.objects.create(
            organization=account.organization,
            account=account,
            account_key=account.pk,
            account_name=account.name,
            actor_name="alice",
            action="created",
            object_type="credential_list",
            object_repr=f"L{n}",
            summary=f"Added credential list “L{n}”.",
        )
    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get("/o/acme/activity/")
    assert len(rows(response.content.decode())) == 50
