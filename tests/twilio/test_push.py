"""Every write on a connected account happens in Twilio first (the fake), then here.

For each: success (both sides agree), each mapped Twilio refusal (its field error, nothing
changed here), a timeout (nothing changed here), and Twilio's success with a failure here
(undone in Twilio, or marked when it cannot be undone).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError

from accounts.models import Activity
from sip import services
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.models import SyncState
from sip.sync import UNREACHABLE
from tests.conftest import connect_through_service

pytestmark = pytest.mark.django_db


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


def break_the_save_here(monkeypatch) -> None:
    """From now on, the save here fails after Twilio accepted: the change's record cannot be
    written (a database error)."""

    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "record", fail)


def add_domain(request, account, prefix="office", **settings) -> SipDomain:
    return services.domain_create(
        request=request, account=account, name=prefix.title(), prefix=prefix, **settings
    )


def add_list(request, account, name="Phones") -> CredentialList:
    return services.credential_list_create(request=request, account=account, name=name)


def add_user(request, credential_list, username="alice", password="Str0ngPassw0rd"):
    return services.credential_create(
        request=request, credential_list=credential_list, username=username, password=password
    )


# SIP domains


def test_a_domain_is_created_in_twilio_then_here(admin_request, connected, fake_twilio):
    domain = add_domain(
        admin_request,
        connected,
        voice_url="https://example.com/voice",
        voice_method="GET",
        secure=True,
    )
    remote = fake_twilio.domains[domain.remote_sid]
    assert remote["domain_name"] == "office.sip.twilio.com" == domain.domain
    assert (remote["friendly_name"], remote["voice_url"], remote["voice_method"]) == (
        "Office",
        "https://example.com/voice",
        "GET",
    )
    assert (remote["secure"], remote["sip_registration"]) == (True, False)
    assert SipDomain.objects.get().sync_state == SyncState.SYNCED


def test_an_account_not_connected_calls_nothing(admin_request, account):
    """The autouse fixture fails the test if anything reaches for Twilio."""
    domain = add_domain(admin_request, account)
    assert (domain.remote_sid, domain.sync_state) == ("", SyncState.LOCAL)


@pytest.mark.parametrize(
    ("code", "field", "words"),
    [(21232, "prefix", "already taken by another Twilio account"), (21230, "__all__", "limit")],
)
def test_a_domain_twilio_refuses_is_a_field_error(
    admin_request, connected, fake_twilio, code, field, words
):
    fake_twilio.fail_next("POST", "/Domains.json", status=400, code=code, message="no")
    with pytest.raises(ValidationError) as refused:
        add_domain(admin_request, connected)
    assert words in " ".join(field_errors(refused.value)[field])
    assert not SipDomain.objects.exists() and fake_twilio.domains == {}


def test_a_domain_taken_in_another_twilio_account(admin_request, connected, fake_twilio):
    fake_twilio.taken_elsewhere.add("office.sip.twilio.com")
    with pytest.raises(ValidationError) as refused:
        add_domain(admin_request, connected)
    assert list(field_errors(refused.value)) == ["prefix"]
    assert not SipDomain.objects.exists()


def test_a_timeout_changes_nothing_here_and_says_so(admin_request, connected, fake_twilio):
    fake_twilio.fail_next("POST", "/Domains.json")
    with pytest.raises(ValidationError) as refused:
        add_domain(admin_request, connected)
    assert refused.value.messages == [UNREACHABLE]
    assert not SipDomain.objects.exists()


def test_a_domain_twilio_created_but_not_saved_here_is_deleted_in_twilio(
    admin_request, connected, fake_twilio, monkeypatch
):
    break_the_save_here(monkeypatch)
    with pytest.raises(DatabaseError):
        add_domain(admin_request, connected)
    assert fake_twilio.domains == {} and not SipDomain.objects.exists()
    assert ("DELETE", "Domains/SD") in [
        (m, p.split("/SIP/")[1][:10]) for m, p in fake_twilio.requests
    ]


def test_when_the_undo_fails_too_the_difference_is_recorded(
    admin_request, connected, fake_twilio, monkeypatch
):
    # The save here fails (a prefix taken meanwhile), and Twilio does not answer the undo.
    SipDomain.objects.bulk_create([SipDomain(account=connected, name="x", prefix="office")])
    SipDomain.objects.filter(prefix="office").update(domain="office.sip.twilio.com")
    fake_twilio.fail_next("DELETE", "/Domains/")
    with pytest.raises(ValidationError):
        add_domain(admin_request, connected)
    assert [d["domain_name"] for d in fake_twilio.domains.values()] == ["office.sip.twilio.com"]
    mark = Activity.objects.get(action=Activity.Action.OUT_OF_SYNC)
    assert mark.summary == (
        "Twilio kept SIP domain office.sip.twilio.com, which could not be saved here."
    )
    assert (mark.object_type, mark.object_id) == ("domain", None)


def test_domain_settings_change_in_twilio_then_here(admin_request, connected, fake_twilio):
    domain = add_domain(admin_request, connected)
    services.domain_update(
        request=admin_request,
        domain=domain,
        name="Main office",
        voice_url="https://example.com/v2",
        voice_method="POST",
        sip_registration=False,
        secure=True,
    )
    remote = fake_twilio.domains[domain.remote_sid]
    assert (remote["friendly_name"], remote["voice_url"], remote["secure"]) == (
        "Main office",
        "https://example.com/v2",
        True,
    )
    record = Activity.objects.filter(object_id=domain.pk).first()
    assert record.summary == (
        "Changed SIP domain office.sip.twilio.com: name, voice URL, secure media."
    )


def test_a_domain_change_not_saved_here_is_undone_in_twilio(
    admin_request, connected, fake_twilio, monkeypatch
):
    domain = add_domain(admin_request, connected)
    break_the_save_here(monkeypatch)
    with pytest.raises(DatabaseError):
        services.domain_rename(request=admin_request, domain=domain, name="Renamed")
    assert fake_twilio.domains[domain.remote_sid]["friendly_name"] == "Office"
    assert SipDomain.objects.get().name == "Office"


def test_a_domain_deleted_in_twilio_but_not_here_is_marked(
    admin_request, connected, fake_twilio, monkeypatch
):
    domain = add_domain(admin_request, connected)
    break_the_save_here(monkeypatch)
    with pytest.raises(DatabaseError):
        services.domain_delete(request=admin_request, domain=domain)
    assert fake_twilio.domains == {}
    kept = SipDomain.objects.get()
    assert kept.sync_state == SyncState.FAILED
    assert kept.sync_error == (
        "Twilio deleted SIP domain office.sip.twilio.com, which is still here."
    )


def test_a_domain_gone_from_twilio_cannot_be_deleted_silently(
    admin_request, connected, fake_twilio
):
    domain = add_domain(admin_request, connected)
    fake_twilio.domains.clear()  # deleted in the Twilio Console
    with pytest.raises(ValidationError) as refused:
        services.domain_delete(request=admin_request, domain=domain)
    assert "Twilio no longer has this object" in refused.value.messages[0]
    assert SipDomain.objects.exists()


# Credential lists


def test_a_list_is_created_renamed_and_deleted_in_twilio(admin_request, connected, fake_twilio):
    phones = add_list(admin_request, connected)
    assert fake_twilio.lists[phones.remote_sid]["friendly_name"] == "Phones"
    services.credential_list_rename(request=admin_request, credential_list=phones, name="Desks")
    assert fake_twilio.lists[phones.remote_sid]["friendly_name"] == "Desks"
    services.credential_list_delete(request=admin_request, credential_list=phones)
    assert fake_twilio.lists == {} and not CredentialList.objects.exists()


def test_a_list_name_twilio_has_is_a_name_error(admin_request, connected, fake_twilio):
    fake_twilio.fail_next("POST", "/CredentialLists.json", status=400, code=21240, message="x")
    with pytest.raises(ValidationError) as refused:
        add_list(admin_request, connected)
    assert field_errors(refused.value) == {
        "name": ["Twilio already has a credential list with this name."]
    }
    assert not CredentialList.objects.exists()


def test_a_list_rename_twilio_refuses_is_a_name_error(admin_request, connected, fake_twilio):
    phones = add_list(admin_request, connected)
    fake_twilio.fail_next("POST", "/CredentialLists/CL", status=400, code=21240, message="x")
    with pytest.raises(ValidationError) as refused:
        services.credential_list_rename(request=admin_request, credential_list=phones, name="Desks")
    assert field_errors(refused.value) == {
        "name": ["Twilio already has a credential list with this name."]
    }
    assert CredentialList.objects.get().name == "Phones"
    assert fake_twilio.lists[phones.remote_sid]["friendly_name"] == "Phones"


def test_a_list_rename_not_saved_here_is_renamed_back(admin_request, connected, fake_twilio):
    phones = add_list(admin_request, connected)
    CredentialList.objects.create(account=connected, name="Desks")  # here only
    with pytest.raises(ValidationError) as refused:
        services.credential_list_rename(request=admin_request, credential_list=phones, name="Desks")
    assert "name" in field_errors(refused.value)
    assert fake_twilio.lists[phones.remote_sid]["friendly_name"] == "Phones"


def test_a_list_create_not_saved_here_is_deleted_in_twilio(admin_request, connected, fake_twilio):
    CredentialList.objects.bulk_create([CredentialList(account=connected, name="Phones")])
    CredentialList.objects.update(name_key="phones")
    with pytest.raises(ValidationError):
        add_list(admin_request, connected)  # Twilio had no "Phones"; the save here fails
    assert fake_twilio.lists == {}


# Credentials


def test_a_sip_user_reaches_twilio_with_its_password_once(admin_request, connected, fake_twilio):
    phones = add_list(admin_request, connected)
    alice = add_user(admin_request, phones)
    assert fake_twilio.passwords[alice.remote_sid] == "Str0ngPassw0rd"
    services.credential_rotate(request=admin_request, credential=alice, password="N3wPassword12")
    assert fake_twilio.passwords[alice.remote_sid] == "N3wPassword12"
    stored = Credential.objects.get()
    assert "N3wPassword12" not in repr(stored.__dict__)
    services.credential_delete(request=admin_request, credential=stored)
    assert fake_twilio.credentials == {} and fake_twilio.passwords == {}


@pytest.mark.parametrize(
    ("code", "field"), [(21240, "username"), (21243, "password")], ids=["username", "password"]
)
def test_a_sip_user_twilio_refuses_is_a_field_error(
    admin_request, connected, fake_twilio, code, field
):
    phones = add_list(admin_request, connected)
    fake_twilio.fail_next("POST", "/Credentials.json", status=400, code=code, message="x")
    with pytest.raises(ValidationError) as refused:
        add_user(admin_request, phones)
    assert list(field_errors(refused.value)) == [field]
    assert not Credential.objects.exists()


def test_a_rotation_twilio_refuses_keeps_the_old_password(admin_request, connected, fake_twilio):
    phones = add_list(admin_request, connected)
    alice = add_user(admin_request, phones)
    digest = Credential.objects.get().ha1_md5
    fake_twilio.fail_next("POST", "/Credentials/CR", status=400, code=21243, message="weak")
    with pytest.raises(ValidationError) as refused:
        services.credential_rotate(
            request=admin_request, credential=alice, password="An0therPassword"
        )
    assert list(field_errors(refused.value)) == ["password"]
    assert Credential.objects.get().ha1_md5 == digest
    assert fake_twilio.passwords[alice.remote_sid] == "Str0ngPassw0rd"


def test_a_rotation_twilio_took_but_not_saved_here_is_marked(
    admin_request, connected, fake_twilio, monkeypatch
):
    phones = add_list(admin_request, connected)
    alice = add_user(admin_request, phones)
    break_the_save_here(monkeypatch)
    with pytest.raises(DatabaseError):
        services.credential_rotate(
            request=admin_request, credential=alice, password="An0therPassword"
        )
    stored = Credential.objects.get()
    assert stored.sync_state == SyncState.FAILED
    assert "rotate it again" in stored.sync_error


# Attachments


def test_attaching_for_registrations_turns_sip_registration_on(
    admin_request, connected, fake_twilio
):
    domain = add_domain(admin_request, connected)
    phones = add_list(admin_request, connected)
    services.attachment_create(
        request=admin_request,
        domain=domain,
        credential_list=phones,
        purposes=[Purpose.CALLS, Purpose.REGISTRATIONS],
    )
    held = fake_twilio.setup()["domains"]["office.sip.twilio.com"]
    assert (held["calls"], held["registrations"], held["sip_registration"]) == (
        ["Phones"],
        ["Phones"],
        True,
    )
    assert SipDomain.objects.get().sip_registration is True
    assert set(CredentialAttachment.objects.values_list("sync_state", flat=True)) == {"synced"}
    registrations = CredentialAttachment.objects.get(purpose=Purpose.REGISTRATIONS)
    services.attachment_delete(request=admin_request, attachment=registrations)
    assert fake_twilio.setup()["domains"]["office.sip.twilio.com"]["registrations"] == []


def test_an_attachment_not_saved_here_is_detached_in_twilio(
    admin_request, connected, fake_twilio, monkeypatch
):
    domain = add_domain(admin_request, connected)
    phones = add_list(admin_request, connected)
    break_the_save_here(monkeypatch)
    with pytest.raises(DatabaseError):
        services.attachment_create(
            request=admin_request,
            domain=domain,
            credential_list=phones,
            purposes=[Purpose.REGISTRATIONS],
        )
    held = fake_twilio.setup()["domains"]["office.sip.twilio.com"]
    assert (held["registrations"], held["sip_registration"]) == ([], False)
    assert not CredentialAttachment.objects.exists()


def test_a_detach_not_saved_here_is_attached_again(
    admin_request, connected, fake_twilio, monkeypatch
):
    domain = add_domain(admin_request, connected)
    phones = add_list(admin_request, connected)
    (calls,), _ = services.attachment_create(
        request=admin_request, domain=domain, credential_list=phones, purposes=[Purpose.CALLS]
    )
    break_the_save_here(monkeypatch)
    with pytest.raises(DatabaseError):
        services.attachment_delete(request=admin_request, attachment=calls)
    assert fake_twilio.setup()["domains"]["office.sip.twilio.com"]["calls"] == ["Phones"]
    assert CredentialAttachment.objects.exists()


def test_a_detach_twilio_refuses_changes_nothing(admin_request, connected, fake_twilio):
    domain = add_domain(admin_request, connected)
    phones = add_list(admin_request, connected)
    (calls,), _ = services.attachment_create(
        request=admin_request, domain=domain, credential_list=phones, purposes=[Purpose.CALLS]
    )
    fake_twilio.fail_next("DELETE", "/CredentialListMappings/", status=429, code=20429)
    with pytest.raises(ValidationError) as refused:
        services.attachment_delete(request=admin_request, attachment=calls)
    assert "too many requests" in refused.value.messages[0]
    assert CredentialAttachment.objects.exists()


# Rows from before the connection


def test_rows_made_before_connecting_wait_and_are_not_pushed_by_accident(
    admin_request, account, fake_twilio
):
    domain = add_domain(admin_request, account)
    phones = add_list(admin_request, account)
    connect_through_service(admin_request, account, fake_twilio)
    assert set(SipDomain.objects.values_list("sync_state", flat=True)) == {"pending"}
    # A SIP user of a list Twilio does not have yet waits with it.
    alice = add_user(admin_request, phones)
    assert (alice.sync_state, alice.remote_sid) == (SyncState.PENDING, "")
    services.domain_rename(request=admin_request, domain=domain, name="Renamed")
    assert fake_twilio.domains == {} and fake_twilio.credentials == {}


def every_write(request, account):
    """Each write on a connected account, as (name, method and path fragment of its Twilio
    call, the call, what must be unchanged here after a failure)."""
    domain = add_domain(request, account, prefix="every")
    phones = add_list(request, account, name="Every")
    alice = add_user(request, phones)
    (calls,), _ = services.attachment_create(
        request=request, domain=domain, credential_list=phones, purposes=[Purpose.CALLS]
    )

    def state():
        return (
            list(SipDomain.objects.values_list("name", "prefix", "voice_url", "secure")),
            list(CredentialList.objects.values_list("name", flat=True)),
            list(Credential.objects.values_list("username", "ha1_md5")),
            list(CredentialAttachment.objects.values_list("purpose", flat=True)),
        )

    return state, [
        ("domain create", "POST", "/Domains.json", lambda: add_domain(request, account, "new")),
        (
            "domain update",
            "POST",
            "/Domains/SD",
            lambda: services.domain_update(request=request, domain=domain, secure=True),
        ),
        (
            "domain delete",
            "DELETE",
            "/Domains/SD",
            lambda: services.domain_delete(request=request, domain=domain),
        ),
        ("list create", "POST", "/CredentialLists.json", lambda: add_list(request, account, "N")),
        (
            "list rename",
            "POST",
            "/CredentialLists/CL",
            lambda: services.credential_list_rename(
                request=request, credential_list=phones, name="Renamed"
            ),
        ),
        (
            "credential create",
            "POST",
            "/Credentials.json",
            lambda: add_user(request, phones, "bob"),
        ),
        (
            "credential rotate",
            "POST",
            "/Credentials/CR",
            lambda: services.credential_rotate(
                request=request, credential=alice, password="An0therPassword"
            ),
        ),
        (
            "credential delete",
            "DELETE",
            "/Credentials/CR",
            lambda: services.credential_delete(request=request, credential=alice),
        ),
        (
            "attach",
            "POST",
            "/Auth/Registrations/CredentialListMappings.json",
            lambda: services.attachment_create(
                request=request,
                domain=domain,
                credential_list=phones,
                purposes=[Purpose.REGISTRATIONS],
            ),
        ),
        (
            "detach",
            "DELETE",
            "/CredentialListMappings/CL",
            lambda: services.attachment_delete(request=request, attachment=calls),
        ),
    ]


WRITES = [
    "domain create",
    "domain update",
    "domain delete",
    "list create",
    "list rename",
    "credential create",
    "credential rotate",
    "credential delete",
    "attach",
    "detach",
]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("failure", ["timeout", "rate limit"])
def test_every_write_changes_nothing_here_when_twilio_fails(
    admin_request, connected, fake_twilio, write, failure
):
    state, writes = every_write(admin_request, connected)
    _name, method, fragment, call = next(w for w in writes if w[0] == write)
    before = state()
    how = {} if failure == "timeout" else {"status": 429, "code": 20429, "retry_after": 30}
    fake_twilio.fail_next(method, fragment, **how)
    with pytest.raises(ValidationError) as refused:
        call()
    expected = UNREACHABLE if failure == "timeout" else "Try again in 30 seconds."
    assert expected in refused.value.messages[0]
    assert fake_twilio.injected == []  # the failure was met: the call was made
    assert state() == before
