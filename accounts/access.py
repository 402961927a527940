"""Access helpers: every view resolves its objects through these.

Membership first (no membership: 404, the organization does not exist for that user), then the
object inside that organization (another organization's object: 404), then the role (403), and
for a change, the person's rate of changes (429, accounts/limits.py).
"""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.limits import check_write_rate
from accounts.models import Membership
from accounts.models import ProviderAccount
from whippy.htmx import AppRequest


def get_membership(request: AppRequest, org_slug: str, *, admin: bool = False) -> Membership:
    # All of the user's memberships in one query: the top bar's organization switcher needs
    # them too (accounts.context_processors.organization).
    memberships = list(
        Membership.objects.select_related("organization")
        .filter(user_id=request.user.pk)
        .order_by("organization__name")
    )
    membership = next((m for m in memberships if m.organization.slug == org_slug), None)
    if membership is None:
        raise Http404("No such organization.")
    request.membership = membership
    request.memberships = memberships
    timezone.activate(zoneinfo.ZoneInfo(membership.organization.time_zone))
    if admin:
        require_change(request, membership)
    return membership


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
    membership = get_membership(request, org_slug)
    account = get_object_or_404(
        ProviderAccount, pk=account_id, organization_id=membership.organization_id
    )
    account.organization = membership.organization
    if admin:
        require_change(request, membership)
    return membership, account
