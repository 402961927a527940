from __future__ import annotations

import re

import pytest

from accounts.models import Activity
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from tests.conftest import HTMX
from tests.conftest import rotation


def summaries() -> list[tuple[str, str, str, str]]:
    return [
        (r.actor_name, r.object_type, r.action, r.summary)
        for r in Activity.objects.order_by("created_at", "id")
    ]


def test_every_kind_of_change_writes_one_record(admin_client, account):
    base = f"/o/acme/accounts/{account.pk}"
    admin_client.post(f"{base}/domains/new/", {"name": "HQ", "prefix": "hq"})
    domain = account.sip_domains.get()
    admin_client.post(f"{base}/domains/{domain.pk}/edit/", {"name": "Head office"})
    admin_client.post(f"{base}/credential-lists/new/", {"name": "Phones"})
    phones = CredentialList.objects.get()
    admin_client.post(f"{base}/credential-lists/{phones.pk}/edit/", {"name": "Desk phones"})
    created = admin_client.post(
        f"{base}/credential-lists/{phones.pk}/credentials/new/",
        {"username": "desk", "password_choice": "generate"},
    )
    password = re.search(r'id="secret-value">([^<]+)<', created.content.decode()).group(1)
    desk = Credential.objects.get()
    admin_client.post(
        f"{base}/credential-lists/{phones.pk}/credentials/{desk.pk}/password/",
        rotation(desk.pk, password_choice="generate"),
    )
    admin_client.post(
        f"{base}/attachments/new/",
        {"domain": domain.pk, "credential_list": phones.pk, "authenticates": "calls"},
    )
    attachment = CredentialAttachment.objects.get()
    admin_client.post(f"{base}/attachments/{attachment.pk}/delete/")
    admin_client.post(f"{base}/credential-lists/{phones.pk}/credentials/{desk.pk}/delete/")
    admin_client.post(f"{base}/credential-lists/{phones.pk}/delete/")
    admin_client.post(f"{base}/domains/{domain.pk}/delete/")
    admin_client.post(f"/o/acme/accounts/{account.pk}/delete/")

    assert summaries() == [
        ("alice", "domain", "created", "Added SIP domain hq.sip.twilio.com (“HQ”)."),
        (
            "alice",
            "domain",
            "renamed",
            "Renamed SIP domain hq.sip.twilio.com from “HQ” to “Head office”.",
        ),
        ("alice", "credential_list", "created", "Added credential list “Phones”."),
        (
            "alice",
            "credential_list",
            "renamed",
            "Renamed credential list “Phones” to “Desk phones”.",
        ),
        ("alice", "credential", "created", "Added SIP user “desk” to “Desk phones”."),
        (
            "alice",
            "credential",
            "password_rotated",
            "Rotated the password of SIP user “desk” in “Desk phones”.",
        ),
        (
            "alice",
            "attachment",
            "attached",
            "Attached “Desk phones” to hq.sip.twilio.com for calls.",
        ),
        (
            "alice",
            "attachment",
            "detached",
            "Detached “Desk phones” from hq.sip.twilio.com for calls.",
        ),
        ("alice", "credential", "deleted", "Deleted SIP user “desk” from “Desk phones”."),
        (
            "alice",
            "credential_list",
            "deleted",
            "Deleted credential list “Desk phones” and its 0 credentials.",
        ),
        ("alice", "domain", "deleted", "Deleted SIP domain hq.sip.twilio.com (“Head office”)."),
        ("alice", "account", "deleted", "Deleted account “Twilio main”."),
    ]
    # Every record holds the values it changed, [before, after]: None where there was nothing.
    changes = [r.changes for r in Activity.objects.order_by("created_at", "id")]
    rotated = changes.pop(5)
    before, after = rotated.pop("password_changed_at")
    assert rotated == {} and before < after  # when, never what
    list_and_domain = {"credential_list": "Desk phones", "domain": "hq.sip.twilio.com"}
    assert changes == [
        {"name": [None, "HQ"], "domain": [None, "hq.sip.twilio.com"]},
        {"name": ["HQ", "Head office"]},
        {"name": [None, "Phones"]},
        {"name": ["Phones", "Desk phones"]},
        {"username": [None, "desk"], "credential_list": [None, "Desk phones"]},
        {key: [None, value] for key, value in {**list_and_domain, "purpose": "calls"}.items()},
        {key: [value, None] for key, value in {**list_and_domain, "purpose": "calls"}.items()},
        {"username": ["desk", None], "credential_list": ["Desk phones", None]},
        {"name": ["Desk phones", None], "credentials": [0, None]},
        {"name": ["Head office", None], "domain": ["hq.sip.twilio.com", None]},
        {"name": ["Twilio main", None], "provider": ["twilio", None]},
    ]
    # Records survive the deletion of their objects, and of the account.
    assert Activity.objects.filter(account__isnull=True).count() == 12
    every = " ".join(f"{r.summary} {r.changes} {r.object_repr}" for r in Activity.objects.all())
    assert password not in every
    assert desk.ha1_md5 not in every and desk.ha1_sha256 not in every


def test_refused_write_records_nothing(support_client, admin_client, account):
    support_client.post(f"/o/acme/accounts/{account.pk}/domains/new/", {"name": "x", "prefix": "x"})
    admin_client.post(
        f"/o/acme/accounts/{account.pk}/domains/new/", {"name": "x", "prefix": "-bad"}
    )
    assert not Activity.objects.exists()


def activity_url(account, query: str = "") -> str:
    return f"/o/acme/accounts/{account.pk}/activity/{query}"


@pytest.fixture
def some_activity(admin_client, account):
    base = f"/o/acme/accounts/{account.pk}"
    admin_client.post(f"{base}/domains/new/", {"name": "HQ", "prefix": "hq"})
    admin_client.post(f"{base}/credential-lists/new/", {"name": "Phones"})


def test_activity_tab_newest_first_and_filter(admin_client, account, some_activity):
    html = admin_client.get(activity_url(account)).content.decode()
    assert html.index("Added credential list “Phones”.") < html.index("Added SIP domain")
    assert ">alice</td>" in html
    filtered = admin_client.get(
        activity_url(account, "?type=domain"), headers=HTMX
    ).content.decode()
    assert "Added SIP domain" in filtered and "Added credential list" not in filtered
    assert "<html" not in filtered
    bogus = admin_client.get(activity_url(account, "?type=<script>")).content.decode()
    assert "Added SIP domain" in bogus and "<script>" not in bogus


def test_support_reads_activity_and_other_org_sees_nothing(
    support_client, outsider_client, account, some_activity
):
    html = support_client.get(activity_url(account)).content.decode()
    assert "Added SIP domain" in html
    assert outsider_client.get(activity_url(account)).status_code == 404


def test_empty_activity(admin_client, account):
    assert "No Activity Found" in admin_client.get(activity_url(account)).content.decode()
