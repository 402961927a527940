"""Password tests of the connection check: throttled, and recorded without the password.

A typed password is compared with the stored digest, which makes the check a way to guess
passwords. So each user may test PASSWORD_CHECKS_PER_MINUTE passwords a minute, and each SIP
user may be tested that often, whoever asks; every test is recorded in Activity ("checked the
password of desk-12 on hq.sip.twilio.com: did not match"). The count comes from those records,
so it holds across processes and hosts.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from accounts.activity import Action
from accounts.activity import ObjectType
from accounts.activity import record
from accounts.models import Activity
from accounts.models import ProviderAccount
from sip.diagnosis import Verdict
from sip.models import Credential
from sip.models import SipDomain
from sip.sip_client import Answer
from sip.sip_client import register
from whippy.db import lock

WINDOW = timedelta(minutes=1)
LIVE_TIMEOUT = 3.0  # seconds a real REGISTER waits for each answer


def wait_seconds(request: HttpRequest, account: ProviderAccount, username: str) -> int:
    """Seconds until this user may test a password for this SIP user again (0: now).

    Call inside a transaction: the user's and the account's rows stay locked until it ends, so
    parallel requests are counted one after the other instead of all seeing the same count.
    """
    lock(get_user_model(), request.user.pk)
    lock(ProviderAccount, account.pk)
    limit = settings.PASSWORD_CHECKS_PER_MINUTE
    now = timezone.now()
    recent = Activity.objects.filter(action=Action.PASSWORD_CHECKED, created_at__gt=now - WINDOW)
    waits = []
    for tests in (
        recent.filter(actor_id=request.user.pk),
        recent.filter(account=account, object_repr=username),
    ):
        times = list(tests.order_by("-created_at").values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            waits.append((times[-1] + WINDOW - now).total_seconds())
    return max(1, math.ceil(max(waits))) if waits else 0


def too_many(wait: int) -> str:
    limit = settings.PASSWORD_CHECKS_PER_MINUTE
    return (
        f"Too many password tests: each person can test {limit} passwords a minute, and each "
        f"SIP user can be tested {limit} times a minute. Try again in {wait} second"
        f"{'' if wait == 1 else 's'}, or check without a password."
    )


def sip_server(domain: SipDomain) -> tuple[str, int]:
    """Where a real REGISTER goes: the deployment's SIP server (settings.SIP_SERVER), or the
    SIP domain itself on the SIP port, as a phone would. Never a host typed by a user."""
    if settings.SIP_SERVER:
        host, port = settings.SIP_SERVER.rsplit(":", 1)
        return host, int(port)
    return domain.domain, 5060


def register_for_real(domain: SipDomain, username: str, password: str) -> Answer:
    """A real REGISTER for the username and password; the answer, or status 0 for none within
    LIVE_TIMEOUT seconds (or a server that cannot be reached)."""
    try:
        return register(
            sip_server(domain),
            username=username,
            password=password,
            domain=domain.domain,
            timeout=LIVE_TIMEOUT,
        )
    except (OSError, ValueError):  # no such host, network unreachable, an unusable challenge
        return Answer(0, "")


def record_test(
    request: HttpRequest,
    account: ProviderAccount,
    username: str,
    domain: SipDomain,
    verdicts: list[Verdict],
) -> Activity:
    matched = {cl.pk: cl for v in verdicts for cl in v.password_matches}
    if matched:
        names = " and ".join(f"“{cl.name}”" for cl in matched.values())
        outcome = f"matched the one in {names}"
    elif any(v.password_checked for v in verdicts):
        outcome = "did not match"
    else:
        outcome = f"not compared, since {username} cannot authenticate there"
    credential = Credential.objects.filter(account=account, username=username).first()
    return record(
        request,
        Action.PASSWORD_CHECKED,
        credential,
        f"Checked the password of {username} on {domain.domain}: {outcome}.",
        {"password test": outcome},
        account=account,
        object_type=ObjectType.CREDENTIAL,
        object_repr=username,
        changes_setup=False,
    )


def record_live(test: Activity, domain: SipDomain, live: Answer) -> None:
    """Adds a real REGISTER's answer to the record of the password test it belongs to."""
    host, port = sip_server(domain)
    test.summary = f"{test.summary} A real REGISTER to {host}:{port}: {live.text}."[:500]
    test.changes = {**test.changes, "real REGISTER": live.text}
    test.save(update_fields=["summary", "changes"])
