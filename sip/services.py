"""Every write to the SIP setup, shared by the views and the Django admin.

Each one locks what it must, checks what only holds under the lock (limits, a name taken
meanwhile), saves, records the change in Activity with its values before and after, and so
bumps the account's setup version, in one transaction. It returns what it changed; a refusal
is a ValidationError (beside a field when it names one), shown the way the form shows its own.
Locks are taken parent first (organization, account, domain, list), the same order everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction
from django.db.models import Model
from django.db.models.functions import Lower
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.activity import Action
from accounts.activity import created
from accounts.activity import deleted
from accounts.activity import record
from accounts.models import Organization
from accounts.models import ProviderAccount
from accounts.services import rename
from sip import bulk
from sip import imports
from sip import twilio_api
from sip.digest import generate_password
from sip.models import DOMAIN_IN_USE
from sip.models import LIST_NAME_TAKEN
from sip.models import USERNAME_TAKEN
from sip.models import BulkRun
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import ImportRun
from sip.models import Purpose
from sip.models import SipDomain
from sip.models import SyncState
from sip.models import already_attached
from sip.models import password_version
from sip.sync import Remote
from sip.sync import remote_first
from sip.sync import synced
from sip.twilio_api import MappingKind
from sip.twilio_api import flag
from whippy.db import Gone
from whippy.db import lock_or_gone
from whippy.db import save_unique
from whippy.encryption import encrypt
from whippy.htmx import AppRequest

GONE = "That SIP domain or credential list was deleted a moment ago. Reload the page and try again."


class StillAttached(ValidationError):
    """A credential list attached to a domain cannot be deleted."""

    def __init__(self, domains: list[SipDomain]) -> None:
        self.domains = domains
        names = ", ".join(domain.domain for domain in domains)
        super().__init__(f"This list cannot be deleted while it is attached to {names}.")


class AlreadyRotated(ValidationError):
    """The password was rotated after the form was opened (most likely the form sent twice)."""


def attached_domains(credential_list: CredentialList) -> list[SipDomain]:
    """The distinct domains a list is attached to (an attachment exists per purpose)."""
    attachments = (
        credential_list.attachments.all()
        if "attachments" in getattr(credential_list, "_prefetched_objects_cache", {})
        else credential_list.attachments.select_related("domain").order_by("domain__domain")
    )
    seen: dict[int, SipDomain] = {}
    for attachment in attachments:
        seen.setdefault(attachment.domain_id, attachment.domain)
    return list(seen.values())


# SIP domains

DOMAIN_ERRORS = {
    21232: ("prefix", "Twilio refused this domain: it is already taken by another Twilio account."),
    21230: (
        None,
        "Twilio refused the domain: this Twilio account has reached its limit of domains.",
    ),
}
# The domain's fields Twilio keeps, with Twilio's names.
DOMAIN_SETTINGS = {
    "name": "FriendlyName",
    "voice_url": "VoiceUrl",
    "voice_method": "VoiceMethod",
    "sip_registration": "SipRegistration",
    "secure": "Secure",
}
SETTING_LABELS = {
    "name": "name",
    "voice_url": "voice URL",
    "voice_method": "voice method",
    "sip_registration": "SIP registration",
    "secure": "secure media",
}


def twilio_fields(domain: SipDomain, names: list[str]) -> dict[str, str]:
    fields = {}
    for name in names:
        value = getattr(domain, name)
        fields[DOMAIN_SETTINGS[name]] = flag(value) if isinstance(value, bool) else value
    return fields


def new_domain_fields(domain: SipDomain) -> dict[str, str]:
    """A new domain's fields for Twilio: those with a value (Twilio's defaults for the rest)."""
    return {key: value for key, value in twilio_fields(domain, [*DOMAIN_SETTINGS]).items() if value}


@remote_first
def domain_create(
    *,
    request: AppRequest,
    remote: Remote,
    account: ProviderAccount,
    name: str,
    prefix: str,
    **settings: object,
) -> SipDomain:
    """Adds a SIP domain (settings: voice_url, voice_method, sip_registration, secure)."""
    # Limits (the provider's and the organization's share) and deletes see settled counts.
    lock_or_gone(Organization, account.organization_id)
    lock_or_gone(ProviderAccount, account.pk)
    domain = SipDomain(account=account, name=name, prefix=prefix, **settings)
    domain.check_limits()
    domain.set_domain()
    created_remote = remote.call(
        account,
        lambda api: api.create_domain(domain.domain, **new_domain_fields(domain)),
        errors=DOMAIN_ERRORS,
        undo=lambda api, result: api.delete_domain(result["sid"]),
        differs=f"Twilio kept SIP domain {domain.domain}, which could not be saved here.",
        row=domain,
        kept=False,
    )
    domain.remote_sid = created_remote["sid"] if created_remote else ""
    domain.sync_state = synced(account)
    save_unique(domain, "prefix", DOMAIN_IN_USE)
    summary = f"Added SIP domain {domain.domain} (“{name}”)."
    record(request, Action.CREATED, domain, summary, created(name=name, domain=domain.domain))
    return domain


@remote_first
def domain_update(*, request: AppRequest, remote: Remote, domain: SipDomain, **values: object):
    """Changes a SIP domain's name or settings (its prefix never changes)."""
    stored = SipDomain.objects.select_for_update().values(*DOMAIN_SETTINGS).get(pk=domain.pk)
    changed = [name for name, value in values.items() if stored[name] != value]
    for name, value in values.items():
        setattr(domain, name, value)
    if not changed:
        return domain
    old = SipDomain(account=domain.account, **stored)
    if domain.remote_sid:
        remote.call(
            domain.account,
            lambda api: api.update_domain(domain.remote_sid, **twilio_fields(domain, changed)),
            undo=lambda api, result: api.update_domain(
                domain.remote_sid, **twilio_fields(old, changed)
            ),
            differs=f"Twilio has other settings for {domain.domain} than this app "
            f"({', '.join(SETTING_LABELS[name] for name in changed)}).",
            row=domain,
        )
    domain.save(update_fields=changed)
    changes = {name: [stored[name], values[name]] for name in changed}
    if changed == ["name"]:
        summary = f"Renamed SIP domain {domain} from “{stored['name']}” to “{domain.name}”."
        record(request, Action.RENAMED, domain, summary, changes)
    else:
        labels = ", ".join(SETTING_LABELS[name] for name in changed)
        record(request, Action.UPDATED, domain, f"Changed SIP domain {domain}: {labels}.", changes)
    return domain


