"""The setup review at scale: the panel on every tab shows a count per kind of warning and the
first few, so a tab page's bytes and queries do not grow with the number of warnings; the
review's own page has them all, by kind, searchable and paged."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.review import FIRST
from sip.review import review_account

pytestmark = pytest.mark.django_db


def warnings(account, domains: int, lists: int, prefix: str = "d") -> None:
    """domains SIP domains with no list (a warning each), lists empty lists attached nowhere
    (two each). prefix: the domains' own (a domain name is unique across accounts)."""
    SipDomain.objects.bulk_create(
        SipDomain(
            account=account,
            name=f"D{n}",
            prefix=f"{prefix}-{n:04d}",
            domain=f"{prefix}-{n:04d}.sip.telnyx.com",
        )
        for n in range(domains)
    )
    CredentialList.objects.bulk_create(
        CredentialList(account=account, name=f"List {n:04d}", name_key=f"list{n:04d}")
        for n in range(lists)
    )


def page(client, account, path: str = "domains/", **headers) -> tuple[int, int, str]:
    """(bytes, queries, html) of a page of the account."""
    url = f"/o/acme/accounts/{account.pk}/{path}"
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(response.content), len(captured), response.content.decode()


def test_the_panel_groups_warnings_by_kind(admin_client, empty_account):
    warnings(empty_account, domains=5, lists=1)
    phones = CredentialList.objects.create(account=empty_account, name="Phones")
    Credential.objects.create(credential_list=phones, username="desk")
    _, _, html = page(admin_client, empty_account)
    start = html.index('<details class="review">')
    panel = html[start : html.index("</details>", start)]
    assert "Setup review: 8 warnings" in panel
    groups = re.findall(r'<p class="review-group"><strong>(\d+)</strong> ([^<]+)</p>', panel)
    assert groups == [
        (
            "5",
            "SIP domains phones cannot fully use (no credential list for calls or registrations)",
        ),
        ("2", "credential lists attached to no SIP domain"),
        ("1", "credential lists without credentials"),
    ]
    # The first few of each kind, then a link to the rest of that kind.
    assert panel.count("d-000") == FIRST
    assert "d-0000.sip.telnyx.com" in panel and "d-0003" not in panel
    review = f"/o/acme/accounts/{empty_account.pk}/review/"
    assert f'<a href="{review}?kind=domain">And 2 more</a>' in panel
    assert f'<a href="{review}">See the whole review</a>' in panel


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "tab-switch"])
def test_tab_pages_do_not_grow_with_the_warnings(admin_client, empty_account, org, headers):
    from accounts.models import ProviderAccount

    def account(name: str, domains: int, lists: int):
        made = ProviderAccount.objects.create(organization=org, name=name, provider="telnyx")
        warnings(made, domains, lists, prefix=name)
        return made

    few = account("few", domains=1, lists=1)  # 3 warnings, one of each kind of two
    many = account("many", domains=200, lists=200)  # 600 warnings
    more = account("more", domains=400, lists=400)  # 1,200 warnings
    assert len(review_account(few).findings) == 3
    assert len(review_account(many).findings) == 600
    for path in ("domains/", "credential-lists/", "attachments/", "sip-users/"):
        small = page(admin_client, few, path, **headers)
        large = page(admin_client, many, path, **headers)
        larger = page(admin_client, more, path, **headers)
        assert small[1] == large[1] == larger[1], path  # queries
        # The review panel and the tab strip: at most FIRST warnings of each kind, so 600 cost
        # a few lines more than 3, and 1,200 what 600 do but for the counts' digits.
        panels = [len(nav_of(html)) for _, _, html in (small, large, larger)]
        assert panels[1] - panels[0] < 2_500, path
        assert abs(panels[2] - panels[1]) < 20, path
        if path in ("attachments/", "sip-users/"):
            # The same empty table whatever the warnings: the whole page follows the panel.
            assert large[0] - small[0] < 2_500, path
            assert abs(larger[0] - large[0]) < 20, path


