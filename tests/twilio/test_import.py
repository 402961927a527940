"""Importing an existing Twilio setup with the background worker (the database backend of
django-tasks, run here by its own `db_worker --batch`)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Activity
from sip import services
from sip import twilio_api
from sip.diagnosis import check_connection
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import ImportRun
from sip.models import Purpose
from sip.models import SipDomain
from sip.twilio_api import Connection
from sip.twilio_api import MappingKind
from sip.twilio_api import Twilio

# The worker closes and reopens database connections, as in production: real commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def twilio_setup(fake_twilio, settings, monkeypatch):
    """An existing Twilio account: 5 domains, 4 lists of 7 users, mappings of all three kinds.
    Pages hold 3 items, so every kind spans several pages."""
    monkeypatch.setattr(twilio_api, "PAGE_SIZE", 3)
    monkeypatch.setattr(twilio_api.time, "sleep", lambda seconds: None)
    api = Twilio(Connection(fake_twilio.account_sid, fake_twilio.key_sid, fake_twilio.key_secret))
    domains = [
        api.create_domain(f"site{n}.sip.twilio.com", FriendlyName=f"Site {n}") for n in range(5)
    ]
    lists = [api.create_credential_list(f"Team {n}") for n in range(4)]
    for n, item in enumerate(lists):
        for u in range(7):
            api.create_credential(item["sid"], f"t{n}-user{u}", "Str0ngPassw0rd")
    api.map_list(domains[0]["sid"], MappingKind.CALLS, lists[0]["sid"])
    api.map_list(domains[0]["sid"], MappingKind.REGISTRATIONS, lists[0]["sid"])
    api.map_list(domains[1]["sid"], MappingKind.LEGACY, lists[1]["sid"])
    api.update_domain(domains[0]["sid"], SipRegistration="true")
    fake_twilio.requests.clear()
    return fake_twilio


def work() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_an_existing_setup_comes_in_whole(admin_request, connected, twilio_setup):
    run = services.import_start(request=admin_request, account=connected)
    assert run.status == ImportRun.Status.QUEUED
    work()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, run.error
    assert run.counts == {"domains": 5, "lists": 4, "credentials": 28, "mappings": 3, "legacy": 1}
    assert SipDomain.objects.count() == 5 and CredentialList.objects.count() == 4
    assert Credential.objects.filter(password_known=False, ha1_md5="").count() == 28
    site0 = SipDomain.objects.get(domain="site0.sip.twilio.com")
    assert (site0.name, site0.sip_registration) == ("Site 0", True)
    legacy = CredentialAttachment.objects.get(legacy=True)
    assert (legacy.domain.domain, legacy.credential_list.name, legacy.purpose) == (
        "site1.sip.twilio.com",
        "Team 1",
        Purpose.CALLS,
    )
    # Several pages of every kind were read.
    reads = [path for method, path in twilio_setup.requests if method == "GET"]
    assert sum(path.endswith("/Domains.json") for path in reads) == 2
    assert sum(path.endswith("/Credentials.json") for path in reads) == 4 * 3
    record = Activity.objects.get(action=Activity.Action.IMPORTED)
    assert record.summary.startswith("Imported from Twilio: 5 SIP domains, 4 credential lists")


def test_importing_again_duplicates_nothing(admin_request, connected, twilio_setup):
    services.import_start(request=admin_request, account=connected)
    work()
    services.import_start(request=admin_request, account=connected)
    work()
    second = ImportRun.objects.first()
    assert second.counts.get("domains", 0) == 0 and second.counts["matched"] == 5 + 4 + 28
    assert Credential.objects.count() == 28 and CredentialAttachment.objects.count() == 3


def test_a_rate_limit_in_the_middle_is_waited_out(admin_request, connected, twilio_setup):
    twilio_setup.fail_next("GET", "/Credentials.json", status=429, code=20429, retry_after=2)
    services.import_start(request=admin_request, account=connected)
    work()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.DONE and run.counts["credentials"] == 28


def test_a_failed_import_resumes_where_it_stopped(admin_request, connected, twilio_setup):
    # The second page of the third list's credentials: Twilio does not answer.
    services.import_start(request=admin_request, account=connected)
    list_sids = list(twilio_setup.lists)
    twilio_setup.fail_next("GET", f"{list_sids[2]}/Credentials.json?PageSize=3&Page=1&")
    work()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.error == "Twilio did not answer in time."
    assert run.phase == ImportRun.Phase.CREDENTIALS
    assert Credential.objects.count() == 7 + 7 + 3  # two lists done, and a page of the third
    twilio_setup.requests.clear()
    services.import_start(request=admin_request, account=connected)  # resume
    work()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and ImportRun.objects.count() == 1
    assert Credential.objects.count() == 28 and run.counts["credentials"] == 28
    # It went on from the third list's second page: nothing before it was read again.
    reads = [path for _m, path in twilio_setup.requests]
    assert not any(list_sids[0] in path or list_sids[1] in path for path in reads)
    assert not any(path.endswith(("/Domains.json", "/CredentialLists.json")) for path in reads)


def test_an_import_under_way_is_not_queued_twice(admin_request, connected, twilio_setup):
    from django.core.exceptions import ValidationError

    services.import_start(request=admin_request, account=connected)
    with pytest.raises(ValidationError, match="already under way"):
        services.import_start(request=admin_request, account=connected)


def test_imported_users_are_left_out_of_the_sip_server_and_unverifiable(
    admin_request, connected, twilio_setup
):
    from django.db import connection

    services.import_start(request=admin_request, account=connected)
    work()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM sip_auth")
        assert cursor.fetchone()[0] == 0
    domain = SipDomain.objects.get(domain="site0.sip.twilio.com")
    connected.organization.refresh_from_db()
    verdicts = check_connection(connected, "t0-user1", domain, "Str0ngPassw0rd")
    for verdict in verdicts:
        assert not verdict.ok
        assert any("set outside this app" in reason.text for reason in verdict.reasons)
        assert not verdict.password_checked
    # Rotating it here makes it the app's: in Twilio, here, and on the SIP server.
    user = Credential.objects.get(username="t0-user1")
    services.credential_rotate(request=admin_request, credential=user, password="Now0urs12345")
    assert twilio_setup.passwords[user.remote_sid] == "Now0urs12345"
    with connection.cursor() as cursor:
        cursor.execute("SELECT username FROM sip_auth")
        assert {row[0] for row in cursor.fetchall()} == {"t0-user1"}


def test_the_import_panel_shows_progress_that_survives_a_reload(
    admin_client, connected, twilio_setup
):
    url = f"/o/acme/accounts/{connected.pk}/connection/"
    page = admin_client.post(url, {"import": "1"}, follow=True).content.decode()
    assert "The import starts in the background" in page
    assert "Waiting for the worker" in page and 'hx-trigger="every 2s"' in page
    assert "Importing…</button>" in page  # no second import meanwhile
    again = admin_client.get(url).content.decode()  # a reload: the same state, from the database
    assert "Waiting for the worker" in again
    work()
    progress = admin_client.get(url + "?progress=1", headers={"HX-Request": "true"})
    html = progress.content.decode()
    assert html.lstrip().startswith('<div id="import-progress"')
    assert "<strong>Done</strong>" in html and "every 2s" not in html
    assert "28 SIP users" in html and "3 attachments (1 legacy, counted as calls)" in html
    assert 'value="4"' in html


def test_a_stopped_import_says_why_and_offers_to_resume(admin_client, connected, twilio_setup):
    url = f"/o/acme/accounts/{connected.pk}/connection/"
    twilio_setup.fail_next("GET", "/CredentialLists.json", status=500, code=20500, message="Oops")
    admin_client.post(url, {"import": "1"})
    work()
    page = admin_client.get(url).content.decode()
    assert "<strong>Stopped</strong>" in page
    assert "Twilio refused (error 20500): Oops" in page and "Resume import" in page
    resumed = admin_client.post(url, {"import": "1"}, follow=True).content.decode()
    assert "The import resumes in the background" in resumed
