"""Bulk work on a connected account reaches Twilio (the fake) first, SIP user by SIP user, with
its rate limit waited out; a refusal skips a row or stops the work, and all or nothing undoes
in Twilio what it made."""

from __future__ import annotations

import httpx
import pytest
from django.db import DatabaseError

from accounts.models import Activity
from sip import services
from sip import twilio_api
from sip.models import Credential
from sip.models import SyncState
from tests.sip.test_bulk_import import confirm
from tests.sip.test_bulk_import import read_download
from tests.sip.test_bulk_import import report_rows
from tests.sip.test_bulk_import import upload
from tests.sip.test_bulk_rotate import rotate
from tests.twilio.test_push import add_list
from tests.twilio.test_push import add_user

pytestmark = pytest.mark.django_db

CREATE = "/Credentials.json"
FILE = "username,password\none,First-Password-1\ntwo,\nthree,\n"


@pytest.fixture
def phones(admin_request, connected):
    return add_list(admin_request, connected, "Office phones")


def in_twilio(fake, phones) -> dict[str, str]:
    """username → password of the list's SIP users in the fake."""
    return {
        c["username"]: fake.passwords[c["sid"]]
        for c in fake.credentials.values()
        if c["credential_list_sid"] == phones.remote_sid
    }


def test_imported_sip_users_are_made_in_twilio_with_their_passwords(
    admin_client, phones, fake_twilio
):
    rows = read_download(confirm(admin_client, phones, upload(admin_client, phones, FILE)))
    downloaded = {row["username"]: row["password"] for row in rows}
    assert in_twilio(fake_twilio, phones) == downloaded
    assert downloaded["one"] == "First-Password-1"
    for credential in phones.credentials.all():
        assert credential.sync_state == SyncState.SYNCED
        assert fake_twilio.credentials[credential.remote_sid]["username"] == credential.username


def test_rate_limit_is_waited_out(admin_client, phones, fake_twilio):
    fake_twilio.fail_next("POST", CREATE, status=429, code=20429, message="slow", retry_after=0)
    fake_twilio.fail_next("POST", CREATE, status=429, code=20429, message="slow", retry_after=0)
    rows = read_download(confirm(admin_client, phones, upload(admin_client, phones, FILE)))
    assert len(rows) == 3 == len(in_twilio(fake_twilio, phones))


@pytest.fixture
def fail_nth(monkeypatch, fake_twilio):
    """fail_nth(method, path_part, n, **how): the nth such request (from now) fails as asked."""

    def arm(method: str, path_part: str, n: int, **how) -> None:
        seen = {"count": 0}

        def handle(request):
            if request.method == method and path_part in request.url.path:
                seen["count"] += 1
                if seen["count"] == n:
                    fake_twilio.fail_next(method, path_part, **how)
            return fake_twilio.handle(request)

        monkeypatch.setattr(twilio_api, "TRANSPORT", httpx.MockTransport(handle))

    return arm


def test_a_refused_row_is_skipped_with_twilios_reason(admin_client, phones, fake_twilio, fail_nth):
    dry_run = upload(admin_client, phones, FILE)
    # Twilio refuses the second SIP user's password (its rules may change).
    fail_nth("POST", CREATE, 2, status=400, code=21243, message="weak")
    rows = read_download(confirm(admin_client, phones, dry_run))
    assert [row["username"] for row in rows] == ["one", "three"]
    assert set(in_twilio(fake_twilio, phones)) == {"one", "three"}
    assert sorted(phones.credentials.values_list("username", flat=True)) == ["one", "three"]
    record = Activity.objects.get(action=Activity.Action.IMPORTED)
    assert record.summary.endswith("; 1 row skipped.")


