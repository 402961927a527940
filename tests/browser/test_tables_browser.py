from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sip.models import SipDomain
from tests.browser.conftest import mark_page
from tests.browser.conftest import still_same_page

pytestmark = pytest.mark.browser


def test_search_as_you_type_pages_and_back(login, admin_user, account):
    SipDomain.objects.bulk_create(
        SipDomain(
            account=account,
            name=f"Office {i:03}",
            prefix=f"office-{i:03}",
            domain=f"office-{i:03}.sip.twilio.com",
        )
        for i in range(75)
    )
    page = login("alice")
    page.get_by_role("link", name="Twilio main", exact=True).click()
    rows = page.locator("#domain-table tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#domain-table .total")).to_have_text("75 SIP domains: page 1 of 2.")
    mark_page(page)

    page.get_by_role("link", name="Page 2").click()
    expect(rows).to_have_count(25)
    expect(page).to_have_url(re.compile(r"/domains/\?page=2$"))

    page.get_by_role("link", name=re.compile("^Name")).click()  # sort by name
    expect(page).to_have_url(re.compile(r"/domains/\?sort=name$"))
    expect(rows.first).to_contain_text("Office 000")

    page.get_by_label("Search SIP domains").press_sequentially("office-07")
    expect(rows).to_have_count(5)  # office-070 .. office-074, without pressing Enter
    expect(page).to_have_url(re.compile(r"q=office-07"))
    expect(page.get_by_label("Search SIP domains")).to_be_focused()  # typing is not interrupted
    page.get_by_label("Search SIP domains").fill("nothing-like-this")
    expect(page.get_by_text("No SIP domains match “nothing-like-this”")).to_be_visible()
    assert still_same_page(page)

    page.go_back()
    expect(rows).to_have_count(5)
    page.goto(page.url.split("?")[0] + "?page=99")
    expect(page.get_by_text("That page does not exist: showing the last page.")).to_be_visible()
    expect(rows).to_have_count(25)
