"""An account's setup as CSV and JSON: for admins and support staff, streamed, never a password
or a digest, recorded in Activity."""

from __future__ import annotations

import csv
import io
import json
import zoneinfo
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Activity
from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain

PASSWORD = "Export-Never-Shows-1"


@pytest.fixture
def setup(account, domain, org):
    org.time_zone = "Europe/Paris"
    org.save()
    other = SipDomain.objects.create(account=account, name="Branch", prefix="acme-branch")
    phones = CredentialList.objects.create(account=account, name="Office phones")
    formula = CredentialList.objects.create(account=account, name="=HYPERLINK(1)")
    CredentialList.objects.create(account=account, name="Empty")
    for username in ("zoe", "Adam"):
        credential = Credential(credential_list=phones, username=username)
        credential.set_password(PASSWORD)
        credential.password_changed_at = datetime(
            2026, 7, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo("UTC")
        )
        credential.save()
    Credential.objects.create(credential_list=formula, username="desk", password_known=False)
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.REGISTRATIONS
    )
    CredentialAttachment.objects.create(domain=other, credential_list=phones, purpose=Purpose.CALLS)
    return account


def export(client, account: ProviderAccount, kind: str):
    response = client.get(f"/o/acme/accounts/{account.pk}/export.{kind}")
    assert response.status_code == 200
    assert response.streaming
    name = account.name.lower().replace(" ", "-")
    assert response["Content-Disposition"].startswith(f'attachment; filename="{name}-sip-setup-')
    assert response["Content-Disposition"].endswith(f'.{kind}"')
    return response, b"".join(response.streaming_content).decode()


def no_secrets(text: str) -> None:
    assert PASSWORD not in text
    for ha1_md5, ha1_sha256 in Credential.objects.values_list("ha1_md5", "ha1_sha256"):
        assert not ha1_md5 or ha1_md5 not in text
        assert not ha1_sha256 or ha1_sha256 not in text


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin_client", "support_client"])
def test_csv_export(request, who, setup):
    client = request.getfixturevalue(who)
    version = ProviderAccount.objects.get(pk=setup.pk).setup_version
    response, text = export(client, setup, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [
        {
            "credential_list": "'=HYPERLINK(1)",  # a spreadsheet must not run it
            "username": "desk",
            "registrations_on": "",
            "calls_on": "",
            "password_set_at": "",  # set outside this app
            "sync_state": "",
        },
        {
            "credential_list": "Office phones",
            "username": "Adam",
            "registrations_on": "acme-hq.sip.twilio.com",
            "calls_on": "acme-branch.sip.twilio.com acme-hq.sip.twilio.com",
            "password_set_at": "2026-07-01T12:00:00+02:00",  # the organization's time zone
            "sync_state": "",
        },
        {
            "credential_list": "Office phones",
            "username": "zoe",
            "registrations_on": "acme-hq.sip.twilio.com",
            "calls_on": "acme-branch.sip.twilio.com acme-hq.sip.twilio.com",
            "password_set_at": "2026-07-01T12:00:00+02:00",
            "sync_state": "",
        },
    ]
    no_secrets(text)
    record = Activity.objects.get(action=Activity.Action.EXPORTED)
    assert record.summary == (
        "Exported the setup of “Twilio main” as CSV: 2 SIP domains, 3 credential lists, "
        "3 SIP users and 3 attachments."
    )
    assert record.actor_name == ("alice" if who == "admin_client" else "sam")
    # An export changes nothing: the setup version (and the cached review) stay.
    assert ProviderAccount.objects.get(pk=setup.pk).setup_version == version


@pytest.mark.django_db
def test_json_export(support_client, setup):
    response, text = export(support_client, setup, "json")
    assert response["Content-Type"] == "application/json"
    data = json.loads(text)
    assert data["account"] == "Twilio main" and data["provider"] == "Twilio"
    assert data["exported_at"].endswith("+01:00") or data["exported_at"].endswith("+02:00")
    assert [d["domain"] for d in data["domains"]] == [
        "acme-branch.sip.twilio.com",
        "acme-hq.sip.twilio.com",
    ]
    assert data["domains"][1] == {
        "domain": "acme-hq.sip.twilio.com",
        "name": "Head office",
        "voice_url": "",
        "voice_method": "POST",
        "sip_registration": False,
        "secure": False,
    }
    assert data["credential_lists"] == [
        {"name": "=HYPERLINK(1)", "usernames": ["desk"]},
        {"name": "Empty", "usernames": []},
        {"name": "Office phones", "usernames": ["Adam", "zoe"]},
    ]
    assert data["attachments"] == [
        {
            "domain": "acme-branch.sip.twilio.com",
            "credential_list": "Office phones",
            "purpose": "calls",
        },
        {
            "domain": "acme-hq.sip.twilio.com",
            "credential_list": "Office phones",
            "purpose": "calls",
        },
        {
            "domain": "acme-hq.sip.twilio.com",
            "credential_list": "Office phones",
            "purpose": "registrations",
        },
    ]
    no_secrets(text)
    assert Activity.objects.get(action=Activity.Action.EXPORTED).summary.startswith(
        "Exported the setup of “Twilio main” as JSON:"
    )


@pytest.mark.django_db
def test_exports_of_an_empty_account(admin_client, empty_account):
    _, text = export(admin_client, empty_account, "json")
    assert json.loads(text) == {
        "account": "Telnyx spare",
        "provider": "Telnyx",
        "exported_at": json.loads(text)["exported_at"],
        "domains": [],
        "attachments": [],
        "credential_lists": [],
    }
    _, text = export(admin_client, empty_account, "csv")
    assert text.strip() == (
        "\ufeffcredential_list,username,registrations_on,calls_on,password_set_at,sync_state"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["csv", "json"])
def test_export_queries_do_not_grow_with_the_setup(admin_client, setup, kind):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export(admin_client, setup, kind)
        return len(captured)

    few = queries()
    phones = CredentialList.objects.get(name="Office phones")
    Credential.objects.bulk_create(
        Credential(credential_list=phones, account=setup, username=f"u{n}") for n in range(2500)
    )
    assert queries() == few


@pytest.mark.django_db
def test_another_organizations_export_is_a_404(outsider_client, setup):
    assert outsider_client.get(f"/o/acme/accounts/{setup.pk}/export.csv").status_code == 404
    assert outsider_client.get(f"/o/globex/accounts/{setup.pk}/export.json").status_code == 404
    assert not Activity.objects.filter(action=Activity.Action.EXPORTED).exists()