def domain_rename(*, request: AppRequest, domain: SipDomain, name: str) -> SipDomain:
    """Renames a SIP domain: only its friendly name changes."""
    return domain_update(request=request, domain=domain, name=name)


@remote_first
def domain_delete(*, request: AppRequest, remote: Remote, domain: SipDomain) -> SipDomain:
    """Deletes a SIP domain and its attachments (the confirmation lists them)."""
    lock_or_gone(SipDomain, domain.pk)  # no attachment can be added to it meanwhile
    removed = [
        f"{a.credential_list.name}: {a.get_purpose_display().lower()}"
        for a in domain.attachments.select_related("credential_list")
    ]
    summary = f"Deleted SIP domain {domain.domain} (“{domain.name}”)" + (
        f" and its attachments: {', '.join(removed)}." if removed else "."
    )
    changes = deleted(
        name=domain.name, domain=domain.domain, **({"attachments": removed} if removed else {})
    )
    if domain.remote_sid:
        remote.call(
            domain.account,
            lambda api: api.delete_domain(domain.remote_sid),
            undo=cannot_undo,
            differs=f"Twilio deleted SIP domain {domain.domain}, which is still here.",
            row=domain,
        )
    record(request, Action.DELETED, domain, summary, changes)
    domain.delete()
    return domain


def cannot_undo(api: twilio_api.Twilio, result: object) -> None:
    """A deletion or a new password cannot be taken back: its mark says what differs."""
    raise twilio_api.TwilioUnreachable("cannot be undone")


# Credential lists

LIST_ERRORS = {21240: ("name", "Twilio already has a credential list with this name.")}


@remote_first
def credential_list_create(
    *, request: AppRequest, remote: Remote, account: ProviderAccount, name: str
) -> CredentialList:
    lock_or_gone(ProviderAccount, account.pk)  # the limit and deletes see a settled count
    credential_list = CredentialList(account=account, name=name)
    credential_list.check_limits()
    created_remote = remote.call(
        account,
        lambda api: api.create_credential_list(name),
        errors=LIST_ERRORS,
        undo=lambda api, result: api.delete_credential_list(result["sid"]),
        differs=f"Twilio kept credential list “{name}”, which could not be saved here.",
        row=credential_list,
        kept=False,
    )
    credential_list.remote_sid = created_remote["sid"] if created_remote else ""
    credential_list.sync_state = synced(account)
    save_unique(credential_list, "name", LIST_NAME_TAKEN)
    summary = f"Added credential list “{name}”."
    record(request, Action.CREATED, credential_list, summary, created(name=name))
    return credential_list


@remote_first
def credential_list_rename(
    *, request: AppRequest, remote: Remote, credential_list: CredentialList, name: str
) -> CredentialList:
    """Renames a credential list; a name taken meanwhile is a field error, nothing changed."""
    rows = CredentialList.objects.select_for_update()
    old_name = rows.values_list("name", flat=True).get(pk=credential_list.pk)
    if credential_list.remote_sid and old_name != name:
        remote.call(
            credential_list.account,
            lambda api: api.rename_credential_list(credential_list.remote_sid, name),
            errors=LIST_ERRORS,
            undo=lambda api, result: api.rename_credential_list(
                credential_list.remote_sid, old_name
            ),
            differs=f"Twilio calls credential list “{old_name}” “{name}”.",
            row=credential_list,
        )
    return rename(
        request,
        credential_list,
        name,
        lambda old: f"Renamed credential list “{old}” to “{name}”.",
        taken=LIST_NAME_TAKEN,
        update_fields=("name", "name_key"),
    )