def nav_of(html: str) -> str:
    """The review panel and the tab strip of a tab page."""
    start = html.index('<div id="account-nav"')
    return html[start : html.index("</nav>", start)]


def test_the_review_page_has_them_all_by_kind_searchable_and_paged(
    admin_client, support_client, empty_account, domain
):
    warnings(empty_account, domains=60, lists=30)
    review = f"/o/acme/accounts/{empty_account.pk}/review/"
    _, _, html = page(admin_client, empty_account, "review/")
    assert "120 warnings" in html
    assert html.count("<tr><td>") == 50
    assert "120 warnings: page 1 of 3." in html
    assert f'href="{review}?page=2"' in html
    # In the review's order by default (kinds in turn), sortable by the warning's text.
    first = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", html)[0]
    assert first == (
        "SIP domains phones cannot fully use (no credential list for calls or registrations)",
        "d-0000.sip.telnyx.com has no credential list for calls "
        "or registrations: it refuses all calls and registrations.",
    )
    _, _, html = page(admin_client, empty_account, "review/?sort=-warning")
    assert re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td>", html)[0].startswith("“List 0029”")
    # A kind and a search, kept by the pages' links and the search form.
    _, _, html = page(admin_client, empty_account, "review/?kind=domain&q=d-00")
    assert "60 warnings matching “d-00”: page 1 of 2." in html
    assert f'href="{review}?kind=domain&amp;q=d-00&amp;page=2"' in html
    assert '<input type="hidden" name="kind" value="domain">' in html
    _, _, html = page(admin_client, empty_account, "review/?kind=empty&q=LIST 001")
    assert html.count("<tr><td>") == 10  # List 0010..0019, any case
    assert "Add a credential" in html
    # An HTMX search or page swaps the table alone.
    _, _, html = page(
        admin_client,
        empty_account,
        "review/?page=3",
        **{"HX-Request": "true", "HX-Target": "review-table"},
    )
    assert html.lstrip().startswith('<div id="review-table">') and html.count("<tr><td>") == 20
    # Support staff read it without the fixes.
    _, _, html = page(support_client, empty_account, "review/?kind=empty")
    assert "Add a credential" not in html and "An admin can fix this." in html
    # An unknown kind and a mangled page number are ignored.
    _, _, html = page(admin_client, empty_account, "review/?kind=nonsense&page=²")
    assert "120 warnings: page 1 of 3." in html
    _, _, html = page(admin_client, empty_account, "review/?kind=ambiguous")
    assert "No warnings of this kind." in html
    # Another account's review is its own (the test's domain is in the Twilio account).
    _, _, html = page(admin_client, domain.account, "review/")
    assert "acme-hq.sip.twilio.com" in html and "d-0001" not in html


def test_the_review_page_queries_do_not_grow(admin_client, empty_account, org):
    from django.core.cache import cache

    warnings(empty_account, domains=1, lists=1)
    few = page(admin_client, empty_account, "review/")[1]
    cache.clear()  # rows made here record no change: the cached review would stay
    warnings_more = CredentialList.objects.bulk_create(
        CredentialList(account=empty_account, name=f"More {n}", name_key=f"more{n}")
        for n in range(300)
    )
    assert warnings_more
    assert page(admin_client, empty_account, "review/")[1] == few


def test_no_warnings(admin_client, account, domain):
    phones = CredentialList.objects.create(account=account, name="Phones")
    Credential.objects.create(credential_list=phones, username="desk")
    for purpose in Purpose:
        CredentialAttachment.objects.create(domain=domain, credential_list=phones, purpose=purpose)
    _, _, html = page(admin_client, account, "review/")
    assert "0 warnings" in html and "No warnings: every SIP domain" in html
    _, _, html = page(admin_client, account)
    assert "Setup review: no warnings." in html
