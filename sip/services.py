"""Writes to the SIP setup, shared by the views and the Django admin: each saves, records the
change in Activity and bumps the account's setup version in one transaction."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from accounts.activity import Action, ObjectType, record
from sip.models import CredentialAttachment, CredentialList, Purpose, SipDomain
from whippy.db import lock


class Gone(Exception):
    """The domain or the list was deleted by another request."""


def attachment_create(
    *, domain: SipDomain, credential_list: CredentialList, purposes: list[Purpose]
) -> tuple[list[CredentialAttachment], list[Purpose]]:
    """Attaches a list to a domain for each purpose; returns (attachments added, purposes that
    were already there).

    get_or_create settles a race on the unique constraint: a concurrent or double submit of
    the same link finds the other request's row instead of failing.
    """
    if domain.account_id != credential_list.account_id:
        raise ValueError("The domain and the list belong to different accounts.")
    added: list[CredentialAttachment] = []
    existing: list[Purpose] = []
    with transaction.atomic():
        # Locked in this order everywhere, so a concurrent delete of either waits (or wins).
        if not (lock(SipDomain, domain.pk) and lock(CredentialList, credential_list.pk)):
            raise Gone
        for purpose in purposes:
            attachment, created = CredentialAttachment.objects.get_or_create(
                domain=domain, credential_list=credential_list, purpose=purpose
            )
            if created:
                added.append(attachment)
            else:
                existing.append(purpose)
    return added, existing


def _stored_name(model: type[SipDomain] | type[CredentialList], pk: int) -> str:
    """The name as stored (a form may already have changed the instance), with the row locked."""
    return model.objects.select_for_update().values_list("name", flat=True).get(pk=pk)


@transaction.atomic
def domain_rename(*, request: HttpRequest, domain: SipDomain, name: str) -> SipDomain:
    """Renames a SIP domain (only its friendly name can change) and records it."""
    old_name = _stored_name(SipDomain, domain.pk)
    domain.name = name
    domain.save(update_fields=["name"])
    record(
        request,
        account=domain.account,
        action=Action.RENAMED,
        object_type=ObjectType.DOMAIN,
        obj=domain,
        summary=f"Renamed SIP domain {domain.domain} from “{old_name}” to “{name}”.",
        changes={"name": [old_name, name]},
    )
    return domain


@transaction.atomic
def credential_list_rename(
    *, request: HttpRequest, credential_list: CredentialList, name: str
) -> CredentialList:
    """Renames a credential list and records it. A name taken meanwhile raises IntegrityError."""
    old_name = _stored_name(CredentialList, credential_list.pk)
    credential_list.name = name
    credential_list.save(update_fields=["name", "name_key"])
    record(
        request,
        account=credential_list.account,
        action=Action.RENAMED,
        object_type=ObjectType.CREDENTIAL_LIST,
        obj=credential_list,
        summary=f"Renamed credential list “{old_name}” to “{name}”.",
        changes={"name": [old_name, name]},
    )
    return credential_list