@remote_first
def credential_list_delete(
    *, request: AppRequest, remote: Remote, credential_list: CredentialList
) -> int:
    """Deletes a list that is attached nowhere, with its credentials; returns how many went
    with it. Raises StillAttached when a domain still uses it."""
    # Attachments are read after the lock: one added meanwhile refuses the delete.
    lock_or_gone(CredentialList, credential_list.pk)
    domains = attached_domains(credential_list)
    if domains:
        raise StillAttached(domains)
    count = credential_list.credentials.count()
    summary = (
        f"Deleted credential list “{credential_list.name}” "
        f"and its {count} credential{pluralize(count)}."
    )
    changes = deleted(name=credential_list.name, credentials=count)
    if credential_list.remote_sid:
        remote.call(
            credential_list.account,
            lambda api: api.delete_credential_list(credential_list.remote_sid),
            undo=cannot_undo,
            differs=f"Twilio deleted credential list “{credential_list.name}”, "
            "which is still here.",
            row=credential_list,
        )
    record(request, Action.DELETED, credential_list, summary, changes)
    credential_list.delete()
    return count


# Credentials (SIP users)

CREDENTIAL_ERRORS = {
    21240: ("username", "Twilio refused this username: the list already has it, or it is invalid."),
    21243: (
        "password",
        "Twilio refused this password: it needs at least 12 characters with an upper case "
        "letter, a lower case letter and a digit.",
    ),
}


def remote_credential(remote: Remote, credential: Credential, password: str) -> dict | None:
    """Makes a SIP user in the provider (inside a write that saves it here after)."""
    credential_list = credential.credential_list
    return remote.call(
        credential_list.account,
        lambda api: api.create_credential(
            credential_list.remote_sid, credential.username, password
        ),
        errors=CREDENTIAL_ERRORS,
        undo=lambda api, result: api.delete_credential(credential_list.remote_sid, result["sid"]),
        differs=f"Twilio kept SIP user “{credential.username}” in “{credential_list.name}”, "
        "which could not be saved here.",
        row=credential,
        kept=False,
    )


@remote_first
def credential_create(
    *,
    request: AppRequest,
    remote: Remote,
    credential_list: CredentialList,
    username: str,
    password: str,
) -> Credential:
    """Adds a SIP user; the password goes to the provider in this one request, and only its
    digests are kept here."""
    lock_or_gone(CredentialList, credential_list.pk)  # the limit sees a settled count
    credential = Credential(credential_list=credential_list, username=username)
    credential.check_limits()
    account = credential_list.account
    created_remote = None
    if account.connected and not credential_list.remote_sid:
        credential.sync_state = SyncState.PENDING  # its list is not in Twilio yet
    else:
        created_remote = remote_credential(remote, credential, password)
        credential.sync_state = synced(account)
    credential.remote_sid = created_remote["sid"] if created_remote else ""
    credential.set_password(password)
    save_unique(credential, "username", USERNAME_TAKEN)
    summary = f"Added SIP user “{username}” to “{credential_list.name}”."
    changes = created(username=username, credential_list=credential_list.name)
    record(request, Action.CREATED, credential, summary, changes)
    return credential


ROTATED_FIELDS = [
    "ha1_md5",
    "ha1_sha256",
    "password_changed_at",
    "password_known",
    "remote_sid",
    "sync_state",
    "sync_error",
]


def push_password(remote: Remote, credential: Credential, password: str) -> None:
    """A new password reaches the provider: set there, or the SIP user made there with it
    when the provider does not have it yet (its list does). Inside a rotation."""
    credential_list = credential.credential_list
    account = credential_list.account
    if not credential.remote_sid and account.connected and credential_list.remote_sid:
        # Twilio does not have it yet: the new password is what it needs to make it.
        created_remote = remote.call(
            account,
            lambda api: api.create_credential(
                credential_list.remote_sid, credential.username, password
            ),
            errors=CREDENTIAL_ERRORS,
            undo=lambda api, result: api.delete_credential(
                credential_list.remote_sid, result["sid"]
            ),
            differs=f"Twilio kept SIP user “{credential.username}”, which could not be saved here.",
            row=credential,
        )
        credential.remote_sid = created_remote["sid"]
        credential.sync_state, credential.sync_error = SyncState.SYNCED, ""
    elif credential.remote_sid:
        remote.call(
            credential_list.account,
            lambda api: api.set_password(
                credential_list.remote_sid, credential.remote_sid, password
            ),
            errors=CREDENTIAL_ERRORS,
            undo=cannot_undo,
            differs=f"Twilio has a newer password for SIP user “{credential.username}” than "
            "this app: rotate it again.",
            row=credential,
        )


