"""Reconcile: what differs between here and Twilio, and an action for each difference."""

from __future__ import annotations

import pytest

from accounts.models import Activity
from sip import services
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.models import SyncState
from sip.reconcile import DIFFERENT
from sip.reconcile import ONLY_HERE
from sip.reconcile import ONLY_TWILIO
from sip.reconcile import differences

pytestmark = pytest.mark.django_db


def url(account) -> str:
    return f"/o/acme/accounts/{account.pk}/reconcile/"


@pytest.fixture
def setup(admin_request, connected, fake_twilio):
    """A domain and a list made here (so in Twilio too), then changed on either side."""
    office = services.domain_create(
        request=admin_request, account=connected, name="Office", prefix="office"
    )
    phones = services.credential_list_create(
        request=admin_request, account=connected, name="Phones"
    )
    return office, phones


def found(account) -> set[tuple[str, str, str]]:
    return {(d.where, d.kind, d.label) for d in differences(account)}


def test_an_account_in_step_with_twilio_has_no_differences(admin_client, connected, setup):
    assert differences(connected) == []
    page = admin_client.get(url(connected)).content.decode()
    assert "No Differences Found" in page


def test_each_kind_of_difference_is_found(admin_request, connected, fake_twilio, setup):
    office, phones = setup
    fake_twilio.domains[office.remote_sid]["friendly_name"] = "Renamed in the Console"
    fake_twilio.domains[office.remote_sid]["secure"] = True
    extra = next(iter(fake_twilio.domains.values())).copy()
    fake_twilio.domains["SD" + "1" * 32] = {
        **extra,
        "sid": "SD" + "1" * 32,
        "domain_name": "console.sip.twilio.com",
    }
    del fake_twilio.lists[phones.remote_sid]
    SipDomain.objects.create(account=connected, name="Lab", prefix="lab", sync_state="pending")
    assert found(connected) == {
        (DIFFERENT, "domain", "office.sip.twilio.com"),
        (ONLY_TWILIO, "domain", "console.sip.twilio.com"),
        (ONLY_HERE, "list", "Phones"),
        (ONLY_HERE, "domain", "lab.sip.twilio.com"),
    }
    detail = next(d.detail for d in differences(connected) if d.where == DIFFERENT)
    assert detail == (
        "name: here “Office”, in Twilio “Renamed in the Console”; "
        "secure media: here “off”, in Twilio “on”"
    )


def test_push_take_and_delete_in_twilio(admin_client, connected, fake_twilio, setup):
    office, phones = setup
    fake_twilio.domains[office.remote_sid]["friendly_name"] = "Console name"
    fake_twilio.lists[phones.remote_sid]["friendly_name"] = "Console phones"
    lab = SipDomain.objects.create(
        account=connected, name="Lab", prefix="lab", sync_state="pending"
    )
    fake_twilio.domains["SD" + "2" * 32] = {
        **fake_twilio.domains[office.remote_sid],
        "sid": "SD" + "2" * 32,
        "domain_name": "stray.sip.twilio.com",
    }
    page = admin_client.get(url(connected)).content.decode()
    assert "4 differences" in page
    # Push the lab domain, use Twilio's name for the office, ours for the list, delete the stray.
    for action, kind, target in (
        ("push", "domain", lab.pk),
        ("take", "domain", office.pk),
        ("push", "list", phones.pk),
        ("remote_delete", "domain", "SD" + "2" * 32),
    ):
        response = admin_client.post(
            url(connected),
            {"action": action, "kind": kind, "target": target, "label": "x"},
            follow=True,
        )
        assert "message-error" not in response.content.decode(), (action, kind)
    assert differences(connected) == []
    assert SipDomain.objects.get(pk=office.pk).name == "Console name"
    assert fake_twilio.lists[phones.remote_sid]["friendly_name"] == "Phones"
    lab.refresh_from_db()
    assert lab.sync_state == SyncState.SYNCED and lab.remote_sid in fake_twilio.domains
    assert Activity.objects.filter(action=Activity.Action.PUSHED).count() == 2


def test_a_domain_deleted_in_the_console_is_pushed_again(
    admin_request, connected, fake_twilio, setup
):
    office, _ = setup
    fake_twilio.domains.clear()
    services.row_push(request=admin_request, row=SipDomain.objects.get(pk=office.pk))
    (item,) = fake_twilio.domains.values()
    assert item["domain_name"] == "office.sip.twilio.com"
    assert SipDomain.objects.get().remote_sid == item["sid"]


def test_a_pending_attachment_is_pushed_once_both_sides_are_in_twilio(
    admin_request, connected, fake_twilio, setup
):
    office, phones = setup
    attachment = CredentialAttachment.objects.create(
        domain=office, credential_list=phones, purpose=Purpose.CALLS, sync_state="pending"
    )
    services.row_push(request=admin_request, row=attachment)
    assert fake_twilio.setup()["domains"]["office.sip.twilio.com"]["calls"] == ["Phones"]
    assert CredentialAttachment.objects.get().sync_state == SyncState.SYNCED


def test_a_pending_sip_user_is_pushed_by_rotating_its_password(
    admin_request, admin_client, connected, fake_twilio, setup
):
    _, phones = setup
    user = Credential(credential_list=phones, username="late", sync_state="pending")
    user.set_password("0ldPassword12")
    user.save()
    response = admin_client.post(
        url(connected), {"action": "push", "kind": "credential", "target": user.pk}, follow=True
    )
    assert "rotate the password to push it" in response.content.decode()
    services.credential_rotate(request=admin_request, credential=user, password="N3wPassword12")
    user.refresh_from_db()
    assert user.sync_state == SyncState.SYNCED
    assert fake_twilio.passwords[user.remote_sid] == "N3wPassword12"


def test_the_retry_of_a_row_is_a_button_on_its_tab(admin_client, connected, fake_twilio, setup):
    office, _ = setup
    SipDomain.objects.filter(pk=office.pk).update(sync_state="failed", sync_error="Twilio lost it.")
    fake_twilio.domains.clear()
    tab = admin_client.get(f"/o/acme/accounts/{connected.pk}/domains/").content.decode()
    assert "Out of sync</span>" in tab and "Twilio lost it." in tab
    assert 'aria-label="Retry: push office.sip.twilio.com to Twilio"' in tab
    admin_client.post(url(connected), {"action": "push", "kind": "domain", "target": office.pk})
    assert SipDomain.objects.get().sync_state == SyncState.SYNCED and fake_twilio.domains


def test_another_accounts_row_is_a_404(admin_client, connected, fake_twilio, empty_account):
    theirs = CredentialList.objects.create(account=empty_account, name="Theirs")
    response = admin_client.post(
        url(connected), {"action": "push", "kind": "list", "target": theirs.pk}
    )
    assert response.status_code == 404


def test_twilio_unreachable_is_said_on_the_page(admin_client, connected, fake_twilio):
    fake_twilio.fail_next("GET", "/Domains.json")
    page = admin_client.get(url(connected)).content.decode()
    assert "Twilio did not answer in time" in page
