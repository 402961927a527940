"""Limits that keep one organization from taking more than its share.

SIP domain names are global (one provider namespace for everyone), so a tenant that creates
domains as fast as it can could reserve every good name. Each organization has at most
MAX_ACCOUNTS_PER_ORGANIZATION provider accounts and MAX_SIP_DOMAINS_PER_ORGANIZATION SIP domains
(on top of each provider's own limits), and each person makes at most WRITES_PER_MINUTE changes
a minute. The write count comes from the Activity records, so it holds across processes and
hosts; parallel requests of one person may pass it by a few.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Activity

WINDOW = timedelta(minutes=1)


class TooManyWrites(Exception):
    def __init__(self, wait: int) -> None:
        self.wait = wait
        limit = settings.WRITES_PER_MINUTE
        super().__init__(
            f"You have made {limit} change{'' if limit == 1 else 's'} in the last minute, the "
            "most one person can make. "
            f"Wait {wait} second{'' if wait == 1 else 's'}, then try again: nothing was changed."
        )


def check_write_rate(request: HttpRequest) -> None:
    limit = settings.WRITES_PER_MINUTE
    now = timezone.now()
    recent = (
        Activity.objects.filter(actor_id=request.user.pk, created_at__gt=now - WINDOW)
        .exclude(action=Activity.Action.PASSWORD_CHECKED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    times = list(recent)
    if len(times) >= limit:
        raise TooManyWrites(max(1, math.ceil((times[-1] + WINDOW - now).total_seconds())))
