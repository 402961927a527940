"""axe-core finds no serious or critical violation on any page and state; tabs work by keyboard;
focus goes to the first error."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import resolve
from playwright.sync_api import Page
from playwright.sync_api import expect

from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from tests.browser.conftest import htmx_settled
from tests.test_authorization_matrix import EXPECTATIONS
from tests.test_authorization_matrix import EXPORT
from tests.test_authorization_matrix import POLL
from tests.test_authorization_matrix import REDIRECT

pytestmark = pytest.mark.browser
axe = Axe()


def serious(page: Page) -> list[str]:
    violations = axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_pages_and_states_have_no_serious_violations(
    login, admin_user, account, empty_account, domain, live_server
):
    phones = CredentialList.objects.create(account=account, name="Phones")
    credential = Credential(credential_list=phones, username="desk")
    credential.set_password("Desk-Phone-Pass-1234")
    credential.save()
    attachment = CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    page = login("alice")
    a, e = f"/o/acme/accounts/{account.pk}", f"/o/acme/accounts/{empty_account.pk}"
    lists = f"{a}/credential-lists/{phones.pk}"
    paths = [
        "/o/acme/accounts/",
        "/o/acme/accounts/new/",
        f"/o/acme/accounts/{account.pk}/edit/",
        f"/o/acme/accounts/{account.pk}/delete/",
        f"/o/acme/accounts/{empty_account.pk}/delete/",
        f"{a}/domains/",
        f"{e}/domains/",
        f"{a}/domains/new/",
        f"{a}/domains/{domain.pk}/edit/",
        f"{a}/domains/{domain.pk}/delete/",
        f"{a}/credential-lists/",
        f"{e}/credential-lists/",
        f"{a}/credential-lists/new/",
        f"{lists}/edit/",
        f"{lists}/delete/",
        f"{lists}/",
        f"{lists}/credentials/new/",
        f"{lists}/credentials/{credential.pk}/password/",
        f"{lists}/credentials/{credential.pk}/delete/",
        f"{lists}/import/",
        f"{lists}/rotate/",
        f"{a}/attachments/",
        f"{e}/attachments/",
        f"{a}/attachments/new/",
        f"{a}/attachments/{attachment.pk}/delete/",
        f"{a}/sip-users/",
        f"{a}/sip-users/?q=nobody",
        f"{a}/sip-users/check/?username=desk",
        f"{a}/activity/",
        f"{a}/connection/",
        f"{e}/connection/",
        f"{a}/connection/delete/",
        f"{a}/reconcile/",
        f"{a}/review/",
        f"{a}/review/?kind=domain&q=acme",
        "/o/acme/accounts/999999/domains/",
        "/o/acme/activity/",
        "/o/acme/security/",
        "/security/",
        "/security/two-factor/",
        "/login/again/",
    ]
    # Every page of the URL conf is among them (the tabs' refresh is a fragment of the tab
    # pages above): a new page fails here until it is added.
    visited = {resolve(urlsplit(path).path).view_name for path in paths}
    # Not pages: the progress fragment a page asks for, and the exports' files.
    pages = {name for name, kind in EXPECTATIONS.items() if kind not in (REDIRECT, POLL, EXPORT)}
    assert pages - visited == {"sip:account-nav"}
    found = {}
    for path in paths:
        page.goto(live_server.url + path)
        problems = serious(page)
        if problems:
            found[path] = problems

    # States reached by interaction: errors, the password shown once, a verdict.
    page.goto(f"{live_server.url}{a}/domains/new/")
    page.get_by_label("Name", exact=True).fill("x")
    page.get_by_label("Domain prefix").fill("-bad-")
    page.locator("#panel-slot").get_by_role("button", name="Add SIP domain").click()
    expect(page.get_by_text("cannot start or end with a hyphen")).to_be_visible()
    found["domain form with errors"] = serious(page)
    page.goto(f"{live_server.url}{lists}/credentials/new/")
    page.get_by_label("Username", exact=True).fill("desk-2")
    page.locator("#panel-slot").get_by_role("button", name="Add credential").click()
    expect(page.locator("#secret-value")).to_be_visible()
    found["password shown once"] = serious(page)
    page.goto(f"{live_server.url}{a}/sip-users/check/?username=desk")
    page.get_by_label("SIP domain").fill("acme-hq")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator(".verdict").first).to_be_visible()
    found["connection check verdict"] = serious(page)
    page.goto(f"{live_server.url}{a}/connection/")
    page.get_by_label("Account SID").fill("AC-not-a-sid")
    page.get_by_label("API Key SID").fill("SK" + "0" * 32)
    page.get_by_label("API Key secret").fill("a-secret")
    page.get_by_role("button", name="Save and test").click()
    expect(page.get_by_text("An Account SID is AC followed by")).to_be_visible()
    found["connection form with errors"] = serious(page)
    page.goto(f"{live_server.url}{lists}/import/")
    csv_file = {"name": "p.csv", "mimeType": "text/csv", "buffer": b"username\nok-1\nbad name\n"}
    page.get_by_label("CSV file", exact=True).set_input_files(csv_file)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check of p.csv: 2 rows")).to_be_visible()
    found["import check report"] = serious(page)
    assert {state: problems for state, problems in found.items() if problems} == {}


def test_axe_does_report_a_real_violation(page: Page, live_server, admin_user):
    """The checker is live: an unlabeled field on the real login page is caught."""
    page.goto(f"{live_server.url}/login/")
    page.evaluate("document.querySelectorAll('label').forEach(l => l.remove())")
    assert any(problem.startswith("label (critical)") for problem in serious(page))


def test_login_pages_have_no_serious_violations(page: Page, live_server, admin_user):
    page.goto(f"{live_server.url}/login/")
    assert serious(page) == []
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Please enter a correct username")).to_be_visible()
    assert serious(page) == []


def test_tabs_by_keyboard(login, admin_user, account):
    page = login("alice")
    page.get_by_role("link", name="Twilio main", exact=True).click()
    domains_tab = page.get_by_role("tab", name=re.compile("^Domains"))
    expect(domains_tab).to_have_attribute("tabindex", "0")
    expect(page.get_by_role("tab", name="Activity")).to_have_attribute("tabindex", "-1")
    domains_tab.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name=re.compile("^Credential Lists"))).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Activity")).to_be_focused()
    page.keyboard.press("Home")
    expect(domains_tab).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Activity")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/activity/$"))
    expect(page.get_by_role("tab", name="Activity")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Activity")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press(" ")
    expect(page).to_have_url(re.compile(r"/sip-users/$"))


def test_focus_moves_to_the_first_error(login, admin_user, account):
    page = login("alice")
    page.get_by_role("link", name="Twilio main", exact=True).click()
    page.get_by_role("tab", name=re.compile("^Credential Lists")).click()
    page.locator("#tab-panel header").get_by_role("link", name="Add credential list").click()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    htmx_settled(page)
    page.get_by_label("Name", exact=True).fill("---")
    page.keyboard.press("Enter")
    expect(page.get_by_text("needs a letter or a digit")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()


def test_focus_is_the_same_when_the_form_arrives_as_a_whole_page(login, admin_user, account):
    """The race behind a once-flaky test: a click that lands before htmx has loaded follows the
    link as a whole page. Focus must land in the same place either way."""
    page = login("alice")
    page.goto(
        page.url.replace(
            "/o/acme/accounts/", f"/o/acme/accounts/{account.pk}/credential-lists/new/"
        )
    )
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    htmx_settled(page)
    page.get_by_label("Name", exact=True).fill("---")
    # Submitted without htmx (as before it loads): the whole page comes back with the error.
    page.evaluate("document.querySelector('#panel-slot form').submit()")
    expect(page.get_by_text("needs a letter or a digit")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