def test_all_or_nothing_undoes_in_twilio_what_it_made(admin_client, phones, fake_twilio, fail_nth):
    dry_run = upload(admin_client, phones, FILE)
    fail_nth("POST", CREATE, 2, status=400, code=21240, message="taken")
    response = confirm(admin_client, phones, dry_run, "all")
    assert "Nothing was imported: Twilio refused line 3" in response.content.decode()
    assert report_rows(response)[3].startswith("Invalid: Twilio refused this username")
    assert in_twilio(fake_twilio, phones) == {}  # "one" was made, then deleted
    assert not phones.credentials.exists()
    assert not Activity.objects.filter(action=Activity.Action.IMPORTED).exists()


def test_no_answer_stops_the_import_and_keeps_what_was_made(
    admin_client, phones, fake_twilio, fail_nth
):
    dry_run = upload(admin_client, phones, FILE)
    fail_nth("POST", CREATE, 2)  # no answer: a timeout
    rows = read_download(confirm(admin_client, phones, dry_run))
    assert [row["username"] for row in rows] == ["one"]
    assert set(in_twilio(fake_twilio, phones)) == {"one"}
    assert list(phones.credentials.values_list("username", flat=True)) == ["one"]
    record = Activity.objects.get(action=Activity.Action.IMPORTED)
    assert "The import stopped at line 3: Twilio did not answer in time" in record.summary
    assert record.changes["skipped"] == [None, 2]


def test_a_list_not_in_twilio_yet_gets_pending_sip_users(admin_client, connected, fake_twilio):
    from sip.models import CredentialList

    local = CredentialList.objects.create(
        account=connected, name="Not pushed", sync_state=SyncState.PENDING
    )
    read_download(confirm(admin_client, local, upload(admin_client, local, FILE)))
    assert set(local.credentials.values_list("sync_state", flat=True)) == {SyncState.PENDING}
    assert fake_twilio.credentials == {}


def test_a_failure_here_after_twilio_undoes_the_import_there(
    admin_client, phones, fake_twilio, monkeypatch
):
    dry_run = upload(admin_client, phones, FILE)

    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "record", fail)
    with pytest.raises(DatabaseError):
        confirm(admin_client, phones, dry_run)
    assert in_twilio(fake_twilio, phones) == {}
    assert not Credential.objects.exists()


def test_rotating_many_sets_each_password_in_twilio(
    admin_request, admin_client, phones, fake_twilio
):
    for name in ("amy", "bob", "cat"):
        add_user(admin_request, phones, name)
    rows = read_download(rotate(admin_client, phones, ["amy", "bob", "cat"]))
    assert in_twilio(fake_twilio, phones) == {row["username"]: row["password"] for row in rows}


def test_a_rotation_that_stops_keeps_what_twilio_took(
    admin_request, admin_client, phones, fake_twilio, fail_nth
):
    for name in ("amy", "bob", "cat"):
        add_user(admin_request, phones, name, password="Old-Password-123")
    fail_nth("POST", "/Credentials/CR", 2, status=401, code=20003, message="x")
    rows = read_download(rotate(admin_client, phones, ["amy", "bob", "cat"]))
    assert [row["username"] for row in rows] == ["amy"]
    passwords = in_twilio(fake_twilio, phones)
    assert passwords["amy"] == rows[0]["password"]
    assert passwords["bob"] == passwords["cat"] == "Old-Password-123"
    record = Activity.objects.get(action=Activity.Action.PASSWORD_ROTATED)
    assert "2 not rotated. The rotation stopped at “bob”: Twilio refused" in record.summary


def test_a_rotation_refused_from_the_start_changes_and_records_nothing(
    admin_request, admin_client, phones, fake_twilio
):
    add_user(admin_request, phones, "amy", password="Old-Password-123")
    before = Activity.objects.count()
    fake_twilio.fail_next("POST", "/Credentials/CR")  # no answer
    response = rotate(admin_client, phones, ["amy"])
    assert response["Content-Type"].startswith("text/html")
    assert "Twilio did not answer in time" in response.content.decode()
    assert in_twilio(fake_twilio, phones) == {"amy": "Old-Password-123"}
    assert Activity.objects.count() == before
