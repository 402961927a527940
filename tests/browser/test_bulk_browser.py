"""Bulk work as a person does it: upload a file, read the check, confirm, watch the progress,
download the passwords once, see the SIP users; rotate a selection; export the setup."""

from __future__ import annotations

import csv
import threading

import pytest
from playwright.sync_api import expect

from sip import bulk
from sip.digest import ha1_md5
from sip.models import Credential
from sip.models import CredentialList

pytestmark = pytest.mark.django_db(transaction=True)


def downloaded_rows(download) -> list[dict[str, str]]:
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def phones(account) -> CredentialList:
    phones = CredentialList.objects.create(account=account, name="Office phones")
    Credential.objects.create(credential_list=phones, username="existing")
    return phones


def test_import_a_file_with_its_check_progress_and_passwords_once(
    login, admin_user, account, phones, monkeypatch
):
    # The server stops after its first progress report until the page has shown it: the
    # progress is seen for sure, whatever the machine's speed.
    shown, reported = threading.Event(), threading.Event()
    report = bulk.set_progress

    def report_then_wait(nonce, account_id, **values):
        report(nonce, account_id, **values)
        if values.get("done") == 50:
            reported.set()
            assert shown.wait(30)

    monkeypatch.setattr(bulk, "set_progress", report_then_wait)
    rows = ["username,password", "desk-1,Typed-Browser-Pass-1", "bad name,", "existing,"]
    rows += [f"desk-{n}," for n in range(2, 121)]
    page = login("alice")
    page.goto(f"{page.url}{account.pk}/credential-lists/{phones.pk}/")
    page.get_by_role("link", name="Import from CSV").click()
    page.get_by_label("CSV file", exact=True).set_input_files(
        {"name": "phones.csv", "mimeType": "text/csv", "buffer": "\r\n".join(rows).encode()}
    )
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Check of phones.csv: 122 rows")).to_be_visible()
    totals = page.get_by_role("list", name="Totals")
    expect(totals).to_contain_text("120 will be added")
    expect(totals).to_contain_text("1 invalid")
    expect(totals).to_contain_text("1 already in the list")
    problems = page.locator("table").first
    expect(problems.get_by_role("row", name="3 bad name")).to_contain_text("Invalid")
    expect(problems.get_by_role("row", name="4 existing")).to_contain_text(
        "The list already has this SIP user."
    )
    assert Credential.objects.filter(credential_list=phones).count() == 1  # nothing yet
    expect(page.get_by_label("Add the rows that can be added, and skip the others")).to_be_checked()

    try:
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Import and download the passwords").click()
            progress = page.get_by_role("status")
            expect(progress).to_contain_text("Working: 50 of 120")
            expect(progress.get_by_role("progressbar")).to_have_attribute("value", "50")
            expect(page.get_by_role("button", name="Import and download")).to_be_disabled()
            shown.set()
    finally:
        shown.set()  # never leave the server waiting
    rows = downloaded_rows(download_info.value)
    assert len(rows) == 120
    assert rows[0]["username"] == "desk-1" and rows[0]["password"] == "Typed-Browser-Pass-1"
    assert len({row["password"] for row in rows}) == 120
    expect(
        page.get_by_text("Done: 120 SIP users added to “Office phones”, 2 skipped.")
    ).to_be_visible()
    assert reported.is_set()
    credential = Credential.objects.get(credential_list=phones, username="desk-7")
    password = next(row["password"] for row in rows if row["username"] == "desk-7")
    assert credential.ha1_md5 == ha1_md5("desk-7", "sip.twilio.com", password)

    page.get_by_role("link", name="Open the list").click()
    expect(page.get_by_role("heading", name="Credential list “Office phones”")).to_be_visible()
    expect(page.get_by_text("121 credentials")).to_be_visible()
    page.get_by_label("Search usernames").fill("desk-1")
    expect(page.get_by_role("cell", name="desk-1", exact=True)).to_be_visible()
    # The passwords were in the download only.
    assert "Typed-Browser-Pass-1" not in page.content()


def test_rotate_a_selection_with_select_all(login, admin_user, account, phones):
    for username in ("amy", "bob"):
        Credential.objects.create(credential_list=phones, username=username)
    page = login("alice")
    page.goto(f"{page.url}{account.pk}/credential-lists/{phones.pk}/")
    select_all = page.get_by_label("Select all on this page")
    select_all.check()
    for username in ("amy", "bob", "existing"):
        expect(page.get_by_label(f"Select {username}", exact=True)).to_be_checked()
    page.get_by_label("Select existing", exact=True).uncheck()
    assert page.evaluate("document.querySelector('[data-select-all]').indeterminate")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Rotate selected passwords").click()
    rows = downloaded_rows(download_info.value)
    assert sorted(row["username"] for row in rows) == ["amy", "bob"]
    expect(page.get_by_text("Done: 2 SIP users rotated.")).to_be_visible()
    for row in rows:
        credential = Credential.objects.get(credential_list=phones, username=row["username"])
        assert credential.ha1_md5 == ha1_md5(row["username"], "sip.twilio.com", row["password"])


def test_support_staff_export_the_setup(login, support_user, account, phones):
    page = login("sam")
    page.goto(f"{page.url}{account.pk}/domains/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    rows = downloaded_rows(download_info.value)
    assert [(row["credential_list"], row["username"]) for row in rows] == [
        ("Office phones", "existing")
    ]
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export JSON").click()
    with open(download_info.value.path(), encoding="utf-8") as file:
        text = file.read()
    assert '"usernames": ["existing"]' in text
    # No way to import or rotate is offered.
    page.goto(f"{page.url.split('/domains/')[0]}/credential-lists/{phones.pk}/")
    expect(page.get_by_role("link", name="Import from CSV")).to_have_count(0)
    expect(page.get_by_label("Select existing", exact=True)).to_have_count(0)