@remote_first
def credential_rotate(
    *,
    request: AppRequest,
    remote: Remote,
    credential: Credential,
    password: str,
    version: str | None = None,
) -> Credential:
    """Sets a new password. version, when given, is the password the caller saw
    (password_version): if another rotation came first, AlreadyRotated is raised and nothing
    changes, since a second, silent rotation would lose the password shown for the first."""
    stored = Credential.objects.select_for_update().only("password_changed_at")
    before = stored.get(pk=credential.pk).password_changed_at
    credential.password_changed_at = before
    if version is not None and password_version(credential) != version:
        raise AlreadyRotated("The password was rotated after this form was opened.")
    push_password(remote, credential, password)
    credential.set_password(password)
    credential.save(update_fields=ROTATED_FIELDS)
    summary = (
        f"Rotated the password of SIP user “{credential.username}” "
        f"in “{credential.credential_list.name}”."
    )
    # When, never what: no password or digest is recorded.
    changes = {"password_changed_at": [before.isoformat(), password_version(credential)]}
    record(request, Action.PASSWORD_ROTATED, credential, summary, changes)
    return credential


@remote_first
def credential_delete(*, request: AppRequest, remote: Remote, credential: Credential) -> Credential:
    credential_list = credential.credential_list
    summary = f"Deleted SIP user “{credential.username}” from “{credential_list.name}”."
    changes = deleted(username=credential.username, credential_list=credential_list.name)
    if credential.remote_sid:
        remote.call(
            credential_list.account,
            lambda api: api.delete_credential(credential_list.remote_sid, credential.remote_sid),
            undo=cannot_undo,
            differs=f"Twilio deleted SIP user “{credential.username}”, which is still here.",
            row=credential,
        )
    record(request, Action.DELETED, credential, summary, changes)
    credential.delete()
    return credential


# Many SIP users at once (sip/bulk.py reads and checks the file)


class AlreadyDone(ValidationError):
    """The same form was sent again: its work was done once, and its passwords delivered."""


class ImportRefused(ValidationError):
    """All or nothing, and a row cannot be added: nothing was. report says which, and why."""

    def __init__(self, message: str, report: bulk.Report) -> None:
        self.report = report
        super().__init__(message)


@dataclass
class BulkResult:
    """What bulk work did: the SIP users and their new passwords (for the download only),
    the rows or SIP users left out with why, and why it stopped early, if it did."""

    logins: list[tuple[str, str]]
    skipped: list[bulk.Row]
    stopped: str = ""


def unclaimed(nonce: str) -> None:
    """Refuses a form whose work was done (read before the work; claim() takes it after)."""
    done = BulkRun.objects.filter(nonce=nonce).values_list("created_at", flat=True).first()
    if done is not None:
        raise already_done(done)


def claim(nonce: str, account: ProviderAccount, kind: str) -> None:
    """The form's one-time key, taken with the work's own writes (given back if they fail).
    Taken last, so that no write (on SQLite, no lock on the whole database) waits for the
    provider's answers; the same form sent twice at once fails here, and its calls to the
    provider are undone."""
    try:
        with transaction.atomic():
            BulkRun.objects.create(nonce=nonce, account=account, kind=kind)
    except IntegrityError:
        done = BulkRun.objects.filter(nonce=nonce).values_list("created_at", flat=True)[0]
        raise already_done(done) from None


def already_done(done: datetime) -> AlreadyDone:
    return AlreadyDone(
        f"This form was already sent, at {timezone.localtime(done):%H:%M:%S}: nothing was "
        "changed now. The passwords were delivered then, once. To set new ones, rotate them."
    )


def stopping(error: ValidationError) -> bool:
    """Whether a provider's refusal stops the work (no answer, the key refused, too many
    requests for too long) rather than concerning one SIP user (its username or password)."""
    return not hasattr(error, "error_dict")


