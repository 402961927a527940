"""The tab registry (sip/tabs.py) and the table registry (whippy.tables) against the URL conf
and the pages: a tab or a table missing from either fails here, and every row link built by
string resolves to the view it names."""

from __future__ import annotations

import re

from django.core.cache import caches
from django.urls import resolve

from sip.review import review_accounts
from sip.tabs import REVIEWED
from sip.tabs import TABS
from tests.test_authorization_matrix import EXPECTATIONS
from tests.test_authorization_matrix import READ
from tests.test_authorization_matrix import url_for
from whippy.fragments import ALIAS
from whippy.registry import TABLES

# Pages that read but have no table: the tabs' own refresh (a fragment of the page).
# The tabs' refresh; the setup review's page (its rows are the computed, cached review, not
# a query: it pages and searches them itself, in a fixed number of queries too).
WITHOUT_TABLE = {"sip:account-nav", "sip:review"}


def test_every_tab_is_an_account_page_with_a_table():
    account_lists = {
        name for name in EXPECTATIONS if name.startswith("sip:") and name.endswith("-list")
    }
    assert [tab.url_name for tab in TABS if tab.url_name in account_lists] == [
        tab.url_name for tab in TABS
    ]
    # Every list page of an account is a tab: a new one cannot be left out of the strip.
    assert {tab.url_name for tab in TABS} == account_lists
    assert {tab.url_name for tab in TABS} <= set(TABLES)


def test_every_read_page_but_the_tabs_refresh_has_a_registered_table():
    read_pages = {name for name, kind in EXPECTATIONS.items() if kind == READ}
    assert set(TABLES) == read_pages - WITHOUT_TABLE


def test_the_tab_strip_shows_every_tab_in_order_and_marks_the_current_one(admin_client, world):
    for tab in TABS:
        html = admin_client.get(url_for(tab.url_name, world)).content.decode()
        strip = html[html.index('role="tablist"') :]
        strip = strip[: strip.index("</div>")]
        found = [
            (key, selected, label.strip())
            for key, selected, label in re.findall(
                r'id="tab-([\w-]+)"[^>]*aria-selected="(\w+)">([^<]+)<', strip
            )
        ]
        assert found == [(t.key, "true" if t is tab else "false", t.label) for t in TABS], tab.key
        assert html.count('aria-selected="true"') == 1


def test_review_findings_belong_to_reviewed_tabs(world, account, domain):
    # The world's domain lacks registrations and its list is attached for calls only.
    findings = review_accounts([account])[account.pk].findings
    assert findings
    assert {finding.tab for finding in findings} <= set(REVIEWED)


def test_every_row_link_resolves_to_the_view_it_names(admin_client, world, domain):
    # One change, so the activity tables have a row.
    admin_client.post(
        f"/o/acme/accounts/{world['account_id']}/domains/{domain.pk}/edit/", {"name": "Renamed"}
    )
    # A second SIP user, whose id is not its list's: a link that swapped the two would show.
    from sip.models import Credential

    second = Credential.objects.create(credential_list_id=world["list_id"], username="desk-2")
    assert second.pk != world["list_id"]
    checked = set()
    for name, spec in TABLES.items():
        caches[ALIAS].clear()  # rendered, not a kept page: its context holds the table
        response = admin_client.get(url_for(name, world))
        table = response.context["table"]
        assert table.spec is spec
        assert table.rows, name  # the world has a row in every table
        for row in table.rows:
            assert set(row.links) == set(spec.links)
            for key, url in row.links.items():
                link = spec.links[key]
                match = resolve(url)
                assert match.view_name == link.url_name, (name, key, url)
                # The link is this row's: the URL's last ids are the row fields the link uses,
                # in order (a SIP user's rotate link: its list, then itself).
                fields = re.findall(r"\{row\.(\w+)\}", link.template)
                ids = list(match.kwargs.values())[-len(fields) :]
                assert ids == [getattr(row, field) for field in fields], (name, key, url)
                # And it leads to this row's page (ids in the wrong places would be a 404).
                assert admin_client.get(url).status_code == 200, (name, key, url)
                checked.add((name, key))
    assert checked == {(n, k) for n, s in TABLES.items() for k in s.links}
    assert len(checked) >= 12
