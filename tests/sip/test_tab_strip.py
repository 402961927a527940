"""The tab strip and the setup review above it (templates/rows/_tabs.html, rendered with
Jinja2 by {% tab_strip %}): what it shows of the account's warnings, escaped, and what each
role may do about them."""

from __future__ import annotations

import re

import pytest

from sip.models import CredentialList

pytestmark = pytest.mark.django_db


def strip(client, account, path: str = "domains/") -> str:
    html = client.get(f"/o/acme/accounts/{account.pk}/{path}").content.decode()
    start = html.index('<div id="account-nav"')
    return html[start : html.index("</nav>", start)]


def test_names_in_the_review_are_escaped(admin_client, empty_account):
    CredentialList.objects.create(account=empty_account, name="<b>Sales</b> & 'Ops'")
    panel = strip(admin_client, empty_account)
    assert "Setup review: 2 warnings" in panel
    assert "&lt;b&gt;Sales&lt;/b&gt; &amp; &#39;Ops&#39;" in panel
    assert "<b>" not in panel


@pytest.mark.parametrize("role", ["admin", "support"])
def test_each_role_is_offered_what_it_may_do(request, role, empty_account):
    CredentialList.objects.create(account=empty_account, name="Sales")
    panel = strip(request.getfixturevalue(f"{role}_client"), empty_account)
    fixes = re.findall(r'<li>[^<]*<a href="([^"]+)">', panel)
    if role == "admin":
        assert len(fixes) == 2 and "An admin can fix this." not in panel
    else:
        assert fixes == [] and panel.count("An admin can fix this.") == 2


@pytest.mark.parametrize("path", ["domains/", "credential-lists/", "sip-users/", "activity/"])
def test_the_current_tab_is_selected_and_badges_count_warnings(admin_client, empty_account, path):
    CredentialList.objects.create(account=empty_account, name="Sales")
    tabs = re.findall(
        r'id="tab-([\w-]+)" href="([^"]+)"[^>]*aria-selected="(\w+)">([^<]+)(?:<span[^>]*>(\d+))?',
        strip(admin_client, empty_account, path),
    )
    base = f"/o/acme/accounts/{empty_account.pk}/"
    assert [(key, url, selected) for key, url, selected, _, _ in tabs] == [
        (key, f"{base}{key}/", "true" if f"{key}/" == path else "false")
        for key in ("domains", "credential-lists", "attachments", "sip-users", "activity")
    ]
    badges = {key: badge for key, _, _, _, badge in tabs if badge}
    assert badges == {"credential-lists": "2"}  # empty, and attached nowhere


def test_no_warnings(admin_client, empty_account):
    panel = strip(admin_client, empty_account)
    assert '<p class="review review-ok">Setup review: no warnings.</p>' in panel
    assert "<details" not in panel
