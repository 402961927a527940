"""Every write to the SIP setup, shared by the views and the Django admin.

Each one locks what it must, checks what only holds under the lock (limits, a name taken
meanwhile), saves, records the change in Activity with its values before and after, and so
bumps the account's setup version, in one transaction. It returns what it changed; a refusal
is a ValidationError (beside a field when it names one), shown the way the form shows its own.
Locks are taken parent first (organization, account, domain, list), the same order everywhere.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import pluralize

from accounts.activity import Action
from accounts.activity import created
from accounts.activity import deleted
from accounts.activity import record
from accounts.models import Organization
from accounts.models import ProviderAccount
from accounts.services import rename
from sip.models import DOMAIN_IN_USE
from sip.models import LIST_NAME_TAKEN
from sip.models import USERNAME_TAKEN
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.models import already_attached
from sip.models import password_version
from whippy.db import Gone
from whippy.db import lock_or_gone
from whippy.db import save_unique
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


@transaction.atomic
def domain_create(
    *, request: AppRequest, account: ProviderAccount, name: str, prefix: str
) -> SipDomain:
    # Limits (the provider's and the organization's share) and deletes see settled counts.
    lock_or_gone(Organization, account.organization_id)
    lock_or_gone(ProviderAccount, account.pk)
    domain = SipDomain(account=account, name=name, prefix=prefix)
    domain.check_limits()
    save_unique(domain, "prefix", DOMAIN_IN_USE)
    summary = f"Added SIP domain {domain.domain} (“{name}”)."
    record(request, Action.CREATED, domain, summary, created(name=name, domain=domain.domain))
    return domain


@transaction.atomic
def domain_rename(*, request: AppRequest, domain: SipDomain, name: str) -> SipDomain:
    """Renames a SIP domain: only its friendly name can change."""
    return rename(
        request, domain, name, lambda old: f"Renamed SIP domain {domain} from “{old}” to “{name}”."
    )


@transaction.atomic
def domain_delete(*, request: AppRequest, domain: SipDomain) -> SipDomain:
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
    record(request, Action.DELETED, domain, summary, changes)
    domain.delete()
    return domain


# Credential lists


@transaction.atomic
def credential_list_create(
    *, request: AppRequest, account: ProviderAccount, name: str
) -> CredentialList:
    lock_or_gone(ProviderAccount, account.pk)  # the limit and deletes see a settled count
    credential_list = CredentialList(account=account, name=name)
    credential_list.check_limits()
    save_unique(credential_list, "name", LIST_NAME_TAKEN)
    summary = f"Added credential list “{name}”."
    record(request, Action.CREATED, credential_list, summary, created(name=name))
    return credential_list


@transaction.atomic
def credential_list_rename(
    *, request: AppRequest, credential_list: CredentialList, name: str
) -> CredentialList:
    """Renames a credential list; a name taken meanwhile is a field error, nothing changed."""
    return rename(
        request,
        credential_list,
        name,
        lambda old: f"Renamed credential list “{old}” to “{name}”.",
        taken=LIST_NAME_TAKEN,
        update_fields=("name", "name_key"),
    )


@transaction.atomic
def credential_list_delete(*, request: AppRequest, credential_list: CredentialList) -> int:
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
    record(request, Action.DELETED, credential_list, summary, changes)
    credential_list.delete()
    return count


# Credentials (SIP users)


@transaction.atomic
def credential_create(
    *, request: AppRequest, credential_list: CredentialList, username: str, password: str
) -> Credential:
    """Adds a SIP user; only the digests of its password are kept."""
    lock_or_gone(CredentialList, credential_list.pk)  # the limit sees a settled count
    credential = Credential(credential_list=credential_list, username=username)
    credential.check_limits()
    credential.set_password(password)
    save_unique(credential, "username", USERNAME_TAKEN)
    summary = f"Added SIP user “{username}” to “{credential_list.name}”."
    changes = created(username=username, credential_list=credential_list.name)
    record(request, Action.CREATED, credential, summary, changes)
    return credential


@transaction.atomic
def credential_rotate(
    *, request: AppRequest, credential: Credential, password: str, version: str | None = None
) -> Credential:
    """Sets a new password. version, when given, is the password the caller saw
    (password_version): if another rotation came first, AlreadyRotated is raised and nothing
    changes, since a second, silent rotation would lose the password shown for the first."""
    stored = Credential.objects.select_for_update().only("password_changed_at")
    before = stored.get(pk=credential.pk).password_changed_at
    credential.password_changed_at = before
    if version is not None and password_version(credential) != version:
        raise AlreadyRotated("The password was rotated after this form was opened.")
    credential.set_password(password)
    credential.save(update_fields=["ha1_md5", "ha1_sha256", "password_changed_at"])
    summary = (
        f"Rotated the password of SIP user “{credential.username}” "
        f"in “{credential.credential_list.name}”."
    )
    # When, never what: no password or digest is recorded.
    changes = {"password_changed_at": [before.isoformat(), password_version(credential)]}
    record(request, Action.PASSWORD_ROTATED, credential, summary, changes)
    return credential


@transaction.atomic
def credential_delete(*, request: AppRequest, credential: Credential) -> Credential:
    credential_list = credential.credential_list
    summary = f"Deleted SIP user “{credential.username}” from “{credential_list.name}”."
    changes = deleted(username=credential.username, credential_list=credential_list.name)
    record(request, Action.DELETED, credential, summary, changes)
    credential.delete()
    return credential


# Credential attachments


@transaction.atomic
def attachment_create(
    *,
    request: AppRequest,
    domain: SipDomain,
    credential_list: CredentialList,
    purposes: list[Purpose],
) -> tuple[list[CredentialAttachment], list[Purpose]]:
    """Attaches a list to a domain for each purpose; returns (attachments added, purposes that
    were already there). Refuses (ValidationError) when nothing is left to add.

    get_or_create settles a race on the unique constraint: a concurrent or double submit of
    the same link finds the other request's row instead of failing.
    """
    if domain.account_id != credential_list.account_id:
        raise ValueError("The domain and the list belong to different accounts.")
    try:
        lock_or_gone(SipDomain, domain.pk)
        lock_or_gone(CredentialList, credential_list.pk)
    except Gone as error:
        raise ValidationError(GONE) from error
    added: list[CredentialAttachment] = []
    existing: list[Purpose] = []
    for purpose in purposes:
        attachment, new = CredentialAttachment.objects.get_or_create(
            domain=domain, credential_list=credential_list, purpose=purpose
        )
        if new:
            added.append(attachment)
        else:
            existing.append(purpose)
    if not added:
        # Another request attached the same link between validation and saving.
        raise ValidationError(already_attached(credential_list, domain, existing))
    for attachment in added:
        purpose = attachment.get_purpose_display().lower()
        summary = f"Attached “{credential_list.name}” to {domain} for {purpose}."
        changes = created(
            domain=domain.domain, credential_list=credential_list.name, purpose=purpose
        )
        record(request, Action.ATTACHED, attachment, summary, changes)
    return added, existing


@transaction.atomic
def attachment_delete(
    *, request: AppRequest, attachment: CredentialAttachment
) -> CredentialAttachment:
    domain, credential_list = attachment.domain, attachment.credential_list
    purpose = attachment.get_purpose_display().lower()
    summary = f"Detached “{credential_list.name}” from {domain} for {purpose}."
    changes = deleted(domain=domain.domain, credential_list=credential_list.name, purpose=purpose)
    record(request, Action.DETACHED, attachment, summary, changes)
    attachment.delete()
    return attachment
