"""Property-based fuzzing: arbitrary text in every form never gives a 500, and markup comes back
escaped."""

from __future__ import annotations

import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from sip.models import Credential
from sip.models import CredentialList
from tests.conftest import connect_directly

User = get_user_model()

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x hx-get="/evil" hx-trigger="load">',
    "' onmouseover='alert(1)",
    "\u202egnp.exe",
    "\x00",
    "{{ 7*7 }}{% debug %}",
    "x" * 5000,
    "../../etc/passwd",
    "1 OR 1=1; DROP TABLE sip_sipdomain;--",
]
RAW_MARKUP = ["<script>alert(1)</script>", '<img src=x hx-get="/evil"', "onmouseover='alert(1)"]

values = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.sampled_from(PAYLOADS),
    st.builds(lambda a, b: a + b, st.sampled_from(PAYLOADS), st.text(max_size=20)),
)

# Each form's URL (relative to the account) and its fields.
FORMS = {
    "account-create": ("/o/acme/accounts/new/", ["name", "provider"]),
    "account-update": ("/o/acme/accounts/{account}/edit/", ["name"]),
    "domain-create": ("/o/acme/accounts/{account}/domains/new/", ["name", "prefix"]),
    "domain-update": ("/o/acme/accounts/{account}/domains/{domain}/edit/", ["name"]),
    "list-create": ("/o/acme/accounts/{account}/credential-lists/new/", ["name"]),
    "list-update": ("/o/acme/accounts/{account}/credential-lists/{list}/edit/", ["name"]),
    "credential-create": (
        "/o/acme/accounts/{account}/credential-lists/{list}/credentials/new/",
        ["username", "password_choice", "password"],
    ),
    "credential-rotate": (
        "/o/acme/accounts/{account}/credential-lists/{list}/credentials/{credential}/password/",
        ["password_choice", "password"],
    ),
    "attachment-create": (
        "/o/acme/accounts/{account}/attachments/new/",
        ["domain", "credential_list", "authenticates"],
    ),
    "connection-check": (
        "/o/acme/accounts/{account}/sip-users/check/",
        ["username", "domain", "password", "live"],
    ),
    "connection": (
        "/o/acme/accounts/{account}/connection/",
        ["twilio_account_sid", "twilio_key_sid", "twilio_key_secret"],
    ),
    "reconcile": ("/o/acme/accounts/{account}/reconcile/", ["action", "kind", "target", "label"]),
    # The confirmation of an import (the upload itself: test_uploaded_files_never_fail).
    "credential-import": (
        "/o/acme/accounts/{account}/credential-lists/{list}/import/",
        ["token", "mode"],
    ),
    "credential-rotate-many": (
        "/o/acme/accounts/{account}/credential-lists/{list}/rotate/",
        ["credentials", "nonce"],
    ),
    "login": ("/login/", ["username", "password"]),
    "org-security": ("/o/acme/security/", ["two_factor"]),
    "two-factor-verify": ("/login/code/", ["code", "next"]),
    "two-factor-setup": ("/security/two-factor/", ["code", "next"]),
    "two-factor-remove": ("/security/two-factor/remove/", ["password", "code"]),
    "recovery-codes-renew": ("/security/recovery-codes/", ["code"]),
    "reauth": ("/login/again/", ["reauth-password", "reauth-code", "next"]),
}
# The URL name of each fuzzed form: test_every_form_and_table_is_fuzzed compares them with the
# URL conf, so a new form cannot be left out.
URL_NAMES = {
    "account-create": "accounts:account-create",
    "account-update": "accounts:account-update",
    "domain-create": "sip:domain-create",
    "domain-update": "sip:domain-update",
    "list-create": "sip:credentiallist-create",
    "list-update": "sip:credentiallist-update",
    "credential-create": "sip:credential-create",
    "credential-rotate": "sip:credential-rotate",
    "attachment-create": "sip:attachment-create",
    "connection-check": "sip:connection-check",
    "connection": "sip:connection",
    "reconcile": "sip:reconcile",
    "credential-import": "sip:credential-import",
    "credential-rotate-many": "sip:credential-rotate-many",
    "login": "login",
    "org-security": "org-security",
    "two-factor-verify": "two-factor-verify",
    "two-factor-setup": "two-factor-setup",
    "two-factor-remove": "two-factor-remove",
    "recovery-codes-renew": "recovery-codes-renew",
    "reauth": "reauth",
}
SEARCHES = {
    "sip-user-search": ("/o/acme/accounts/{account}/sip-users/", "q"),
    "activity-filter": ("/o/acme/accounts/{account}/activity/", "type"),
    "review-search": ("/o/acme/accounts/{account}/review/", "q"),
    "review-kind": ("/o/acme/accounts/{account}/review/", "kind"),
    "review-page": ("/o/acme/accounts/{account}/review/", "page"),
}
# Every table page, for its numeric page parameter.
TABLES = {
    "org-activity": "/o/acme/activity/",
    "accounts:account-list": "/o/acme/accounts/",
    "sip:domain-list": "/o/acme/accounts/{account}/domains/",
    "sip:credentiallist-list": "/o/acme/accounts/{account}/credential-lists/",
    "sip:credentiallist-detail": "/o/acme/accounts/{account}/credential-lists/{list}/",
    "sip:attachment-list": "/o/acme/accounts/{account}/attachments/",
    "sip:sip-user-list": "/o/acme/accounts/{account}/sip-users/",
    "sip:activity-list": "/o/acme/accounts/{account}/activity/",
}
# Numbers as people and attackers type them: digits of other scripts ("²", "①", "٣") pass
# str.isdigit() but not int().
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=8),
    st.sampled_from(["²", "①", "٣", "0", "-1", "1e3", "99999999999999999999", " 2"]),
    values,
)

