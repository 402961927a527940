"""The connection check against a table of setups, for calls and registrations separately."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from accounts.models import ProviderAccount
from sip.diagnosis import check_connection
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from tests.conftest import HTMX

PASSWORD = "Desk-Phone-Pass-1234"


@pytest.fixture
def setup(account):
    """Domains hq and branch; lists Phones (desk) and Backup; nothing attached yet."""
    hq = SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    branch = SipDomain.objects.create(account=account, name="Branch", prefix="branch")
    phones = CredentialList.objects.create(account=account, name="Phones")
    backup = CredentialList.objects.create(account=account, name="Backup")
    desk = Credential(credential_list=phones, username="desk")
    desk.set_password(PASSWORD)
    desk.save()
    return {"hq": hq, "branch": branch, "phones": phones, "backup": backup}


def attach(domain, credential_list, *purposes):
    for purpose in purposes:
        CredentialAttachment.objects.create(
            domain=domain, credential_list=credential_list, purpose=purpose
        )


def verdicts(account, username="desk", domain=None, password=""):
    calls, registrations = check_connection(account, username, domain, password)
    return calls, registrations


def verdict_for(account, purpose, domain, password=""):
    (verdict,) = [
        v for v in verdicts(account, domain=domain, password=password) if v.purpose == purpose
    ]
    return verdict


def texts(verdict) -> str:
    return " | ".join(reason.text for reason in verdict.reasons)


def test_can_authenticate_both(account, setup):
    attach(setup["hq"], setup["phones"], Purpose.CALLS, Purpose.REGISTRATIONS)
    calls, registrations = verdicts(account, domain=setup["hq"], password=PASSWORD)
    assert calls.ok and registrations.ok
    assert calls.password_checked and [cl.name for cl in calls.via] == ["Phones"]


def test_domain_without_any_list(account, setup):
    calls, registrations = verdicts(account, domain=setup["hq"])
    for verdict, what in ((calls, "calls"), (registrations, "registrations")):
        assert not verdict.ok
        assert f"has no credential list attached for {what}: it refuses all {what}" in texts(
            verdict
        )
        assert "“Phones”, which is not attached to hq.sip.twilio.com" in texts(verdict)
        assert "(it is attached to no domain for" in texts(verdict)


def test_username_in_no_list(account, setup):
    attach(setup["hq"], setup["phones"], Purpose.CALLS, Purpose.REGISTRATIONS)
    calls, registrations = verdicts(account, username="ghost", domain=setup["hq"])
    for verdict in (calls, registrations):
        assert not verdict.ok
        assert texts(verdict) == (
            "The username “ghost” exists in no credential list of this account."
        )


def test_username_case_hint(account, setup):
    attach(setup["hq"], setup["phones"], Purpose.CALLS)
    calls, _ = verdicts(account, username="DESK", domain=setup["hq"])
    assert "Usernames are case-sensitive: did you mean desk?" in texts(calls)


def test_list_attached_elsewhere_names_the_domains(account, setup):
    attach(setup["branch"], setup["phones"], Purpose.CALLS, Purpose.REGISTRATIONS)
    attach(setup["hq"], setup["backup"], Purpose.CALLS, Purpose.REGISTRATIONS)
    calls, registrations = verdicts(account, domain=setup["hq"])
    for verdict, what in ((calls, "calls"), (registrations, "registrations")):
        assert not verdict.ok
        assert texts(verdict) == (
            "The SIP user is in “Phones”, which is not attached to hq.sip.twilio.com "
            f"(for {what} it is attached to branch.sip.twilio.com)."
        )
        assert verdict.reasons[0].fix_url.endswith(
            f"/attachments/new/?domain={setup['hq'].pk}&credential_list={setup['phones'].pk}"
        )


def test_attached_for_calls_but_not_registrations(account, setup):
    attach(setup["hq"], setup["phones"], Purpose.CALLS)
    attach(setup["hq"], setup["backup"], Purpose.REGISTRATIONS)
    calls, registrations = verdicts(account, domain=setup["hq"])
    assert calls.ok
    assert not registrations.ok
    assert texts(registrations) == (
        "“Phones” is attached to hq.sip.twilio.com for calls but not for registrations."
    )


def test_attached_for_registrations_but_not_calls(account, setup):
    attach(setup["hq"], setup["phones"], Purpose.REGISTRATIONS)
    calls, registrations = verdicts(account, domain=setup["hq"])
    assert registrations.ok and not calls.ok
    assert "has no credential list attached for calls" in texts(calls)
    assert "is attached to hq.sip.twilio.com for registrations but not for calls" in texts(calls)


LIST_PASSWORDS = {"Phones": PASSWORD, "Backup": "Backup-Pass-5555", "Spare": "Spare-Pass-7777"}


@pytest.mark.parametrize("purpose", [Purpose.CALLS, Purpose.REGISTRATIONS])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_username_in_several_attached_lists_authenticates_through_any(
    account, setup, purpose, count
):
    """Twilio: the username and password must be in one of the lists mapped to the domain."""
    lists = [setup["phones"], setup["backup"]]
    lists.append(CredentialList.objects.create(account=account, name="Spare"))
    for credential_list in lists[1:]:
        twin = Credential(credential_list=credential_list, username="desk")
        twin.set_password(LIST_PASSWORDS[credential_list.name])
        twin.save()
    for credential_list in lists[:count]:
        attach(setup["hq"], credential_list, purpose)
    other = Purpose.REGISTRATIONS if purpose == Purpose.CALLS else Purpose.CALLS
    names = sorted(cl.name for cl in lists[:count])

    verdict = verdict_for(account, purpose, setup["hq"])
    assert verdict.ok and not verdict.reasons
    assert [cl.name for cl in verdict.via] == names
    assert not verdict_for(account, other, setup["hq"]).ok

    for name in names:  # each attached list's password is accepted, and named
        checked = verdict_for(account, purpose, setup["hq"], LIST_PASSWORDS[name])
        assert checked.ok and checked.password_checked
        assert [cl.name for cl in checked.password_matches] == [name]
    unattached = [cl.name for cl in lists[count:]]
    for name in unattached:  # a list not attached to the domain does not count
        checked = verdict_for(account, purpose, setup["hq"], LIST_PASSWORDS[name])
        assert not checked.ok and checked.password_matches == []
        assert len(checked.reasons) == count


def test_several_lists_read_as_alternatives(admin_client, account, setup):
    twin = Credential(credential_list=setup["backup"], username="desk")
    twin.set_password("Backup-Pass-5555")
    twin.save()
    attach(setup["hq"], setup["phones"], Purpose.CALLS)
    attach(setup["hq"], setup["backup"], Purpose.CALLS)
    url = f"/o/acme/accounts/{account.pk}/sip-users/check/"
    data = {"username": "desk", "domain": "hq", "password": "Backup-Pass-5555"}
    html = admin_client.post(url, data, headers=HTMX).content.decode()
    assert (
        "Calls: can authenticate</strong> through “Backup” or “Phones”, and the password "
        "matches the one in “Backup”." in html
    )
    assert "the password of any of them is accepted" in html
    html = admin_client.post(url, {**data, "password": "Wrong-Pass-0000"}, headers=HTMX)
    html = html.content.decode()
    assert "Calls: cannot authenticate" in html
    assert "does not match the one stored for “desk” in “Backup”" in html
    assert "does not match the one stored for “desk” in “Phones”" in html


def test_password_mismatch(account, setup):
    attach(setup["hq"], setup["phones"], Purpose.CALLS, Purpose.REGISTRATIONS)
    calls, registrations = verdicts(account, domain=setup["hq"], password="Wrong-Pass-0000")
    for verdict in (calls, registrations):
        assert not verdict.ok
        assert texts(verdict) == (
            "The password typed does not match the one stored for “desk” in “Phones”."
        )
        assert "/password/" in verdict.reasons[0].fix_url


def test_only_this_accounts_objects_count(account, setup, org):
    other = ProviderAccount.objects.create(organization=org, name="Other", provider="telnyx")
    elsewhere = CredentialList.objects.create(account=other, name="Elsewhere")
    Credential.objects.create(
        credential_list=elsewhere, username="ghost", ha1_md5="x", ha1_sha256="y"
    )
    calls, _ = verdicts(account, username="ghost", domain=setup["hq"])
    assert "exists in no credential list of this account" in texts(calls)


def check_url(account) -> str:
    return f"/o/acme/accounts/{account.pk}/sip-users/check/"


def test_check_as_plain_post_and_htmx(admin_client, account, setup):
    attach(setup["hq"], setup["phones"], Purpose.CALLS)
    data = {"username": "desk", "domain": setup["hq"].domain, "password": ""}
    plain = admin_client.post(check_url(account), data)
    assert plain.status_code == 200 and b"<html" in plain.content
    partial = admin_client.post(check_url(account), data, headers=HTMX)
    assert b"<html" not in partial.content
    for response in (plain, partial):
        html = response.content.decode()
        assert "Calls: can authenticate</strong> through “Phones” (password not checked)" in html
        assert "Registrations: cannot authenticate" in html
        assert "no-store" in response["Cache-Control"]


def test_the_answers_form_carries_a_token_the_next_check_is_sent_with(admin_user, account, setup):
    """The HTMX answer is the panel alone (whippy.rows.check_panel): its form's CSRF token,
    the request's own, is one the next check is accepted with, as a form without JavaScript
    sends it; a form served from the cache (the same asked again) carries the answer's own."""
    attach(setup["hq"], setup["phones"], Purpose.CALLS)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    page = client.get(f"/o/acme/accounts/{account.pk}/sip-users/").content.decode()
    data = {"username": "desk", "domain": setup["hq"].domain}
    refused = client.post(check_url(account), data, headers=HTMX)
    assert refused.status_code == 403  # no token: CSRF checks are on
    for _ in range(3):  # the third with the token of an answer whose form was kept
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        answer = client.post(
            check_url(account), {**data, "csrfmiddlewaretoken": token}, headers=HTMX
        )
        page = answer.content.decode()
        assert answer.status_code == 200 and "Calls: can authenticate" in page
        assert page.startswith('<section id="check"') and "<html" not in page


