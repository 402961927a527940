from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/o/acme/accounts/")


def run_check(page: Page) -> None:
    page.get_by_label("SIP domain").fill("acme-hq.sip.twilio.com")
    page.get_by_role("button", name="Check", exact=True).click()


def test_support_answers_why_a_sip_user_cannot_register(
    page: Page, browser: Browser, live_server, admin_user, support_user, account, domain
):
    phones = CredentialList.objects.create(account=account, name="Desk phones")
    desk = Credential(credential_list=phones, username="desk-101")
    desk.set_password("Desk-Phone-Pass-1234")
    desk.save()
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )

    # Support: "desk-101 cannot register."
    log_in(page, live_server.url, "sam")
    page.get_by_role("link", name="Twilio main", exact=True).click()
    page.get_by_role("tab", name="SIP Users").click()
    page.get_by_role("link", name="Check desk-101").click()
    expect(page.get_by_label("Username", exact=True)).to_have_value("desk-101")
    run_check(page)
    registrations = page.locator(".verdict", has_text="Registrations:")
    expect(registrations).to_contain_text("Registrations: cannot authenticate")
    expect(registrations).to_contain_text(
        "“Desk phones” is attached to acme-hq.sip.twilio.com for calls but not for registrations."
    )
    expect(page.locator(".verdict", has_text="Calls:")).to_contain_text("Calls: can authenticate")

    # An admin attaches the list for registrations.
    admin_context = browser.new_context()
    admin_page = admin_context.new_page()
    log_in(admin_page, live_server.url, "alice")
    admin_page.get_by_role("link", name="Twilio main", exact=True).click()
    admin_page.get_by_role("tab", name="Credential Attachments").click()
    admin_page.locator("#tab-panel header").get_by_role(
        "link", name="Add credential attachment"
    ).click()
    admin_page.get_by_label("SIP domain").select_option(label="acme-hq.sip.twilio.com")
    admin_page.get_by_label("Credential list").select_option(label="Desk phones")
    admin_page.get_by_label("Registrations only").check()
    admin_page.get_by_role("button", name="Attach").click()
    expect(admin_page.locator("#messages")).to_contain_text("now authenticates registrations")
    admin_context.close()

    # Support checks again, with the password the user says they typed.
    page.get_by_label("Password (optional)").fill("Desk-Phone-Pass-1234")
    run_check(page)
    expect(registrations).to_contain_text(
        "Registrations: can authenticate through “Desk phones”, and the password matches"
    )
    expect(page.get_by_label("Password (optional)")).to_have_value("")

    page.get_by_role("tab", name="Activity").click()
    # The password test is recorded (without the password), after the admin's fix.
    test = page.locator("tbody tr").first
    expect(test).to_contain_text("sam")
    expect(test).to_contain_text(
        "Checked the password of desk-101 on acme-hq.sip.twilio.com: "
        "matched the one in “Desk phones”."
    )
    row = page.locator("tbody tr").nth(1)
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text(
        "Attached “Desk phones” to acme-hq.sip.twilio.com for registrations."
    )
