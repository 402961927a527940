from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def organization(request: HttpRequest) -> dict[str, Any]:
    """The current membership and all of the user's, for the top bar (both set by the access
    helper in accounts.access)."""
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {"current_membership": membership}
    return {"current_membership": membership, "memberships": request.memberships}