def test_domain_is_typed_as_full_domain_or_prefix(admin_client, account, setup):
    attach(setup["hq"], setup["phones"], Purpose.CALLS)
    for typed in ("hq", "HQ.sip.twilio.com", " hq.sip.twilio.com "):
        html = admin_client.post(check_url(account), {"username": "desk", "domain": typed}).content
        assert "Calls: can authenticate" in html.decode(), typed
    unknown = admin_client.post(check_url(account), {"username": "desk", "domain": "nowhere"})
    assert "This account has no SIP domain “nowhere”." in unknown.content.decode()


def test_check_form_prefills_from_row_link(admin_client, account, setup):
    html = admin_client.get(check_url(account) + "?username=desk").content.decode()
    assert 'name="username" value="desk"' in html


def test_check_invalid_input_is_a_message_not_an_error(admin_client, account, setup, other_org):
    theirs = ProviderAccount.objects.create(organization=other_org, name="T", provider="twilio")
    their_domain = SipDomain.objects.create(account=theirs, name="T", prefix="theirs")
    for data in (
        {"username": "", "domain": setup["hq"].domain},
        {"username": "desk", "domain": their_domain.domain},
        {"username": "desk", "domain": "theirs"},  # their prefix
        {"username": "desk", "domain": "nope"},
        {"username": "desk", "domain": ""},
        {"username": "x" * 100, "domain": setup["hq"].domain},
    ):
        response = admin_client.post(check_url(account), data)
        assert response.status_code == 200
        assert "cannot authenticate" not in response.content.decode()


