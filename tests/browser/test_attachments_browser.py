from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from tests.browser.conftest import htmx_settled
from tests.browser.conftest import mark_page
from tests.browser.conftest import still_same_page

pytestmark = pytest.mark.browser


def go_to_tab(page: Page, name: str) -> None:
    # After a change the tab strip refreshes itself (setup-changed): click once it has.
    htmx_settled(page)
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def test_attach_flow_from_an_empty_account(login, admin_user, empty_account):
    page = login("alice")
    page.get_by_role("link", name="Telnyx spare", exact=True).click()
    go_to_tab(page, "Credential Attachments")
    expect(
        page.get_by_text("Create a SIP domain and a credential list before adding an attachment.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Add credential attachment")).to_be_disabled()

    page.get_by_role("link", name="go to Domains").click()
    page.locator("#tab-panel header").get_by_role("link", name="Add SIP domain").click()
    page.get_by_label("Name", exact=True).fill("Office")
    page.get_by_label("Domain prefix").fill("office")
    page.locator("#panel-slot").get_by_role("button", name="Add SIP domain").click()
    expect(page.locator("#domain-table")).to_contain_text("office.sip.telnyx.com")

    go_to_tab(page, "Credential Lists")
    page.locator("#tab-panel header").get_by_role("link", name="Add credential list").click()
    page.get_by_label("Name", exact=True).fill("Desk phones")
    page.locator("#panel-slot").get_by_role("button", name="Add credential list").click()
    expect(page.locator("#list-table")).to_contain_text("Desk phones")
    phones = CredentialList.objects.get()
    for name in ("desk-1", "desk-2"):
        Credential.objects.create(
            credential_list=phones, username=name, ha1_md5="x", ha1_sha256="y"
        )

    go_to_tab(page, "Credential Attachments")
    expect(page.get_by_text("before adding an attachment")).to_have_count(0)
    mark_page(page)
    page.locator("#tab-panel header").get_by_role("link", name="Add credential attachment").click()
    page.get_by_label("SIP domain").select_option(label="office.sip.telnyx.com")
    page.get_by_label("Credential list").select_option(label="Desk phones")
    page.get_by_label("Calls only").check()
    page.get_by_role("button", name="Attach").click()
    rows = page.locator("#attachment-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Calls")

    page.get_by_label("SIP domain").select_option(label="office.sip.telnyx.com")
    page.get_by_label("Credential list").select_option(label="Desk phones")
    expect(page.get_by_label("Calls and registrations")).to_be_checked()
    page.get_by_role("button", name="Attach").click()
    expect(page.locator("#messages")).to_contain_text(
        "now authenticates registrations on office.sip.telnyx.com. It was already attached for calls"
    )
    expect(rows).to_have_count(2)
    assert sorted(CredentialAttachment.objects.values_list("purpose", flat=True)) == [
        "calls",
        "registrations",
    ]

    page.get_by_role("link", name=re.compile("Detach Desk phones .* for calls")).click()
    expect(page.locator(".impact-sentence")).to_have_text(
        "2 SIP users in “Desk phones” will stop authenticating calls on office.sip.telnyx.com."
    )
    page.get_by_role("button", name="Detach").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Registrations")
    assert still_same_page(page)
    assert list(CredentialAttachment.objects.values_list("purpose", flat=True)) == ["registrations"]
