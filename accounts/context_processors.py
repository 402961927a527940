from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from whippy.fragments import Frame


def organization(request: HttpRequest) -> dict[str, Any]:
    """The current membership and all of the user's, for the top bar (both set by the access
    helper in accounts.access), and the key of the top bar and sidebar as cached (frame)."""
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {"current_membership": membership}
    return {
        "current_membership": membership,
        "memberships": request.memberships,
        "frame": Frame.of(request),
    }
