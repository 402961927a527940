"""Writes to provider accounts, shared by the views and the Django admin."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from accounts.activity import Action, ObjectType, record
from accounts.models import ProviderAccount


@transaction.atomic
def account_rename(*, request: HttpRequest, account: ProviderAccount, name: str) -> ProviderAccount:
    """Renames an account and records it. A name taken meanwhile raises IntegrityError."""
    old_name = ProviderAccount.objects.select_for_update().values_list("name", flat=True)
    old_name = old_name.get(pk=account.pk)
    account.name = name
    account.save(update_fields=["name"])
    record(
        request,
        account=account,
        action=Action.RENAMED,
        object_type=ObjectType.ACCOUNT,
        obj=account,
        summary=f"Renamed account “{old_name}” to “{name}”.",
        changes={"name": [old_name, name]},
    )
    return account
