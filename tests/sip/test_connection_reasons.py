"""Every reason of the connection check, whole: its sentence, its fix link and the link's label."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ProviderAccount
from sip.diagnosis import check_connection
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain

PASSWORD = "Desk-Phone-Pass-1234"


@pytest.fixture
def hq(account):
    return SipDomain.objects.create(account=account, name="HQ", prefix="hq")


def user(credential_list, username="desk", password=PASSWORD) -> Credential:
    credential = Credential(credential_list=credential_list, username=username)
    credential.set_password(password)
    credential.save()
    return credential


def attach(domain, credential_list, *purposes):
    for purpose in purposes:
        CredentialAttachment.objects.create(
            domain=domain, credential_list=credential_list, purpose=purpose
        )


def reasons(account, domain, username="desk", password=""):
    calls, registrations = check_connection(account, username, domain, password)
    return [
        [(r.text, r.fix_url, r.fix_label) for r in verdict.reasons]
        for verdict in (calls, registrations)
    ]


def base(account) -> str:
    return f"/o/acme/accounts/{account.pk}/"


def test_no_list_on_the_domain_and_no_such_user(account, hq):
    calls, registrations = reasons(account, hq, username="ghost")
    attach_url = f"{base(account)}attachments/new/?domain={hq.pk}"
    assert calls == [
        (
            "hq.sip.twilio.com has no credential list attached for calls: it refuses all calls.",
            attach_url,
            "Attach a credential list for calls",
        ),
        (
            "The username “ghost” exists in no credential list of this account.",
            f"{base(account)}credential-lists/",
            "Add the SIP user to a credential list",
        ),
    ]
    assert registrations[0][2] == "Attach a credential list for registrations"


def test_case_hints_list_three_names_of_this_account_only(account, org, hq):
    lists = [CredentialList.objects.create(account=account, name=f"L{i}") for i in range(4)]
    for credential_list, name in zip(lists, ["DESK", "Desk", "dEsk", "deSK"], strict=True):
        user(credential_list, name)
    other = ProviderAccount.objects.create(organization=org, name="Other", provider="telnyx")
    user(CredentialList.objects.create(account=other, name="Theirs"), "DEsk")
    calls, _ = reasons(account, hq, username="desk")
    assert calls[1][0] == (
        "The username “desk” exists in no credential list of this account. "
        "Usernames are case-sensitive: did you mean DESK, Desk, dEsk?"
    )


def test_not_attached_here_names_every_other_domain_and_links_the_fix(account, hq):
    phones = CredentialList.objects.create(account=account, name="Phones")
    user(phones)
    for prefix in ("branch", "annex"):
        attach(
            SipDomain.objects.create(account=account, name=prefix, prefix=prefix),
            phones,
            Purpose.CALLS,
        )
    attach(hq, phones, Purpose.REGISTRATIONS)
    calls, registrations = reasons(account, hq)
    fix = f"{base(account)}attachments/new/?domain={hq.pk}&credential_list={phones.pk}"
    assert calls[-1] == (
        "“Phones” is attached to hq.sip.twilio.com for registrations but not for calls.",
        fix,
        "Attach “Phones” for calls",
    )
    assert registrations == []
    CredentialAttachment.objects.filter(domain=hq).delete()
    calls, registrations = reasons(account, hq)
    assert calls[-1] == (
        "The SIP user is in “Phones”, which is not attached to hq.sip.twilio.com "
        "(for calls it is attached to annex.sip.twilio.com, branch.sip.twilio.com).",
        fix,
        "Attach “Phones” to hq.sip.twilio.com",
    )
    assert registrations[-1][0].endswith("(it is attached to no domain for registrations).")


def test_a_wrong_password_links_each_list_to_its_rotate(account, hq):
    lists = [CredentialList.objects.create(account=account, name=n) for n in ("A", "B")]
    credentials = [user(cl) for cl in lists]
    for credential_list in lists:
        attach(hq, credential_list, Purpose.CALLS, Purpose.REGISTRATIONS)
    calls, _ = reasons(account, hq, password="Wrong-Pass-0000")
    assert calls == [
        (
            f"The password typed does not match the one stored for “desk” in “{cl.name}”.",
            f"{base(account)}credential-lists/{cl.pk}/credentials/{credential.pk}/password/",
            "Rotate the password",
        )
        for cl, credential in zip(lists, credentials, strict=True)
    ]


@pytest.mark.parametrize(
    ("count", "via", "matches"),
    [
        (1, "“L0”", "“L0”"),
        (2, "“L0” or “L1”", "“L0” and “L1”"),
        (3, "“L0”, “L1” or “L2”", "“L0”, “L1” and “L2”"),
    ],
)
def test_lists_are_named_as_alternatives(account, hq, count, via, matches):
    for i in range(count):
        credential_list = CredentialList.objects.create(account=account, name=f"L{i}")
        user(credential_list)
        attach(hq, credential_list, Purpose.CALLS)
    calls, _ = check_connection(account, "desk", hq, PASSWORD)
    assert (calls.via_names, calls.match_names) == (via, matches)


def test_the_check_runs_a_fixed_number_of_queries(account, hq):
    """Whatever the reasons: the domains named come with the attachments, not one by one."""
    phones = CredentialList.objects.create(account=account, name="Phones")
    user(phones)
    for i in range(5):
        domain = SipDomain.objects.create(account=account, name=f"D{i}", prefix=f"d{i}")
        attach(domain, phones, Purpose.CALLS, Purpose.REGISTRATIONS)
    with CaptureQueriesContext(connection) as captured:
        calls, registrations = check_connection(account, "desk", hq, PASSWORD)
        texts = [r.text for v in (calls, registrations) for r in v.reasons]
    assert "d4.sip.twilio.com" in " ".join(texts)
    # The user's credentials with their lists, then the attachments with domains and lists.
    assert len(captured.captured_queries) == 2