# The suite's default is the same examples on every run, so CI is repeatable; set
# HYPOTHESIS_PROFILE=explore to search wider with fresh random examples.
settings.register_profile(
    "default",
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ = settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "default")))


@pytest.fixture
def ids(account, domain):
    phones = CredentialList.objects.create(account=account, name="Phones")
    credential = Credential(credential_list=phones, username="desk")
    credential.set_password("Desk-Phone-Pass-1234")
    credential.save()
    return {
        "account": account.pk,
        "domain": domain.pk,
        "list": phones.pk,
        "credential": credential.pk,
    }


def assert_safe(response, *, throttled: bool = False) -> None:
    # 429 only where a throttle applies (login lockouts); everything else answers normally.
    allowed = (200, 302, 429) if throttled else (200, 302)
    assert response.status_code in allowed, response.status_code
    html = response.content.decode()
    for raw in RAW_MARKUP:
        assert raw not in html


def plausible(ids: dict) -> dict[str, st.SearchStrategy]:
    """Values a form accepts, mixed into the fuzzing so that it reaches the save step too."""
    from sip.models import password_version

    return {
        "name": st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,30}", fullmatch=True),
        "prefix": st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True),
        "username": st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True),
        "password": st.from_regex(r"Aa1[A-Za-z0-9]{9,40}", fullmatch=True),
        "provider": st.sampled_from(["twilio", "telnyx"]),
        "twilio_account_sid": st.from_regex(r"AC[0-9a-f]{32}", fullmatch=True),
        "twilio_key_sid": st.from_regex(r"SK[0-9a-f]{32}", fullmatch=True),
        "action": st.sampled_from(["push", "take", "remote_delete", "import"]),
        "kind": st.sampled_from(["domain", "list", "credential", "attachment"]),
        "target": st.sampled_from([str(ids["domain"]), str(ids["list"]), "SD" + "0" * 32]),
        "password_choice": st.sampled_from(["generate", "type"]),
        "authenticates": st.sampled_from(["both", "calls", "registrations"]),
        "domain": st.sampled_from([str(ids["domain"]), "acme-hq", "acme-hq.sip.twilio.com"]),
        "live": st.sampled_from(["", "on"]),
        "credential_list": st.just(str(ids["list"])),
        "credentials": st.sampled_from([str(ids["credential"]), "0", "-1"]),
        "nonce": st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
        "mode": st.sampled_from(["valid", "all"]),
        # Read when drawn: each successful rotation moves it on.
        "version": st.builds(
            lambda: password_version(Credential.objects.get(pk=ids["credential"]))
        ),
    }