@remote_first
def credentials_import(
    *,
    request: AppRequest,
    remote: Remote,
    credential_list: CredentialList,
    rows: list[bulk.Row],
    name: str,
    nonce: str,
    all_or_nothing: bool,
) -> BulkResult:
    """Adds the SIP users of a checked file (bulk.read_csv), checked again now, with the list
    locked: every row or none (all_or_nothing), or the rows that can be added. A row without
    a password gets a generated one. For a connected account each one is made in Twilio
    first (waiting out its rate limit); all or nothing undoes them there if one fails."""
    lock_or_gone(CredentialList, credential_list.pk)
    account = credential_list.account
    unclaimed(nonce)
    remote.patient = True
    report = bulk.check(rows, credential_list)
    if all_or_nothing and report.problems:
        raise ImportRefused(
            f"Nothing was imported: {cannot(len(report.problems))} (see below).", report
        )
    valid, skipped, stopped = report.valid, report.problems, ""
    added: list[tuple[bulk.Row, Credential, str]] = []
    in_twilio = account.connected and bool(credential_list.remote_sid)
    for done, row in enumerate(valid, 1):
        password = row.password or generate_password()
        credential = Credential(
            credential_list=credential_list, account=account, username=row.username
        )
        try:
            made = remote_credential(remote, credential, password) if in_twilio else None
        except ValidationError as error:
            row.status, row.problem = bulk.Status.INVALID, " ".join(error.messages)
            if all_or_nothing:
                raise ImportRefused(
                    f"Nothing was imported: Twilio refused line {row.line} ({row.problem}).",
                    report,
                ) from error
            skipped.append(row)
            if stopping(error):
                stopped = f"The import stopped at line {row.line}: {row.problem}"
                for rest in valid[done:]:
                    rest.status, rest.problem = bulk.Status.INVALID, "Not imported: it stopped."
                skipped.extend(valid[done:])
                break
            continue
        credential.remote_sid = made["sid"] if made else ""
        if account.connected:
            credential.sync_state = SyncState.SYNCED if made else SyncState.PENDING
        credential.set_password(password)
        added.append((row, credential, password))
        if done % 50 == 0 or done == len(valid):
            bulk.set_progress(nonce, account.pk, done=done, total=len(valid))
    if not added:  # nothing to record, and the form can be sent again
        raise ImportRefused(stopped or "Nothing was imported: no row can be added now.", report)
    claim(nonce, account, BulkRun.Kind.IMPORT)
    before = Credential.objects.filter(credential_list=credential_list).count()
    Credential.objects.bulk_create([credential for _, credential, _ in added], batch_size=500)
    skipped.sort(key=lambda row: row.line)
    summary = (
        f"Imported {len(added)} SIP user{pluralize(len(added))} into “{credential_list.name}” "
        f"from {name}"
        + (f"; {len(skipped)} row{pluralize(len(skipped))} skipped." if skipped else ".")
    )
    if stopped:
        summary += f" {stopped}"
    changes = {"sip_users": [before, before + len(added)], "skipped": [None, len(skipped)]}
    record(request, Action.IMPORTED, credential_list, summary, changes)
    logins = [(credential.username, password) for _, credential, password in added]
    return BulkResult(logins, skipped, stopped)


def cannot(count: int) -> str:
    return f"{count} row{pluralize(count)} cannot be added"


@remote_first
def credentials_rotate(
    *,
    request: AppRequest,
    remote: Remote,
    credential_list: CredentialList,
    credentials: list[Credential],
    nonce: str,
) -> BulkResult:
    """New generated passwords for the chosen SIP users of a list. A connected account's are
    set in Twilio first, one by one: Twilio cannot take a password back, so a refusal skips
    that SIP user (or stops the work) and the ones rotated so far are kept."""
    lock_or_gone(CredentialList, credential_list.pk)
    account = credential_list.account
    unclaimed(nonce)
    remote.patient = True
    chosen = list(
        Credential.objects.select_for_update()
        .filter(credential_list=credential_list, pk__in=[c.pk for c in credentials])
        .order_by(Lower("username"))
    )
    rotated: list[tuple[Credential, str]] = []
    skipped: list[bulk.Row] = []
    stopped = ""
    for done, credential in enumerate(chosen, 1):
        credential.credential_list = credential_list
        password = generate_password()
        try:
            push_password(remote, credential, password)
        except ValidationError as error:
            skipped.append(
                bulk.Row(0, credential.username, "", bulk.Status.INVALID, " ".join(error.messages))
            )
            if stopping(error):
                stopped = f"The rotation stopped at “{credential.username}”: {skipped[-1].problem}"
                skipped.extend(
                    bulk.Row(0, c.username, "", bulk.Status.INVALID, "Not rotated: it stopped.")
                    for c in chosen[done:]
                )
                break
            continue
        credential.set_password(password)
        rotated.append((credential, password))
        if done % 50 == 0 or done == len(chosen):
            bulk.set_progress(nonce, account.pk, done=done, total=len(chosen))
    if not rotated:  # nothing to record, and the form can be sent again
        raise ValidationError(stopped or skipped[0].problem if skipped else "Nothing to rotate.")
    claim(nonce, account, BulkRun.Kind.ROTATE)
    Credential.objects.bulk_update([c for c, _ in rotated], ROTATED_FIELDS, batch_size=500)
    names = ", ".join(c.username for c, _ in rotated[:20])
    more = f" and {len(rotated) - 20} more" if len(rotated) > 20 else ""
    summary = (
        f"Rotated the passwords of {len(rotated)} SIP user{pluralize(len(rotated))} in "
        f"“{credential_list.name}”: {names}{more}."
    )
    if skipped:
        summary += f" {len(skipped)} not rotated." + (f" {stopped}" if stopped else "")
    # Who and when, never what: no password or digest is recorded.
    changes = {"rotated": [None, len(rotated)], "not_rotated": [None, len(skipped)]}
    record(request, Action.PASSWORD_ROTATED, credential_list, summary, changes)
    return BulkResult([(c.username, p) for c, p in rotated], skipped, stopped)


def setup_exported(
    request: AppRequest, account: ProviderAccount, what: str, counts: dict[str, int]
) -> None:
    """Records an export (by anyone who can see the setup): it changes nothing."""
    summary = (
        f"Exported the setup of “{account.name}” as {what}: "
        f"{counts['domains']} SIP domain{pluralize(counts['domains'])}, "
        f"{counts['lists']} credential list{pluralize(counts['lists'])}, "
        f"{counts['sip_users']} SIP user{pluralize(counts['sip_users'])} and "
        f"{counts['attachments']} attachment{pluralize(counts['attachments'])}."
    )
    changes = {name: [None, count] for name, count in counts.items()}
    record(request, Action.EXPORTED, account, summary, changes, changes_setup=False)


