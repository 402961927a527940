"""Recording changes. Write views run in a transaction (transaction.atomic) and call record()
in it, so a change and its record land together or not at all."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model
from django.http import HttpRequest

from accounts.models import Activity, ProviderAccount

Action = Activity.Action
ObjectType = Activity.ObjectType


def record(
    request: HttpRequest,
    *,
    account: ProviderAccount,
    action: str,
    object_type: str,
    obj: Model,
    summary: str,
    changes: dict[str, Any] | None = None,
) -> Activity:
    """Call before a delete, while the object still has its primary key."""
    ProviderAccount.objects.filter(pk=account.pk).update(setup_version=F("setup_version") + 1)
    request.setup_changed = True  # type: ignore[attr-defined]  # see SetupChangedMiddleware
    account.setup_version += 1  # the views answer with the new state in the same request
    return Activity.objects.create(
        organization_id=account.organization_id,
        account=account,
        account_name=account.name,
        actor=request.user,
        actor_name=request.user.get_username(),
        action=action,
        object_type=object_type,
        object_id=obj.pk,
        object_repr=str(obj)[:255],
        summary=summary[:500],
        changes=changes or {},
    )
