"""Writes that touch several rows at once."""

from __future__ import annotations

from django.db import transaction

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
