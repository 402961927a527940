"""An account's SIP setup as a file, for support staff and admins: CSV (a line per SIP user, with
its list and the domains where it authenticates) and JSON (domains, lists with their usernames,
attachments). Never a password or a digest. Both stream: a fixed number of queries, the SIP
users read in chunks, whatever their number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from datetime import tzinfo

from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import ProviderAccount
from sip.bulk import csv_lines
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.models import SyncState

CSV_COLUMNS = [
    "credential_list",
    "username",
    "registrations_on",
    "calls_on",
    "password_set_at",
    "sync_state",
]
CHUNK = 2000
# A cell a spreadsheet would run as a formula starts with one of these: it gets a quote first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def when(value: datetime, zone: tzinfo) -> str:
    """A time in the organization's time zone, to the second."""
    return timezone.localtime(value, zone).isoformat(timespec="seconds")


def counts(account: ProviderAccount) -> dict[str, int]:
    return {
        "domains": SipDomain.objects.filter(account=account).count(),
        "lists": CredentialList.objects.filter(account=account).count(),
        "sip_users": Credential.objects.filter(account=account).count(),
        "attachments": CredentialAttachment.objects.filter(domain__account=account).count(),
    }


def lists_of(account: ProviderAccount) -> list[CredentialList]:
    return list(CredentialList.objects.filter(account=account).order_by("name", "pk"))


def attachments_of(account: ProviderAccount) -> list[tuple[str, int, str, str]]:
    """(domain, list id, list name, purpose) of every attachment of the account."""
    return list(
        CredentialAttachment.objects.filter(domain__account=account)
        .order_by("domain__domain", "credential_list__name", "purpose")
        .values_list("domain__domain", "credential_list_id", "credential_list__name", "purpose")
    )


def sip_users(account: ProviderAccount) -> Iterator[tuple]:
    """(list id, username, password set at, password known, sync state), by list name then
    username: the order of lists_of."""
    return (
        Credential.objects.filter(account=account)
        .order_by("credential_list__name", "credential_list_id", Lower("username"), "pk")
        .values_list(
            "credential_list_id", "username", "password_changed_at", "password_known", "sync_state"
        )
        .iterator(chunk_size=CHUNK)
    )


def setup_csv(account: ProviderAccount, zone: tzinfo) -> Iterator[str]:
    """The streamed file's pieces. zone: the organization's time zone, given by the view since
    the stream is read after the request's own zone is no longer active."""
    names = {credential_list.pk: credential_list.name for credential_list in lists_of(account)}
    on: dict[int, dict[str, list[str]]] = {pk: {p: [] for p in Purpose.values} for pk in names}
    for domain, list_id, _, purpose in attachments_of(account):
        on[list_id][purpose].append(domain)
    states = dict(SyncState.choices)
    yield "\ufeff" + "".join(csv_lines([CSV_COLUMNS]))
    lines = []
    for list_id, username, changed_at, known, state in sip_users(account):
        lines.append(
            [
                cell(names[list_id]),
                username,
                " ".join(on[list_id][Purpose.REGISTRATIONS]),
                " ".join(on[list_id][Purpose.CALLS]),
                when(changed_at, zone) if known else "",
                states.get(state, state) if account.connected else "",
            ]
        )
        if len(lines) == CHUNK:
            yield "".join(csv_lines(lines))
            lines = []
    yield "".join(csv_lines(lines))


def setup_json(account: ProviderAccount, zone: tzinfo) -> Iterator[str]:
    """One JSON document, written piece by piece: the lists' usernames as they are read."""
    head = {
        "account": account.name,
        "provider": account.provider_info.label,
        "exported_at": when(timezone.now(), zone),
        "domains": [
            {
                "domain": domain.domain,
                "name": domain.name,
                "voice_url": domain.voice_url,
                "voice_method": domain.voice_method,
                "sip_registration": domain.sip_registration,
                "secure": domain.secure,
            }
            for domain in SipDomain.objects.filter(account=account).order_by("domain")
        ],
        "attachments": [
            {"domain": domain, "credential_list": name, "purpose": purpose}
            for domain, _, name, purpose in attachments_of(account)
        ],
    }
    yield json.dumps(head, indent=1)[:-2] + ',\n "credential_lists": ['
    users = sip_users(account)
    pending = next(users, None)
    for index, credential_list in enumerate(lists_of(account)):
        names = []
        while pending is not None and pending[0] == credential_list.pk:
            names.append(pending[1])
            pending = next(users, None)
        entry = {"name": credential_list.name, "usernames": names}
        yield ("," if index else "") + "\n  " + json.dumps(entry)
    yield "\n ]\n}\n"
