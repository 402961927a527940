"""The connection check and the SIP server agree: for random setups (domains, lists, SIP users in
one list or several, attachments for calls, registrations, both or neither), for every username,
domain, purpose and password, the check's verdict is "can authenticate" exactly when Kamailio
answers 200. A disagreement is a bug in one of them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from sip import services
from sip.diagnosis import check_connection
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.sip_client import call
from sip.sip_client import register

pytestmark = [pytest.mark.sip_server, pytest.mark.django_db(transaction=True)]

USERNAMES = ["alice", "bob", "Alice"]
PASSWORDS = ["Pass-One-1234x", "Pass-Two-5678y"]
PURPOSES = st.sampled_from([[], ["calls"], ["registrations"], ["calls", "registrations"]])


setups = st.fixed_dictionaries(
    {
        "domains": st.integers(min_value=1, max_value=3),
        # Each list: its SIP users (username -> which password), then its attachments by domain.
        "lists": st.lists(
            st.tuples(
                # Usernames differing only in case are refused in one list (not across lists).
                st.dictionaries(st.sampled_from(USERNAMES), st.sampled_from(PASSWORDS)).filter(
                    lambda users: len({name.lower() for name in users}) == len(users)
                ),
                st.lists(PURPOSES, min_size=3, max_size=3),
            ),
            min_size=1,
            max_size=3,
        ),
    }
)


def build(request, account, setup: dict) -> list[SipDomain]:
    for credential_list in CredentialList.objects.filter(account=account):
        credential_list.attachments.all().delete()
        credential_list.delete()
    SipDomain.objects.filter(account=account).delete()
    domains = [
        services.domain_create(request=request, account=account, name=f"D{i}", prefix=f"parity-{i}")
        for i in range(setup["domains"])
    ]
    for index, (users, attachments) in enumerate(setup["lists"]):
        made = services.credential_list_create(request=request, account=account, name=f"L{index}")
        for username, password in users.items():
            services.credential_create(
                request=request, credential_list=made, username=username, password=password
            )
        for domain, purposes in zip(domains, attachments, strict=False):
            if purposes:
                services.attachment_create(
                    request=request, domain=domain, credential_list=made, purposes=purposes
                )
    return domains


# alice in two lists with two passwords, one list attached for calls, the other for both; Alice
# (another user, by case) in a list attached nowhere: 200s and 403s of every kind.
KNOWN = {
    "domains": 2,
    "lists": [
        ({"alice": PASSWORDS[0], "bob": PASSWORDS[1]}, [["calls"], [], []]),
        ({"alice": PASSWORDS[1]}, [["calls", "registrations"], ["registrations"], []]),
        ({"Alice": PASSWORDS[0]}, [[], [], []]),
    ],
}


@example(setup=KNOWN)
@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(setup=setups)
def test_the_connection_check_agrees_with_the_sip_server(md5_server, admin_request, account, setup):
    domains = build(admin_request, account, setup)
    disagreements, statuses = [], set()
    for domain in domains:
        for username in USERNAMES:
            for password in PASSWORDS:
                verdicts = {
                    v.purpose: v for v in check_connection(account, username, domain, password)
                }
                for purpose, send in ((Purpose.REGISTRATIONS, register), (Purpose.CALLS, call)):
                    answer = send(
                        md5_server, username=username, password=password, domain=domain.domain
                    )
                    expected = 200 if verdicts[purpose].ok else 403
                    statuses.add(answer.status)
                    if answer.status != expected:
                        disagreements.append((domain.domain, username, password, purpose, answer))
    assert disagreements == []
    if setup == KNOWN:
        assert statuses == {200, 403}, statuses
