"""Writes to provider accounts, shared by the views and the Django admin.

Each one locks what it must, checks what only holds under the lock, saves, records the change
(with its values before and after) and so bumps the account's setup version, in one
transaction. A refusal is a ValidationError (beside a field when it names one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

from accounts.activity import Action
from accounts.activity import created
from accounts.activity import deleted
from accounts.activity import record
from accounts.models import ACCOUNT_NAME_TAKEN
from accounts.models import Organization
from accounts.models import ProviderAccount
from whippy.db import lock
from whippy.db import lock_or_gone
from whippy.db import save_unique
from whippy.htmx import AppRequest


def joined_counts(contents: list[tuple[int, str]]) -> str:
    """[(2, "SIP domains"), (1, "credential list")] -> "2 SIP domains and 1 credential list"."""
    parts = [f"{count} {name}" for count, name in contents]
    return ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else "".join(parts)


M = TypeVar("M", bound=Model)


class StillHas(ValidationError):
    """An account that still has objects cannot be deleted."""

    def __init__(self, contents: list[tuple[int, str]]) -> None:
        self.contents = contents
        super().__init__(
            f"This account cannot be deleted while it still has {joined_counts(contents)}."
        )


@transaction.atomic
def account_create(
    *, request: AppRequest, organization: Organization, name: str, provider: str
) -> ProviderAccount:
    lock(Organization, organization.pk)  # the account limit sees a settled count
    account = ProviderAccount(organization=organization, name=name, provider=provider)
    account.check_limits()
    save_unique(account, "name", ACCOUNT_NAME_TAKEN)
    summary = f"Added {account.get_provider_display()} account “{name}”."
    record(request, Action.CREATED, account, summary, created(name=name, provider=provider))
    return account


def rename(
    request: AppRequest,
    obj: M,
    name: str,
    summary: Callable[[str], str],
    *,
    taken: str | None = None,
    update_fields: tuple[str, ...] = ("name",),
) -> M:
    """Renames an account, a SIP domain or a credential list, and records it with the name
    before (read with the row locked: a form may already have changed the instance). With
    taken, the name is unique: one taken meanwhile is that field error, and nothing changes.
    summary(old name) is the Activity sentence."""
    rows = type(obj)._default_manager.select_for_update()
    old_name = rows.values_list("name", flat=True).get(pk=obj.pk)
    obj.name = name
    if taken is None:
        obj.save(update_fields=update_fields)
    else:
        save_unique(obj, "name", taken, update_fields=update_fields)
    record(request, Action.RENAMED, obj, summary(old_name), {"name": [old_name, name]})
    return obj


@transaction.atomic
def account_rename(*, request: AppRequest, account: ProviderAccount, name: str) -> ProviderAccount:
    """Renames an account; a name taken meanwhile is a field error and changes nothing."""
    return rename(
        request,
        account,
        name,
        lambda old: f"Renamed account “{old}” to “{name}”.",
        taken=ACCOUNT_NAME_TAKEN,
    )


@transaction.atomic
def account_delete(*, request: AppRequest, account: ProviderAccount) -> ProviderAccount:
    """Deletes an account that has nothing left in it; raises StillHas otherwise."""
    lock_or_gone(ProviderAccount, account.pk)
    contents = account.contents()  # read under the lock: nothing can be added meanwhile
    if contents:
        raise StillHas(contents)
    changes = deleted(name=account.name, provider=account.provider)
    record(request, Action.DELETED, account, f"Deleted account “{account.name}”.", changes)
    account.delete()
    return account


def organization_two_factor(
    *, request: AppRequest, organization: Organization, rule: str
) -> Organization:
    """Who in the organization must sign in with a second factor. The admin who sets a rule
    that applies to them has theirs already (the form checks it)."""
    organization.two_factor = rule
    organization.save(update_fields=["two_factor"])
    return organization