def test_support_can_check(support_client, account, setup):
    attach(setup["hq"], setup["phones"], Purpose.CALLS)
    response = support_client.post(
        check_url(account), {"username": "desk", "domain": setup["hq"].domain}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Registrations: cannot authenticate" in html
    assert "An admin can fix this" in html
    assert "/attachments/new/" not in html


def test_other_organization_cannot_check(outsider_client, account, setup):
    response = outsider_client.post(
        check_url(account), {"username": "desk", "domain": setup["hq"].domain}
    )
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_typed_password_is_never_kept(admin_client, account, setup, caplog):
    attach(setup["hq"], setup["phones"], Purpose.CALLS)
    caplog.set_level(logging.DEBUG)
    from django.db import connection

    sql: list[str] = []

    def record(execute, statement, params, many, context):
        sql.append(f"{statement} {params!r}")
        return execute(statement, params, many, context)

    typed = "Typed-In-Check-5555"
    with connection.execute_wrapper(record):
        responses = [
            admin_client.post(
                check_url(account),
                {"username": "desk", "domain": setup["hq"].domain, "password": typed},
                headers=headers,
            )
            for headers in ({}, HTMX)
        ]
    for response in responses:
        assert "The password typed does not match" in response.content.decode()
        assert typed not in response.content.decode()
    assert not [s for s in sql if typed in s]
    assert not [r for r in caplog.records if typed in r.getMessage() + repr(r.args)]
    from tests.sip.test_no_plaintext import every_stored_value

    assert not [v for v in every_stored_value() if typed in v]


def test_attached_elsewhere_counts_only_the_same_purpose(account, setup):
    # Phones is attached to branch for registrations only: for calls it is attached nowhere.
    attach(setup["branch"], setup["phones"], Purpose.REGISTRATIONS)
    attach(setup["hq"], setup["backup"], Purpose.CALLS, Purpose.REGISTRATIONS)
    calls, registrations = verdicts(account, domain=setup["hq"])
    assert texts(calls) == (
        "The SIP user is in “Phones”, which is not attached to hq.sip.twilio.com "
        "(it is attached to no domain for calls)."
    )
    assert texts(registrations) == (
        "The SIP user is in “Phones”, which is not attached to hq.sip.twilio.com "
        "(for registrations it is attached to branch.sip.twilio.com)."
    )
