from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page
from playwright.sync_api import expect

from accounts.models import Membership
from accounts.models import Role
from sip.models import SipDomain
from tests.browser.conftest import mark_page
from tests.browser.conftest import still_same_page

pytestmark = pytest.mark.browser


def open_account(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def test_add_domain_inline_with_live_preview(login, admin_user, empty_account):
    page = login("alice")
    open_account(page, "Telnyx spare")
    expect(page.get_by_text("No SIP Domains Found")).to_be_visible()
    mark_page(page)

    page.get_by_role("button", name="Add SIP domain").or_(
        page.get_by_role("link", name="Add SIP domain")
    ).first.click()
    page.get_by_label("Name", exact=True).fill("Branch office")
    preview = page.locator("[data-domain-preview]")
    expect(preview).to_have_text("your-prefix.sip.telnyx.com")
    page.get_by_label("Domain prefix").press_sequentially("Branch-1")
    expect(preview).to_have_text("branch-1.sip.telnyx.com")
    page.locator("#panel-slot").get_by_role("button", name="Add SIP domain").click()

    row = page.locator("#domain-table tr", has_text="Branch office")
    expect(row).to_contain_text("branch-1.sip.telnyx.com")
    expect(page.get_by_text("No SIP Domains Found")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("SIP domain “Branch office” added")
    expect(page.get_by_label("Name", exact=True)).to_have_value("")  # ready for the next entry
    # The tabs and the setup review refresh themselves after the change.
    expect(page.get_by_text("Setup review: 1 warning")).to_be_visible()
    assert still_same_page(page)
    assert SipDomain.objects.get().domain == "branch-1.sip.telnyx.com"


def test_invalid_prefix_shows_message_in_place_and_keeps_name(login, admin_user, empty_account):
    page = login("alice")
    open_account(page, "Telnyx spare")
    mark_page(page)
    page.locator("#tab-panel header").get_by_role("link", name="Add SIP domain").click()
    page.get_by_label("Name", exact=True).fill("Lab")
    page.get_by_label("Domain prefix").fill("-bad_prefix")
    page.locator("#panel-slot").get_by_role("button", name="Add SIP domain").click()
    expect(page.get_by_text("Use only letters, digits and hyphens")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Lab")
    expect(page.get_by_label("Domain prefix")).to_have_value("-bad_prefix")
    expect(page.get_by_label("Domain prefix")).to_be_focused()
    assert still_same_page(page)
    assert not SipDomain.objects.exists()


def test_rename_and_delete_through_confirmation(login, admin_user, account, domain):
    page = login("alice")
    open_account(page, "Twilio main")
    mark_page(page)
    page.get_by_role("link", name="Edit acme-hq.sip.twilio.com").click()
    page.get_by_label("Name", exact=True).fill("Headquarters")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#domain-table")).to_contain_text("Headquarters")
    expect(page).to_have_url(re.compile(r"/domains/$"))

    page.get_by_role("link", name="Delete acme-hq.sip.twilio.com").click()
    expect(
        page.get_by_role("heading", name="Delete SIP domain acme-hq.sip.twilio.com?")
    ).to_be_visible()
    page.get_by_role("button", name="Delete SIP domain").click()
    expect(page.get_by_text("No SIP Domains Found")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("deleted")
    assert still_same_page(page)
    assert not SipDomain.objects.exists()


def test_tabs_swap_and_back_button_restores(login, admin_user, account, domain):
    page = login("alice")
    open_account(page, "Twilio main")
    mark_page(page)
    page.get_by_role("tab", name="Credential Lists").click()
    expect(page).to_have_url(re.compile(r"/credential-lists/$"))
    expect(page.get_by_text("No Credential Lists Found")).to_be_visible()
    expect(page.get_by_role("tab", name="Credential Lists")).to_have_attribute(
        "aria-selected", "true"
    )
    page.get_by_role("tab", name="Credential Attachments").click()
    expect(page.get_by_text("No Credential Attachments Found")).to_be_visible()
    assert still_same_page(page)

    page.go_back()
    expect(page).to_have_url(re.compile(r"/credential-lists/$"))
    expect(page.get_by_text("No Credential Lists Found")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/domains/$"))
    expect(page.locator("#domain-table")).to_contain_text("acme-hq.sip.twilio.com")
    page.go_forward()
    expect(page.get_by_text("No Credential Lists Found")).to_be_visible()


def test_support_finds_no_add_button(login, support_user, account, domain):
    page = login("sam")
    expect(page.get_by_text("Read-only")).to_be_visible()
    expect(page.get_by_role("link", name="Add account")).to_have_count(0)
    open_account(page, "Twilio main")
    expect(page.locator("#domain-table")).to_contain_text("acme-hq.sip.twilio.com")
    expect(page.get_by_role("link", name="Add SIP domain")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^(Rename|Delete)"))).to_have_count(0)


def test_htmx_403_is_shown_not_swallowed(login, admin_user, account):
    page = login("alice")
    open_account(page, "Twilio main")
    # The admin is demoted while the page is open; the next click is refused by the server.
    Membership.objects.filter(user=admin_user).update(role=Role.SUPPORT)
    page.locator("#tab-panel header").get_by_role("link", name="Add SIP domain").click()
    expect(page.get_by_role("alert").filter(has_text="permission")).to_be_visible()


def test_expired_session_on_htmx_goes_to_login(login, admin_user, account):
    page = login("alice")
    open_account(page, "Twilio main")
    Session.objects.all().delete()
    page.get_by_role("tab", name="Credential Lists").click()
    page.wait_for_url(re.compile(r"/login/\?next="))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("#tab-area")).to_have_count(0)
