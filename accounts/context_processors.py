from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership


def organization(request: HttpRequest) -> dict[str, Any]:
    """The current membership (set by the access helper) and the user's others, for the top bar."""
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {"current_membership": membership}
    return {
        "current_membership": membership,
        "memberships": SimpleLazyObject(
            lambda: list(
                Membership.objects.filter(user_id=request.user.pk)
                .select_related("organization")
                .order_by("organization__name")
            )
        ),
    }
