"""Recording changes. The services (sip/services.py, accounts/services.py) call record() in the
transaction of their write, so a change and its record land together or not at all; changes
holds each changed value as [before, after] (None: the object did not exist)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.db.models import QuerySet

from accounts.models import Activity
from accounts.models import ProviderAccount
from whippy.htmx import AppRequest

Action = Activity.Action
ObjectType = Activity.ObjectType


def of_type(request: AppRequest, records: QuerySet[Activity]) -> tuple[QuerySet[Activity], str]:
    """The records of the kind of object the query string asks for (?type=domain), and that
    kind; an unknown kind is ignored, as if none was asked for."""
    object_type = request.GET.get("type", "")
    if object_type in ObjectType.values:
        return records.filter(object_type=object_type), object_type
    return records, ""


def created(**values: Any) -> dict[str, list[Any]]:
    """The changes of a new object: each recorded value, from nothing."""
    return {name: [None, value] for name, value in values.items()}


def deleted(**values: Any) -> dict[str, list[Any]]:
    """The changes of a deleted object: each recorded value, to nothing."""
    return {name: [value, None] for name, value in values.items()}


def record(
    request: AppRequest,
    action: str,
    obj: Model | None,
    summary: str,
    changes: dict[str, Any] | None = None,
    *,
    account: ProviderAccount | None = None,
    object_type: str | None = None,
    object_repr: str | None = None,
    changes_setup: bool = True,
) -> Activity:
    """Call before a delete, while the object still has its primary key.

    The account and the kind of object come from obj (its setup_account and activity_type)
    unless given.

    changes_setup=False records something that changes nothing (a password test of the
    connection check): the setup version, and so the cached setup review, stay as they are.
    """
    account = account if account is not None else obj.setup_account
    object_type = object_type if object_type is not None else obj.activity_type
    if changes_setup:
        account.bump_setup_version()
        request.setup_changed = True  # see SetupChangedMiddleware
    return Activity.objects.create(
        organization_id=account.organization_id,
        account=account,
        account_name=account.name,
        account_key=account.pk,
        actor=request.user,
        actor_name=request.user.get_username(),
        action=action,
        object_type=object_type,
        object_id=obj.pk if obj is not None else None,
        object_repr=(object_repr if object_repr is not None else str(obj))[:255],
        summary=summary[:500],
        changes=changes or {},
    )
