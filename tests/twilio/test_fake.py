"""The client (sip/twilio_api.py) against the fake Twilio, and the fake against the spec."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from sip.twilio_api import Connection
from sip.twilio_api import MappingKind
from sip.twilio_api import Twilio
from sip.twilio_api import TwilioError
from sip.twilio_api import TwilioUnreachable
from tests.twilio.fake import SPEC

SOURCE = json.loads((Path(SPEC).parent / "SOURCE.json").read_text())


@pytest.fixture
def api(fake_twilio, settings) -> Twilio:
    settings.TWILIO_API_URL = "https://api.twilio.com"
    naps: list[float] = []
    client = Twilio(
        Connection(fake_twilio.account_sid, fake_twilio.key_sid, fake_twilio.key_secret),
        sleep=naps.append,
    )
    client.naps = naps
    return client


def everything(pages) -> list[dict]:
    return [item for items, _next in pages for item in items]


def test_the_vendored_spec_is_the_one_its_source_names():
    assert hashlib.sha256(Path(SPEC).read_bytes()).hexdigest() == SOURCE["subset_sha256"]
    assert SOURCE["sha256"].startswith("475b6955") and SOURCE["sha256"].endswith("bf052")
    paths = json.loads(Path(SPEC).read_text())["paths"]
    used = [path for path, item in paths.items() if {"get", "post", "delete"} & set(item)]
    # Domains, lists and credentials (each a list and an instance), and the three kinds of
    # mappings (likewise).
    assert len(used) == 12


def test_a_whole_setup_round_trips(api, fake_twilio):
    domain = api.create_domain("office.sip.twilio.com", FriendlyName="Office")
    phones = api.create_credential_list("Phones")
    user = api.create_credential(phones["sid"], "alice", "Str0ngPassw0rd")
    api.map_list(domain["sid"], MappingKind.REGISTRATIONS, phones["sid"])
    api.update_domain(domain["sid"], SipRegistration="true")
    assert "password" not in json.dumps(user).lower()
    assert fake_twilio.passwords[user["sid"]] == "Str0ngPassw0rd"
    assert fake_twilio.setup()["domains"]["office.sip.twilio.com"]["registrations"] == ["Phones"]
    assert fake_twilio.setup()["domains"]["office.sip.twilio.com"]["sip_registration"] is True
    api.unmap_list(domain["sid"], MappingKind.REGISTRATIONS, phones["sid"])
    api.delete_credential(phones["sid"], user["sid"])
    api.delete_credential_list(phones["sid"])
    api.delete_domain(domain["sid"])
    assert fake_twilio.setup() == {"domains": {}, "lists": {}}


def test_list_reads_follow_next_page_uri_across_pages(api, fake_twilio, monkeypatch):
    from sip import twilio_api

    monkeypatch.setattr(twilio_api, "PAGE_SIZE", 3)
    phones = api.create_credential_list("Phones")
    for n in range(8):
        api.create_credential(phones["sid"], f"user{n}", "Str0ngPassw0rd")
    pages = list(api.credentials(phones["sid"]))
    assert [len(items) for items, _ in pages] == [3, 3, 2]
    assert pages[0][1].startswith("/2010-04-01/") and pages[-1][1] is None
    assert sorted(c["username"] for c in everything(pages)) == [f"user{n}" for n in range(8)]


def test_a_rate_limited_read_waits_as_retry_after_says(api, fake_twilio):
    api.create_domain("a.sip.twilio.com")
    fake_twilio.fail_next("GET", "/Domains.json", status=429, code=20429, retry_after=7)
    assert [d["domain_name"] for d in everything(api.domains())] == ["a.sip.twilio.com"]
    assert api.naps == [7.0]


def test_a_rate_limited_write_is_a_refusal_with_its_wait(api, fake_twilio):
    fake_twilio.fail_next("POST", "/CredentialLists.json", status=429, code=20429, retry_after=3)
    with pytest.raises(TwilioError) as refused:
        api.create_credential_list("Phones")
    assert (refused.value.code, refused.value.retry_after) == (20429, 3.0)
    assert fake_twilio.lists == {}


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda api: api.create_domain("bad_label.sip.twilio.com"), 21232),
        (lambda api: api.create_domain("office.example.com"), 21232),
        (lambda api: api.create_credential("CL" + "0" * 32, "alice", "Str0ngPassw0rd"), 20404),
        (lambda api: api.delete_domain("SD" + "0" * 32), 20404),
    ],
)
def test_documented_errors_come_with_their_codes(api, call, code):
    with pytest.raises(TwilioError) as refused:
        call(api)
    assert refused.value.code == code


def test_weak_password_and_taken_names_are_refused(api, fake_twilio):
    phones = api.create_credential_list("Phones")
    with pytest.raises(TwilioError) as duplicate:
        api.create_credential_list("Phones")
    with pytest.raises(TwilioError) as weak:
        api.create_credential(phones["sid"], "alice", "short")
    fake_twilio.taken_elsewhere.add("taken.sip.twilio.com")
    with pytest.raises(TwilioError) as taken:
        api.create_domain("taken.sip.twilio.com")
    assert (duplicate.value.code, weak.value.code, taken.value.code) == (21240, 21243, 21232)


def test_a_wrong_key_is_error_20003(api, fake_twilio):
    api.http.auth = httpx.BasicAuth(fake_twilio.key_sid, "wrong")
    with pytest.raises(TwilioError) as refused:
        api.check()
    assert (refused.value.status, refused.value.code) == (401, 20003)


def test_a_timeout_is_unreachable(api, fake_twilio):
    fake_twilio.fail_next("POST", "/Domains.json")
    with pytest.raises(TwilioUnreachable):
        api.create_domain("office.sip.twilio.com")
    assert fake_twilio.domains == {}


def test_the_fake_refuses_a_request_the_spec_does_not_allow(api, fake_twilio):
    """A create without its required field is caught by the spec, not by the fake's code."""
    with pytest.raises(AssertionError, match="request against the spec"):
        api.call("POST", f"{api.root}/CredentialLists.json", {"Name": "no FriendlyName"})


def test_the_fake_checks_its_own_answers_against_the_spec(api, fake_twilio):
    phones = api.create_credential_list("Phones")
    fake_twilio.lists[phones["sid"]]["date_created"] = 12  # not a string: the spec says so
    with pytest.raises(AssertionError, match="answer against the spec"):
        api.call("GET", f"{api.root}/CredentialLists/{phones['sid']}.json")


def test_the_fake_never_answers_with_an_undeclared_property(api, fake_twilio):
    phones = api.create_credential_list("Phones")
    user = api.create_credential(phones["sid"], "alice", "Str0ngPassw0rd")
    fake_twilio.credentials[user["sid"]]["password"] = "leak"
    with pytest.raises(AssertionError, match="undeclared properties"):
        api.call("GET", f"{api.root}/CredentialLists/{phones['sid']}/Credentials.json")


def test_the_fake_over_real_http(fake_twilio, settings, monkeypatch):
    from sip import twilio_api

    url, stop = fake_twilio.serve()
    try:
        monkeypatch.setattr(twilio_api, "TRANSPORT", None)
        settings.TWILIO_API_URL = url
        api = Twilio(
            Connection(fake_twilio.account_sid, fake_twilio.key_sid, fake_twilio.key_secret)
        )
        api.create_credential_list("Over HTTP")
        assert [item["friendly_name"] for item in everything(api.credential_lists())] == [
            "Over HTTP"
        ]
    finally:
        stop()
