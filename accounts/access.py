"""Access helpers: every view resolves its objects through these.

Membership first (no membership: 404, the organization does not exist for that user), then the
object inside that organization (another organization's object: 404), then the role (403), and
for a change, the person's rate of changes (429, accounts/limits.py).
"""

from __future__ import annotations

import functools
import zoneinfo

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import timezone

from accounts import two_factor
from accounts.limits import check_write_rate
from accounts.models import Membership
from accounts.models import Organization
from accounts.models import ProviderAccount
from whippy.db import columns
from whippy.db import instance
from whippy.db import storable
from whippy.htmx import AppRequest


def get_membership(request: AppRequest, org_slug: str, *, admin: bool = False) -> Membership:
    membership = find_membership(request, org_slug)
    if admin:
        require_change(request, membership)
    return membership


def find_membership(
    request: AppRequest, org_slug: str, account_id: int | None = None
) -> Membership:
    """The user's membership of the organization, from all of the user's memberships: the top
    bar's organization switcher needs them too (accounts.context_processors). With account_id,
    the organization's account of that id, if it has one, as membership.account (None
    otherwise). One query for both, every page runs it (_memberships())."""
    memberships = _memberships(request.user.pk, account_id)
    membership = next((m for m in memberships if m.organization.slug == org_slug), None)
    if membership is None:
        raise Http404("No such organization.")
    request.membership = membership
    request.memberships = memberships
    if membership.needs_two_factor and not two_factor.verified(request):
        raise two_factor.TwoFactorNeeded  # required since this session signed in
    timezone.activate(zoneinfo.ZoneInfo(membership.organization.time_zone))
    return membership


@functools.cache
def _memberships_sql() -> str:
    tables = (model._meta.db_table for model in (Membership, Organization, ProviderAccount))
    membership, organization, account = tables
    # Every name in it comes from the models; the values are parameters.
    return (
        f"SELECT {columns(Membership, 'm')}, {columns(Organization, 'o')}, "  # noqa: S608
        f"{columns(ProviderAccount, 'a')} "
        f"FROM {membership} m INNER JOIN {organization} o ON o.id = m.organization_id "
        f"LEFT OUTER JOIN {account} a ON a.organization_id = o.id AND a.id = %s "
        "WHERE m.user_id = %s ORDER BY o.name"
    )


def _memberships(user_id: int, account_id: int | None) -> list[Membership]:
    """The user's memberships with their organizations, by the organization's name, each with
    the account of account_id if it is in its organization.

    SQL of its own: the ORM spent 1.7 ms of a 7 ms page building and compiling this query
    (0.1 ms to run it). The columns are the models' own (whippy.db.columns).
    """
    if account_id is not None and not storable(account_id):
        account_id = None  # no account has it: none is found
    sizes = [len(model._meta.concrete_fields) for model in (Membership, Organization)]
    with connection.cursor() as cursor:
        cursor.execute(_memberships_sql(), [account_id, user_id])
        rows = cursor.fetchall()
    memberships = []
    for row in rows:
        membership = instance(Membership, row[: sizes[0]])
        membership.organization = instance(Organization, row[sizes[0] : sum(sizes)])
        account = row[sum(sizes) :]
        membership.account = None if account[0] is None else instance(ProviderAccount, account)
        memberships.append(membership)
    return memberships


def require_admin(membership: Membership) -> None:
    if not membership.is_admin:
        raise PermissionDenied("Support staff can view this setup but not change it.")


def require_change(request: AppRequest, membership: Membership) -> None:
    """For a view that changes something: the role, then (for a POST) the rate of changes.

    Views that act on an object call this after looking the object up, so that another
    organization's (or account's) object is a 404 for everyone, support staff included.
    """
    require_admin(membership)
    if request.method == "POST":
        check_write_rate(request)


def get_account(
    request: AppRequest, org_slug: str, account_id: int, *, admin: bool = False
) -> tuple[Membership, ProviderAccount]:
    membership = find_membership(request, org_slug, account_id)
    account = membership.account
    if account is None:
        raise Http404("No such account.")
    account.organization = membership.organization
    if admin:
        require_change(request, membership)
    return membership, account
