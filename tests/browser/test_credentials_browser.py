from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from tests.browser.conftest import mark_page
from tests.browser.conftest import still_same_page

pytestmark = pytest.mark.browser


def open_lists_tab(page: Page, account_name: str) -> None:
    page.get_by_role("link", name=account_name, exact=True).click()
    page.get_by_role("tab", name="Credential Lists").click()
    expect(page).to_have_url(re.compile(r"/credential-lists/$"))


def test_add_list_inline_and_near_duplicate_refused(login, admin_user, account):
    page = login("alice")
    open_lists_tab(page, "Twilio main")
    expect(page.get_by_text("No Credential Lists Found")).to_be_visible()
    mark_page(page)
    page.locator("#tab-panel header").get_by_role("link", name="Add credential list").click()
    page.get_by_label("Name", exact=True).fill("Office Phones")
    page.locator("#panel-slot").get_by_role("button", name="Add credential list").click()
    expect(page.locator("#list-table")).to_contain_text("Office Phones")
    expect(page.get_by_text("No Credential Lists Found")).to_have_count(0)

    page.get_by_label("Name", exact=True).fill("office-phones")
    page.locator("#panel-slot").get_by_role("button", name="Add credential list").click()
    expect(page.get_by_text("A credential list with this name already exists.")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("office-phones")
    assert still_same_page(page)
    assert CredentialList.objects.count() == 1


def test_generated_password_is_shown_once_copied_and_gone_after_reload(
    login, admin_user, account, live_server
):
    CredentialList.objects.create(account=account, name="Office phones")
    page = login("alice")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    open_lists_tab(page, "Twilio main")
    page.get_by_role("link", name="Office phones", exact=True).click()
    expect(page).to_have_url(re.compile(r"/credential-lists/\d+/$"))
    expect(page.get_by_text("No Credentials Found")).to_be_visible()

    page.locator("#tab-panel header").get_by_role("link", name="Add credential").click()
    page.get_by_label("Username").fill("desk-101")
    expect(page.get_by_label("Generate a strong password")).to_be_checked()
    expect(page.get_by_label("Typed password")).to_be_hidden()
    page.locator("#panel-slot").get_by_role("button", name="Add credential").click()

    secret = page.locator("#secret-value")
    expect(secret).to_be_visible()
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    password = secret.inner_text()
    assert len(password) >= 20
    expect(page.locator("#credential-table")).to_contain_text("desk-101")

    page.get_by_role("button", name="Copy password").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == password

    page.reload()
    expect(page.locator("#credential-table")).to_contain_text("desk-101")
    expect(page.locator("#secret-value")).to_have_count(0)
    assert password not in page.content()
    page.go_back()
    assert password not in page.content()
    assert Credential.objects.get().username == "desk-101"


def test_rotate_password_with_a_typed_one(login, admin_user, account):
    phones = CredentialList.objects.create(account=account, name="Office phones")
    credential = Credential.objects.create(
        credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y"
    )
    page = login("alice")
    open_lists_tab(page, "Twilio main")
    page.get_by_role("link", name="Office phones", exact=True).click()
    page.get_by_role("link", name="Rotate password of desk").click()
    page.get_by_label("Type a password").check()
    page.get_by_label("Typed password").fill("weak")
    page.get_by_role("button", name="Rotate password").click()
    expect(page.get_by_text("The password needs at least 12 characters.")).to_be_visible()
    expect(page.get_by_label("Typed password")).to_have_value("")
    page.get_by_label("Typed password").fill("Brand-New-Pass-2026")
    page.get_by_role("button", name="Rotate password").click()
    expect(page.locator("#secret-value")).to_have_text("Brand-New-Pass-2026")
    credential.refresh_from_db()
    assert credential.ha1_md5 != "x"


def test_deleting_an_attached_list_is_refused_naming_the_domain(login, admin_user, account, domain):
    phones = CredentialList.objects.create(account=account, name="Office phones")
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    page = login("alice")
    open_lists_tab(page, "Twilio main")
    page.get_by_role("link", name="Delete Office phones").click()
    refusal = page.locator(".refusal")
    expect(refusal).to_contain_text("cannot be deleted while it is attached to 1 SIP domain")
    expect(refusal).to_contain_text("acme-hq.sip.twilio.com")
    expect(page.get_by_role("button", name="Delete credential list")).to_have_count(0)
    assert CredentialList.objects.filter(pk=phones.pk).exists()
