"""What differs between a connected account here and its Twilio account.

SIP domains and credential lists are compared live (a page or two of Twilio reads: Twilio
allows 100 of each per account by default, and a page holds 1,000). SIP users and attachments
are compared through their sync state: each write keeps it (pending, or out of sync with the
reason), and an import brings in what only Twilio has. Each difference carries the actions that
settle it (sip/services.py: row_push, row_take, remote_delete, or the import).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from django.core.exceptions import ValidationError

from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from sip.models import SyncState
from sip.sync import UNREACHABLE
from sip.sync import api_for
from sip.sync import refusal
from sip.twilio_api import Twilio
from sip.twilio_api import TwilioError
from sip.twilio_api import TwilioUnreachable

ONLY_TWILIO = "twilio"
ONLY_HERE = "here"
DIFFERENT = "different"
LABELS = {
    ONLY_TWILIO: "Only in Twilio",
    ONLY_HERE: "Only here",
    DIFFERENT: "Different",
}
# The domain fields compared: (field here, field in Twilio's answer, label).
DOMAIN_FIELDS = [
    ("name", "friendly_name", "name"),
    ("voice_url", "voice_url", "voice URL"),
    ("voice_method", "voice_method", "voice method"),
    ("sip_registration", "sip_registration", "SIP registration"),
    ("secure", "secure", "secure media"),
]


@dataclass
class Difference:
    where: str  # ONLY_TWILIO, ONLY_HERE or DIFFERENT
    kind: str  # "domain", "list", "credential" or "attachment"
    label: str
    detail: str
    row: object | None = None  # the row here (None: only in Twilio)
    remote_sid: str = ""
    actions: list[str] = field(default_factory=list)

    @property
    def where_label(self) -> str:
        return LABELS[self.where]


def everything(pages) -> list[dict]:
    return [item for items, _next in pages for item in items]


def differences(account: ProviderAccount) -> list[Difference]:
    """Raises ValidationError, in the app's words, when Twilio cannot be read."""
    api = api_for(account)
    try:
        remote = [*compare_domains(account, api), *compare_lists(account, api)]
    except TwilioError as error:
        raise refusal(error, {}) from error
    except TwilioUnreachable as error:
        raise ValidationError(UNREACHABLE) from error
    return [
        *remote,
        *unsettled(Credential.objects.filter(account=account), "credential"),
        *unsettled(CredentialAttachment.objects.filter(domain__account=account), "attachment"),
    ]


def compare_domains(account: ProviderAccount, api: Twilio) -> list[Difference]:
    remote = {item["sid"]: item for item in everything(api.domains())}
    found = []
    here = list(SipDomain.objects.filter(account=account).order_by("domain"))
    for domain in here:
        item = remote.pop(domain.remote_sid, None) if domain.remote_sid else None
        if item is None:
            found.append(only_here(domain, "domain", domain.domain))
            continue
        changed = [
            f"{label}: here “{shown(getattr(domain, mine))}”, in Twilio “{shown(item[theirs])}”"
            for mine, theirs, label in DOMAIN_FIELDS
            if (getattr(domain, mine) or None) != (item[theirs] or None)
        ]
        if changed:
            found.append(
                Difference(
                    DIFFERENT,
                    "domain",
                    domain.domain,
                    "; ".join(changed),
                    domain,
                    domain.remote_sid,
                    ["push", "take"],
                )
            )
    names = {d.domain for d in here}
    for item in remote.values():
        detail = "Twilio has this SIP domain; this app does not."
        if item["domain_name"] in names:
            detail = "Twilio has another SIP domain of this name than the one here."
        found.append(
            Difference(
                ONLY_TWILIO,
                "domain",
                item["domain_name"],
                detail,
                None,
                item["sid"],
                ["import", "remote_delete"],
            )
        )
    return found


def compare_lists(account: ProviderAccount, api: Twilio) -> list[Difference]:
    remote = {item["sid"]: item for item in everything(api.credential_lists())}
    found = []
    for credential_list in CredentialList.objects.filter(account=account).order_by("name"):
        item = remote.pop(credential_list.remote_sid, None) if credential_list.remote_sid else None
        if item is None:
            found.append(only_here(credential_list, "list", credential_list.name))
        elif item["friendly_name"] != credential_list.name:
            detail = f"name: here “{credential_list.name}”, in Twilio “{item['friendly_name']}”"
            found.append(
                Difference(
                    DIFFERENT,
                    "list",
                    credential_list.name,
                    detail,
                    credential_list,
                    credential_list.remote_sid,
                    ["push", "take"],
                )
            )
    for item in remote.values():
        found.append(
            Difference(
                ONLY_TWILIO,
                "list",
                item["friendly_name"] or item["sid"],
                "Twilio has this credential list; this app does not.",
                None,
                item["sid"],
                ["import", "remote_delete"],
            )
        )
    return found


def only_here(row, kind: str, label: str) -> Difference:
    if row.sync_state == SyncState.FAILED and row.sync_error:
        detail = row.sync_error
    elif row.remote_sid:
        detail = "Twilio no longer has it (deleted in the Twilio Console?)."
    else:
        detail = "Not yet in Twilio."
    return Difference(ONLY_HERE, kind, label, detail, row, row.remote_sid, ["push", "delete"])


def unsettled(rows, kind: str) -> list[Difference]:
    """SIP users and attachments whose last write left them pending or out of sync."""
    found = []
    rows = rows.exclude(sync_state=SyncState.SYNCED).exclude(sync_state=SyncState.LOCAL)
    for row in rows.select_related(*related(kind)).order_by("pk")[:500]:
        detail = row.sync_error or "Not yet in Twilio."
        found.append(Difference(ONLY_HERE, kind, str(row), detail, row, "", ["push", "delete"]))
    return found


def related(kind: str) -> list[str]:
    return ["credential_list"] if kind == "credential" else ["domain", "credential_list"]


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value or "")
