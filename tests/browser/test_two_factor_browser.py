"""A person sets up an authenticator app, signs out, and signs in with its code: in Chromium, the
codes computed here from the key the page shows, as an authenticator app would."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def code_for(key: bytes, steps: int = 0) -> str:
    return f"{totp(key, t0=-30 * steps):06d}"


def test_enrol_sign_out_and_sign_in_with_a_code(page: Page, login, admin_user, org):
    login("alice")
    page.get_by_text("alice").first.click()  # the user menu
    page.get_by_role("link", name="Sign-in security").click()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    key = b32decode(page.locator("code.secret-key").inner_text().replace(" ", ""))
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#id_code_error")).to_contain_text("That code is not right")
    page.get_by_label("Code from the app").fill(code_for(key))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)

    page.get_by_role("link", name="I have kept them: continue").click()
    page.get_by_text("alice").first.click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/code/**")
    expect(page.get_by_role("heading", name="Two-factor code")).to_be_visible()
    # The code used to turn it on cannot sign in again: the next one does.
    page.get_by_label("Code").fill(code_for(key, steps=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/o/acme/accounts/")
    expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()


def test_a_stale_sign_in_is_asked_again_in_place_and_the_rotation_goes_on(
    page: Page, login, admin_user, account, settings
):
    from importlib import import_module

    from accounts import two_factor
    from sip.models import Credential
    from sip.models import CredentialList
    from tests.browser.conftest import htmx_settled
    from tests.browser.conftest import mark_page
    from tests.browser.conftest import still_same_page

    phones = CredentialList.objects.create(account=account, name="Office phones")
    credential = Credential.objects.create(
        credential_list=phones, username="desk", ha1_md5="x", ha1_sha256="y"
    )
    login("alice")
    page.goto(
        page.url.split("/o/")[0] + f"/o/acme/accounts/{account.pk}/credential-lists/{phones.pk}/"
    )
    mark_page(page)
    page.get_by_role("link", name="Rotate password of desk").click()
    page.get_by_label("Type a password").check()
    page.get_by_label("Typed password").fill("Brand-New-Pass-2026")
    # Meanwhile the window since the password was given runs out.
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    session[two_factor.AUTHENTICATED_AT] -= settings.REAUTH_SECONDS + 1
    session.save()
    htmx_settled(page)
    page.get_by_role("button", name="Rotate password").click()
    dialog = page.get_by_role("dialog", name="Confirm it is you")
    expect(dialog).to_be_visible()
    credential.refresh_from_db()
    assert credential.ha1_md5 == "x"  # not rotated without it
    dialog.get_by_label("Password").fill("wrong")
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.get_by_text("That is not your password.")).to_be_visible()
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#secret-value")).to_have_text("Brand-New-Pass-2026")
    expect(dialog).to_have_count(0)
    assert still_same_page(page)
    credential.refresh_from_db()
    assert credential.ha1_md5 != "x"