# Credential attachments

KINDS = {Purpose.CALLS: MappingKind.CALLS, Purpose.REGISTRATIONS: MappingKind.REGISTRATIONS}


def in_provider(domain: SipDomain, credential_list: CredentialList) -> bool:
    """Whether a link between them can be made in the provider: both are there."""
    return bool(domain.remote_sid and credential_list.remote_sid)


@remote_first
def attachment_create(
    *,
    request: AppRequest,
    remote: Remote,
    domain: SipDomain,
    credential_list: CredentialList,
    purposes: list[Purpose],
) -> tuple[list[CredentialAttachment], list[Purpose]]:
    """Attaches a list to a domain for each purpose; returns (attachments added, purposes that
    were already there). Refuses (ValidationError) when nothing is left to add. Attaching for
    registrations turns the domain's SIP registration on: phones cannot register without it.

    The purposes already there are read with the domain and the list locked: a concurrent or
    double submit of the same link waits for the other request, then finds its rows.
    """
    if domain.account_id != credential_list.account_id:
        raise ValueError("The domain and the list belong to different accounts.")
    try:
        lock_or_gone(SipDomain, domain.pk)
        lock_or_gone(CredentialList, credential_list.pk)
    except Gone as error:
        raise ValidationError(GONE) from error
    there = set(
        CredentialAttachment.objects.filter(
            domain=domain, credential_list=credential_list, purpose__in=purposes
        ).values_list("purpose", flat=True)
    )
    existing = [purpose for purpose in purposes if purpose in there]
    missing = [purpose for purpose in purposes if purpose not in there]
    if not missing:
        # Another request attached the same link between validation and saving.
        raise ValidationError(already_attached(credential_list, domain, existing))
    account = domain.account
    linked = in_provider(domain, credential_list)
    if Purpose.REGISTRATIONS in missing and not domain.sip_registration:
        registration_on(request, remote, domain)
    for purpose in missing:
        if linked:
            remote.call(
                account,
                lambda api, kind=KINDS[purpose]: api.map_list(
                    domain.remote_sid, kind, credential_list.remote_sid
                ),
                undo=lambda api, result, kind=KINDS[purpose]: api.unmap_list(
                    domain.remote_sid, kind, credential_list.remote_sid
                ),
                differs=f"Twilio kept “{credential_list.name}” attached to {domain}, which "
                "could not be saved here.",
                row=CredentialAttachment(
                    domain=domain, credential_list=credential_list, purpose=purpose
                ),
                kept=False,
            )
    state = synced(account) if linked or not account.connected else SyncState.PENDING
    added = [
        CredentialAttachment.objects.create(
            domain=domain, credential_list=credential_list, purpose=purpose, sync_state=state
        )
        for purpose in missing
    ]
    for attachment in added:
        purpose = attachment.get_purpose_display().lower()
        summary = f"Attached “{credential_list.name}” to {domain} for {purpose}."
        changes = created(
            domain=domain.domain, credential_list=credential_list.name, purpose=purpose
        )
        record(request, Action.ATTACHED, attachment, summary, changes)
    return added, existing


def registration_on(request: AppRequest, remote: Remote, domain: SipDomain) -> None:
    """Turns on SIP registration for a domain, in the provider first (inside a write)."""
    # The caller holds the domain's lock (attachment_create).
    if domain.remote_sid:
        remote.call(
            domain.account,
            lambda api: api.update_domain(domain.remote_sid, SipRegistration="true"),
            undo=lambda api, result: api.update_domain(domain.remote_sid, SipRegistration="false"),
            differs=f"Twilio has SIP registration on for {domain}, which is off here.",
            row=domain,
        )
    domain.sip_registration = True
    domain.save(update_fields=["sip_registration"])
    summary = f"Turned on SIP registration for {domain}: phones can register on it."
    record(request, Action.UPDATED, domain, summary, {"sip_registration": [False, True]})


@remote_first
def attachment_delete(
    *, request: AppRequest, remote: Remote, attachment: CredentialAttachment
) -> CredentialAttachment:
    domain, credential_list = attachment.domain, attachment.credential_list
    purpose = attachment.get_purpose_display().lower()
    summary = f"Detached “{credential_list.name}” from {domain} for {purpose}."
    changes = deleted(domain=domain.domain, credential_list=credential_list.name, purpose=purpose)
    if in_provider(domain, credential_list):
        kind = KINDS[Purpose(attachment.purpose)]
        remote.call(
            domain.account,
            lambda api: api.unmap_list(domain.remote_sid, kind, credential_list.remote_sid),
            undo=lambda api, result: api.map_list(
                domain.remote_sid, kind, credential_list.remote_sid
            ),
            differs=f"Twilio detached “{credential_list.name}” from {domain} for {purpose}, "
            "which is still attached here.",
            row=attachment,
        )
    record(request, Action.DETACHED, attachment, summary, changes)
    attachment.delete()
    return attachment


