"""What a person sees: the connection check's fields, messages that belong to their moment, the
first search box, and a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from accounts.models import Membership
from accounts.models import Organization
from accounts.models import Role
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from tests.browser.conftest import htmx_settled
from tests.browser.conftest import mark_page
from tests.browser.conftest import still_same_page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("username", ["alice", "sam"])
def test_connection_check_has_its_fields_from_the_start(
    login, admin_user, support_user, account, domain, username
):
    phones = CredentialList.objects.create(account=account, name="Desk phones")
    Credential.objects.create(
        credential_list=phones, username="desk-7", ha1_md5="x", ha1_sha256="y"
    )
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    page = login(username)
    page.get_by_role("link", name="Twilio main", exact=True).click()
    page.get_by_role("tab", name="SIP Users").click()  # an HTMX tab switch
    check = page.locator("#check")
    for label in ("Username", "SIP domain", "Password (optional)"):
        expect(check.get_by_label(label, exact=True)).to_be_visible()
    page.reload()  # the full page too
    expect(check.get_by_label("Username", exact=True)).to_be_visible()
    page.get_by_role("link", name="Check desk-7").click()
    expect(check.get_by_label("Username", exact=True)).to_have_value("desk-7")
    expect(check.get_by_label("SIP domain")).to_have_value("acme-hq.sip.twilio.com")
    check.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator(".verdict", has_text="Calls:")).to_contain_text("can authenticate")


def test_a_message_does_not_outlive_its_moment(login, admin_user, account, domain):
    page = login("alice")
    page.get_by_role("link", name="Twilio main", exact=True).click()
    page.get_by_role("tab", name=re.compile("^Credential Lists")).click()
    mark_page(page)
    page.locator("#tab-panel header").get_by_role("link", name="Add credential list").click()
    htmx_settled(page)
    page.get_by_label("Name", exact=True).fill("Office Phones")
    page.get_by_label("Name", exact=True).press("Enter")
    messages = page.locator("#messages")
    expect(messages).to_have_text("Credential list “Office Phones” added.")
    # The first inline create from the empty state brings the search box with the table.
    expect(page.get_by_label("Search credential lists")).to_be_visible()
    htmx_settled(page)
    page.get_by_label("Name", exact=True).fill("office-phones")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.get_by_text("A credential list with this name already exists.")).to_be_visible()
    expect(messages).to_be_empty()
    assert still_same_page(page)


def test_phone_screen_shows_the_active_tab_and_a_one_line_top_bar(
    page: Page, live_server, login, admin_user, account, django_user_model
):
    # Long names: a second organization gives the top bar its switcher.
    second = Organization.objects.create(
        name="Northwind Traders International Holdings", slug="northwind"
    )
    Membership.objects.create(user=admin_user, organization=second, role=Role.SUPPORT)
    page.set_viewport_size({"width": 390, "height": 844})
    login("alice")
    page.goto(f"{live_server.url}/o/acme/accounts/{account.pk}/activity/")
    active = page.get_by_role("tab", name="Activity")
    expect(active).to_have_attribute("aria-selected", "true")
    expect(active).to_be_in_viewport(ratio=1)
    bar = page.locator(".topbar").bounding_box()
    for menu in (".org-menu summary", ".user-menu summary"):
        box = page.locator(menu).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["height"] < 40, f"{menu} wraps onto two lines"
    assert bar["height"] < 60
    # After an HTMX tab switch too.
    page.get_by_role("tab", name="SIP Users").click()
    expect(page).to_have_url(re.compile(r"/sip-users/$"))
    expect(page.get_by_role("tab", name="SIP Users")).to_be_in_viewport(ratio=1)


def test_a_limit_is_shown_in_words_and_keeps_the_form(login, admin_user, account, settings):
    settings.WRITES_PER_MINUTE = 1
    page = login("alice")
    page.get_by_role("link", name="Twilio main", exact=True).click()
    page.get_by_role("tab", name=re.compile("^Credential Lists")).click()
    page.locator("#tab-panel header").get_by_role("link", name="Add credential list").click()
    htmx_settled(page)
    page.get_by_label("Name", exact=True).fill("First")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.locator("#messages")).to_have_text("Credential list “First” added.")
    htmx_settled(page)  # the fresh form is htmx's: the refusal comes back as a toast
    page.get_by_label("Name", exact=True).fill("Second")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.locator("#toast")).to_contain_text("You have made 1 change in the last minute")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Second")
    expect(page.locator("#messages")).to_be_empty()