# One submission per form that must succeed: every run reaches the save step at least once.
VALID = {
    "account-create": {"name": "Fuzzed account", "provider": "telnyx"},
    "account-update": {"name": "Renamed by fuzzing"},
    "domain-create": {"name": "Fuzzed", "prefix": "fuzzed-domain"},
    "domain-update": {"name": "Renamed by fuzzing"},
    "list-create": {"name": "Fuzzed list"},
    "list-update": {"name": "Renamed list"},
    "credential-create": {"username": "fuzzed", "password_choice": "generate", "password": ""},
    "credential-rotate": {"password_choice": "generate", "password": ""},
    "attachment-create": {"authenticates": "registrations"},
    "connection-check": {"username": "desk", "domain": "acme-hq", "password": ""},
    "connection": {},  # the fake Twilio's key, known in the test
    "reconcile": {"action": "push", "kind": "domain"},  # the test's domain, pushed
    "credential-import": {"mode": "valid"},  # with the token of a real check of a file
    "credential-rotate-many": {"nonce": "f" * 32},  # the test's SIP user
    "login": {"username": "alice", "password": "a-test-login-password"},
    "org-security": {"two_factor": "optional"},
    "two-factor-verify": {},  # a code of the app set up for the test
    "two-factor-setup": {},  # the code of the key the page shows
    "two-factor-remove": {"password": "a-test-login-password"},
    "recovery-codes-renew": {},
    "reauth": {"reauth-password": "a-test-login-password"},
}
# Forms whose saving is no change to a SIP setup: no Activity record.
NOT_RECORDED = {"login", "org-security", "two-factor-verify", "two-factor-setup"} | {
    "two-factor-remove",
    "recovery-codes-renew",
    "reauth",
}
# Forms of someone with an authenticator app (set up before the fuzzing).
WITH_APP = {"two-factor-verify", "two-factor-remove", "recovery-codes-renew"}
# What a saved submission answers, when not a redirect: the password shown once, or a verdict.
SAVED_STATUS = {
    "credential-create": 200,
    "credential-rotate": 200,
    "connection-check": 200,
    "credential-import": 200,  # the passwords' download
    "credential-rotate-many": 200,
    "two-factor-setup": 200,  # the recovery codes, shown once
    "recovery-codes-renew": 200,
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_forms_never_fail_and_escape_markup(
    form, admin_client, client, ids, settings, monkeypatch, request
):
    from accounts.models import Activity

    # The connection form asks Twilio (the fake) once its values look right; reconcile acts on
    # an account connected to it.
    fake = request.getfixturevalue("fake_twilio") if form in ("connection", "reconcile") else None
    if form == "reconcile":
        connect_directly(ids["account"], fake)
    # Throttles that would stop the fuzzing early are out of the way; login's stays on.
    settings.WRITES_PER_MINUTE = 10_000
    settings.PASSWORD_CHECKS_PER_MINUTE = 10_000
    # A real REGISTER goes to loopback (conftest), where nobody answers: do not wait long.
    monkeypatch.setattr("sip.password_checks.LIVE_TIMEOUT", 0.05)
    url, fields = FORMS[form]
    url = url.format(**ids)
    # The login form only runs for someone not logged in (it redirects everyone else), with
    # login throttling on, as in production.
    poster = client if form == "login" else admin_client
    device = None
    if form in WITH_APP:
        from accounts import two_factor
        from tests.conftest import enrol

        device = enrol(User.objects.get(username="alice"))
        if form == "two-factor-verify":  # signed in with the password, the code asked
            session = poster.session
            session[two_factor.STATE] = two_factor.CODE
            session.save()
    fuzz = plausible(ids)
    strategies = {
        field: st.one_of(fuzz[field], values) if field in fuzz else values for field in fields
    }
    if form == "credential-rotate":
        strategies["version"] = st.one_of(fuzz["version"], values)
    before = Activity.objects.count()

    @FUZZ
    @given(data=st.fixed_dictionaries(strategies))
    def post(data):
        for headers in ({}, {"HX-Request": "true"}):
            response = poster.post(url, data, headers=headers)
            # Password guesses are throttled (django-axes), in the login and when asked again.
            assert_safe(response, throttled=form in ("login", "reauth"))

    post()
    # The known-good submission, last: it must save (or log in, or give a verdict).
    valid = dict(VALID[form])
    if form == "attachment-create":
        fresh = CredentialList.objects.create(account_id=ids["account"], name="Never attached")
        valid |= {"domain": ids["domain"], "credential_list": fresh.pk}
    if form == "reconcile":
        valid["target"] = ids["domain"]
    if form == "connection":
        valid = {
            "twilio_account_sid": fake.account_sid,
            "twilio_key_sid": fake.key_sid,
            "twilio_key_secret": fake.key_secret,
        }
    if form == "credential-import":
        checked = admin_client.post(
            url, {"file": SimpleUploadedFile("a.csv", b"username\nfuzz-ok\n")}
        )
        valid["token"] = re.search(r'name="token" value="([^"]+)"', checked.content.decode())[1]
    if form == "credential-rotate-many":
        valid["credentials"] = ids["credential"]
    if form == "credential-rotate":
        from sip.models import password_version

        valid["version"] = password_version(Credential.objects.get(pk=ids["credential"]))
    if device is not None:
        from tests.conftest import totp_code

        # Past the waits the fuzzed codes cost, and later than any code they may have hit.
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
        valid["code"] = totp_code(device, steps=1)
    if form == "two-factor-setup":
        from binascii import unhexlify

        from django_otp.oath import totp

        from accounts import two_factor

        poster.get(url)
        key = poster.session[two_factor.PENDING_KEY]
        valid["code"] = f"{totp(unhexlify(key)):06d}"
    if form in ("login", "reauth"):
        from axes.models import AccessAttempt

        AccessAttempt.objects.all().delete()  # the fuzzing may have locked alice out
    response = poster.post(url, valid)
    assert response.status_code == SAVED_STATUS.get(form, 302)
    if form in ("credential-import", "credential-rotate-many"):
        assert response["Content-Disposition"].startswith("attachment;")
    if form == "connection-check":
        assert "Can <code>desk</code> connect to <code>acme-hq.sip.twilio.com</code>?" in (
            response.content.decode()
        )
    elif form not in NOT_RECORDED:
        assert Activity.objects.count() > before


csv_like = st.lists(
    st.lists(st.one_of(values, st.sampled_from(["username", "password", ""])), max_size=4),
    max_size=30,
).map(lambda rows: "\n".join(",".join(row) for row in rows))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "latin-1"])
def test_uploaded_files_never_fail(encoding, admin_client, ids, settings):
    """Any bytes, any text as a CSV file: a report or an error beside the field, never a 500."""
    settings.WRITES_PER_MINUTE = 10_000
    url = FORMS["credential-import"][0].format(**ids)
    contents = st.one_of(
        st.binary(max_size=3000),
        csv_like.map(lambda text: ("username,password\n" + text).encode(encoding, "replace")),
        csv_like.map(lambda text: text.encode(encoding, "replace")),
    )

    @FUZZ
    @given(content=contents, name=values)
    def post(content, name):
        upload = SimpleUploadedFile(name[:200] or "x.csv", content)
        response = admin_client.post(url, {"file": upload})
        assert_safe(response)
        assert response.status_code == 200

    post()