# The provider connection


CONNECT_ERRORS = {
    20003: (
        "twilio_key_secret",
        "Twilio did not accept this API Key SID and secret for this Account SID.",
    ),
    20404: ("twilio_account_sid", "Twilio has no account with this Account SID for this key."),
}


def check_connection(account: ProviderAccount) -> None:
    """Asks Twilio for the smallest read of what this app manages; raises ValidationError with
    what went wrong, in the app's words."""
    remote = Remote(None)
    remote.call(account, lambda api: api.check(), errors=CONNECT_ERRORS)


@transaction.atomic
def account_connect(
    *,
    request: AppRequest,
    account: ProviderAccount,
    twilio_account_sid: str,
    twilio_key_sid: str,
    twilio_key_secret: str = "",
) -> ProviderAccount:
    """Connects an account to its Twilio account once Twilio accepts the key (a blank secret
    keeps the one saved). Rows already here wait to be pushed (sync state pending)."""
    lock_or_gone(ProviderAccount, account.pk)
    if not account.provider_info.syncs:
        raise ValidationError(f"{account.provider_info.label} accounts cannot be connected yet.")
    was_connected = account.connected
    before = [account.twilio_account_sid, account.twilio_key_sid]
    account.twilio_account_sid = twilio_account_sid
    account.twilio_key_sid = twilio_key_sid
    if twilio_key_secret:
        account.twilio_key_secret = encrypt(twilio_key_secret)
    check_connection(account)
    account.save(update_fields=["twilio_account_sid", "twilio_key_sid", "twilio_key_secret"])
    if before[0] != twilio_account_sid:
        # Another Twilio account: nothing here is in it yet.
        for model in (SipDomain, CredentialList, Credential):
            model.objects.filter(account=account).update(
                remote_sid="", sync_state=SyncState.PENDING, sync_error=""
            )
        attachments = CredentialAttachment.objects.filter(domain__account=account)
        attachments.update(sync_state=SyncState.PENDING, sync_error="")
    elif not was_connected:
        # The same one again: what was pushed before still is; the rest waits.
        for model in (SipDomain, CredentialList, Credential):
            rows = model.objects.filter(account=account)
            rows.exclude(remote_sid="").update(sync_state=SyncState.SYNCED)
            rows.filter(remote_sid="").update(sync_state=SyncState.PENDING)
        attachments = CredentialAttachment.objects.filter(domain__account=account)
        attachments.update(sync_state=SyncState.PENDING)
    # Which key, never its secret.
    changes = {
        "account_sid": [before[0] or None, twilio_account_sid],
        "key_sid": [before[1] or None, twilio_key_sid],
    }
    summary = f"Connected account “{account.name}” to Twilio account {twilio_account_sid}."
    record(request, Action.CONNECTED, account, summary, changes)
    return account


@transaction.atomic
def account_disconnect(*, request: AppRequest, account: ProviderAccount) -> ProviderAccount:
    """Forgets the key: changes stay here from now on, and what Twilio has is left as it is.
    The Account SID (and each row's Twilio sid) stays, for connecting the same account again."""
    lock_or_gone(ProviderAccount, account.pk)
    changes = deleted(key_sid=account.twilio_key_sid)
    summary = (
        f"Disconnected account “{account.name}” from Twilio account "
        f"{account.twilio_account_sid}: changes stay here until it is connected again."
    )
    account.twilio_key_sid = account.twilio_key_secret = ""
    account.save(update_fields=["twilio_key_sid", "twilio_key_secret"])
    for model in (SipDomain, CredentialList, Credential):
        model.objects.filter(account=account).update(sync_state=SyncState.LOCAL, sync_error="")
    CredentialAttachment.objects.filter(domain__account=account).update(
        sync_state=SyncState.LOCAL, sync_error=""
    )
    record(request, Action.DISCONNECTED, account, summary, changes)
    return account


# Importing from the provider


@transaction.atomic
def import_start(*, request: AppRequest, account: ProviderAccount) -> ImportRun:
    """Queues an import of the Twilio account's setup for the background worker, or resumes
    the last one where it stopped."""
    lock_or_gone(ProviderAccount, account.pk)  # two clicks queue one import
    if not account.connected:
        raise ValidationError("Connect this account to Twilio before importing from it.")
    run = account.import_runs.first()
    if run is not None and run.active and not imports.stalled(run):
        raise ValidationError("An import of this account is already under way.")
    if run is None or run.status == ImportRun.Status.DONE:
        run = ImportRun.objects.create(account=account, started_by=request.user)
    else:  # stopped (or its worker lost): it goes on from its last saved page
        run.status, run.error, run.started_by = ImportRun.Status.QUEUED, "", request.user
        run.save(update_fields=["status", "error", "started_by"])
    imports.import_account.enqueue(run.pk)
    return run


