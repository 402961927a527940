"""A person connects an account to Twilio (the fake, over real HTTP on loopback), builds a SIP
setup, and the Twilio account holds exactly that setup."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import htmx_settled
from tests.conftest import connect_directly
from tests.twilio.fake import FakeTwilio

pytestmark = pytest.mark.browser


@pytest.fixture
def twilio_over_http(settings, monkeypatch):
    from sip import twilio_api

    fake = FakeTwilio()
    url, stop = fake.serve()
    monkeypatch.setattr(twilio_api, "TRANSPORT", None)  # real HTTP to the loopback fake
    settings.TWILIO_API_URL = url
    yield fake
    stop()


def go_to_tab(page: Page, name: str) -> None:
    # After a change the tab strip refreshes itself (setup-changed): click once it has.
    htmx_settled(page)
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def test_a_setup_made_here_is_the_setup_twilio_holds(login, admin_user, account, twilio_over_http):
    fake = twilio_over_http
    page = login("alice")
    page.get_by_role("link", name="Twilio main", exact=True).click()
    expect(page.get_by_text("Not connected")).to_be_visible()
    page.get_by_role("link", name="Connect to Twilio").click()
    page.get_by_label("Account SID").fill(fake.account_sid)
    page.get_by_label("API Key SID").fill(fake.key_sid)
    page.get_by_label("API Key secret").fill("a-wrong-secret")
    page.get_by_role("button", name="Save and test").click()
    expect(page.locator("#id_twilio_key_secret_error")).to_contain_text(
        "Twilio did not accept this API Key SID and secret"
    )
    expect(page.get_by_label("API Key SID")).to_have_value(fake.key_sid)
    expect(page.get_by_label("API Key secret")).to_have_value("")
    page.get_by_label("API Key secret").fill(fake.key_secret)
    page.get_by_role("button", name="Save and test").click()
    expect(page.get_by_text("“Twilio main” is connected.")).to_be_visible()
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("the connection works")).to_be_visible()

    page.get_by_role("link", name="Twilio main", exact=True).click()
    page.locator("#tab-panel header").get_by_role("link", name="Add SIP domain").click()
    htmx_settled(page)
    page.get_by_label("Name", exact=True).fill("Office")
    page.get_by_label("Domain prefix").fill("office")
    page.get_by_label("Voice URL").fill("https://example.com/voice")
    page.locator("#panel-slot").get_by_role("button", name="Add SIP domain").click()
    row = page.locator("#domain-table tbody tr").first
    expect(row).to_contain_text("office.sip.twilio.com")
    expect(row).to_contain_text("In Twilio")

    go_to_tab(page, "Credential Lists")
    page.locator("#tab-panel header").get_by_role("link", name="Add credential list").click()
    htmx_settled(page)
    page.get_by_label("Name", exact=True).fill("Desk phones")
    page.locator("#panel-slot").get_by_role("button", name="Add credential list").click()
    expect(page.locator("#list-table")).to_contain_text("In Twilio")
    page.get_by_role("link", name="Desk phones", exact=True).click()
    expect(page.get_by_text("No Credentials Found")).to_be_visible()
    page.locator("#tab-panel header").get_by_role("link", name="Add credential").click()
    htmx_settled(page)
    page.get_by_label("Username").fill("desk-101")
    page.locator("#panel-slot").get_by_role("button", name="Add credential").click()
    password = page.locator("#secret-value").inner_text()
    expect(page.locator("#credential-table")).to_contain_text("In Twilio")

    go_to_tab(page, "Credential Attachments")
    page.locator("#tab-panel header").get_by_role("link", name="Add credential attachment").click()
    htmx_settled(page)
    page.get_by_label("SIP domain").select_option(label="office.sip.twilio.com")
    page.get_by_label("Credential list").select_option(label="Desk phones")
    page.get_by_label("Registrations only").check()
    page.get_by_role("button", name="Attach").click()
    expect(page.locator("#attachment-table tbody tr")).to_have_count(1)
    expect(page.locator("#attachment-table")).to_contain_text("In Twilio")

    assert fake.setup() == {
        "domains": {
            "office.sip.twilio.com": {
                "friendly_name": "Office",
                "sip_registration": True,
                "secure": False,
                "voice_url": "https://example.com/voice",
                "voice_method": "POST",
                "calls": [],
                "registrations": ["Desk phones"],
                "legacy": [],
            }
        },
        "lists": {"Desk phones": ["desk-101"]},
    }
    assert list(fake.passwords.values()) == [password]


def test_import_progress_and_reconcile_in_the_browser(
    login, admin_user, connected_over_http, twilio_over_http
):
    from axe_playwright_python.sync_playwright import Axe
    from django.core.management import call_command

    fake = twilio_over_http
    api_setup(fake)
    page = login("alice")
    page.get_by_role("link", name="Twilio main", exact=True).click()
    page.get_by_role("link", name="Connection").click()
    page.get_by_role("button", name="Import from Twilio").click()
    expect(page.get_by_text("Waiting for the worker")).to_be_visible()
    expect(page.get_by_role("button", name="Importing…")).to_be_disabled()
    page.reload()  # the progress is the run's, in the database: a reload shows it again
    expect(page.get_by_text("Waiting for the worker")).to_be_visible()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    # The panel refreshes itself: no reload.
    expect(page.locator("#import-progress")).to_contain_text("Done", timeout=10_000)
    expect(page.locator("#import-progress")).to_contain_text("2 SIP users")
    expect(page.locator("#import-progress progress")).to_have_attribute("value", "4")

    # Someone renames the domain in the Twilio Console: Reconcile shows it and settles it.
    (sid,) = fake.domains
    fake.domains[sid]["friendly_name"] = "Renamed in the Console"
    page.get_by_role("link", name="Twilio main", exact=True).click()
    page.get_by_role("link", name="Reconcile").click()
    expect(page.get_by_text("1 difference.", exact=False)).to_be_visible()
    expect(
        page.get_by_text("name: here “Imported”, in Twilio “Renamed in the Console”")
    ).to_be_visible()
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
    page.get_by_role(
        "button", name="Use Twilio's values for domain imported.sip.twilio.com"
    ).click()
    expect(page.get_by_text("Twilio's values are now used here.")).to_be_visible()
    expect(page.get_by_role("heading", name="No Differences Found")).to_be_visible()


def api_setup(fake: FakeTwilio) -> None:
    """What the Twilio account already has: a domain, a list of two users, a mapping."""
    from sip.twilio_api import Connection
    from sip.twilio_api import MappingKind
    from sip.twilio_api import Twilio

    api = Twilio(Connection(fake.account_sid, fake.key_sid, fake.key_secret))
    domain = api.create_domain("imported.sip.twilio.com", FriendlyName="Imported")
    phones = api.create_credential_list("Existing phones")
    for name in ("old-1", "old-2"):
        api.create_credential(phones["sid"], name, "Str0ngPassw0rd")
    api.map_list(domain["sid"], MappingKind.REGISTRATIONS, phones["sid"])


@pytest.fixture
def connected_over_http(account, twilio_over_http):
    return connect_directly(account.pk, twilio_over_http)