@pytest.mark.parametrize("search", sorted(SEARCHES))
def test_query_strings_never_fail(search, admin_client, ids):
    url, parameter = SEARCHES[search]
    url = url.format(**ids)

    @FUZZ
    @given(value=values)
    def get(value):
        assert_safe(admin_client.get(url, {parameter: value}))

    get()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_page_numbers_never_fail(table, admin_client, ids):
    url = TABLES[table].format(**ids)

    @FUZZ
    @given(value=numbers)
    def get(value):
        for headers in ({}, {"HX-Request": "true", "HX-Target": "x"}):
            assert_safe(admin_client.get(url, {"page": value}, headers=headers))

    get()


@pytest.mark.parametrize("length", [150, 151, 256, 1000])
def test_over_long_login_usernames_are_refused_in_the_form(client, db, length):
    response = client.post("/login/", {"username": "u" * length, "password": "x"})
    assert response.status_code == 200
    if length > 150:
        assert "A username has at most 150 characters." in response.content.decode()


def test_every_form_and_table_is_fuzzed():
    from tests.test_authorization_matrix import CHECK
    from tests.test_authorization_matrix import EXPECTATIONS
    from tests.test_authorization_matrix import PERSONAL
    from tests.test_authorization_matrix import WRITE
    from tests.test_query_counts import TABLE_OF

    forms = {n for n, kind in EXPECTATIONS.items() if kind in (WRITE, CHECK) and "delete" not in n}
    assert set(URL_NAMES) == set(FORMS)
    # A person's own forms (sign-in security) besides; their pages without fields aside.
    personal = PERSONAL - {"security", "sign-out-others"}
    assert set(URL_NAMES.values()) == forms | {"login"} | personal
    # Every registered table has its page numbers fuzzed.
    from whippy.registry import TABLES as REGISTERED

    assert set(TABLES) == set(TABLE_OF) == set(REGISTERED)