# Reconciling with the provider (sip/reconcile.py finds the differences)

NOT_CONNECTED = "This account is not connected to Twilio."


def push_step(row: SipDomain | CredentialList) -> Callable[[twilio_api.Twilio], dict]:
    """Twilio made to hold the row as it is here: updated, or created when Twilio does not
    have it (any more)."""

    def step(api: twilio_api.Twilio) -> dict:
        if row.remote_sid:
            try:
                if isinstance(row, SipDomain):
                    return api.update_domain(
                        row.remote_sid, **twilio_fields(row, [*DOMAIN_SETTINGS])
                    )
                return api.rename_credential_list(row.remote_sid, row.name)
            except twilio_api.TwilioError as error:
                if error.status != 404:
                    raise
        if isinstance(row, SipDomain):
            return api.create_domain(row.domain, **new_domain_fields(row))
        return api.create_credential_list(row.name)

    return step


@remote_first
def row_push(*, request: AppRequest, remote: Remote, row: Model) -> Model:
    """Makes Twilio hold a row as it is here (a retry of what failed, or what was made before
    the account was connected). A SIP user needs its password, which is never kept: rotating
    it pushes it."""
    account = row.setup_account
    if not account.connected:
        raise ValidationError(NOT_CONNECTED)
    lock_or_gone(type(row), row.pk)
    if isinstance(row, Credential):
        raise ValidationError(
            "Twilio needs this SIP user's password, which this app never keeps: rotate the "
            "password to push it."
        )
    if isinstance(row, CredentialAttachment):
        if not in_provider(row.domain, row.credential_list):
            raise ValidationError("Push the SIP domain and the credential list first.")
        kind = KINDS[Purpose(row.purpose)]

        def step(api: twilio_api.Twilio) -> None:
            try:
                api.map_list(row.domain.remote_sid, kind, row.credential_list.remote_sid)
            except twilio_api.TwilioError as error:
                if error.status != 409:  # already mapped: that is what was wanted
                    raise

        remote.call(account, step)
    else:
        errors = DOMAIN_ERRORS if isinstance(row, SipDomain) else LIST_ERRORS
        row.remote_sid = remote.call(account, push_step(row), errors=errors)["sid"]
    row.sync_state, row.sync_error = SyncState.SYNCED, ""
    fields = ["sync_state", "sync_error"] + (
        [] if isinstance(row, CredentialAttachment) else ["remote_sid"]
    )
    row.save(update_fields=fields)
    record(
        request, Action.PUSHED, row, f"Pushed {row.activity_type.label.lower()} {row} to Twilio."
    )
    return row


@remote_first
def row_take(*, request: AppRequest, remote: Remote, row: SipDomain | CredentialList):
    """Takes Twilio's values for a domain or list that differs (its name, a domain's
    settings)."""
    account = row.setup_account
    if not account.connected:
        raise ValidationError(NOT_CONNECTED)
    if isinstance(row, SipDomain):
        item = remote.call(account, lambda api: api.fetch_domain(row.remote_sid))
        values = {
            "name": (item["friendly_name"] or row.domain)[:64],
            "voice_url": (item["voice_url"] or "")[:255],
            "voice_method": item["voice_method"] or "POST",
            "sip_registration": bool(item["sip_registration"]),
            "secure": bool(item["secure"]),
        }
        stored = {name: getattr(row, name) for name in values}
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=[*values])
        changes = {
            name: [stored[name], value] for name, value in values.items() if stored[name] != value
        }
        record(
            request, Action.UPDATED, row, f"Took Twilio's settings for SIP domain {row}.", changes
        )
        return row
    item = remote.call(account, lambda api: api.fetch_credential_list(row.remote_sid))
    old = row.name
    row.name = (item["friendly_name"] or old)[:64]
    save_unique(row, "name", LIST_NAME_TAKEN, update_fields=["name", "name_key"])
    summary = f"Took Twilio's name for credential list “{old}”: “{row.name}”."
    record(request, Action.RENAMED, row, summary, {"name": [old, row.name]})
    return row


@remote_first
def remote_delete(
    *,
    request: AppRequest,
    remote: Remote,
    account: ProviderAccount,
    kind: str,
    sid: str,
    label: str,
) -> None:
    """Deletes a domain or a credential list that only Twilio has, in Twilio."""
    if not account.connected:
        raise ValidationError(NOT_CONNECTED)
    lock_or_gone(ProviderAccount, account.pk)
    if kind == "domain":
        remote.call(account, lambda api: api.delete_domain(sid))
        object_type, what = SipDomain.activity_type, "SIP domain"
    else:
        remote.call(account, lambda api: api.delete_credential_list(sid))
        object_type, what = CredentialList.activity_type, "credential list"
    summary = f"Deleted {what} {label} in Twilio (this app did not have it)."
    record(
        request,
        Action.DELETED,
        None,
        summary,
        {"twilio_sid": [sid, None]},
        account=account,
        object_type=object_type,
        object_repr=label,
    )
