"""Password tests of the connection check: throttled, and recorded without the password.

A typed password is compared with the stored digest, which makes the check a way to guess
passwords. So each user may test PASSWORD_CHECKS_PER_MINUTE passwords a minute, and each SIP
user may be tested that often, whoever asks; every test is recorded in Activity ("checked the
password of desk-12 on hq.sip.twilio.com: did not match"). The count comes from those records,
so it holds across processes and hosts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db import transaction
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
from whippy.db import lock_rows
from whippy.db import read_value

T = TypeVar("T")
WINDOW = timedelta(minutes=1)
LIVE_TIMEOUT = 3.0  # seconds a real REGISTER waits for each answer


# The limit-th newest password test of the person, and of the SIP user, within the window: the
# oldest test that counts, or NULL while fewer were made. On the actor's and the account's
# indexes of recent activity.
OLDEST_COUNTED = """
    SELECT
        (SELECT created_at FROM accounts_activity
         WHERE action = %s AND created_at > %s AND actor_id = %s
         ORDER BY created_at DESC LIMIT 1 OFFSET %s),
        (SELECT created_at FROM accounts_activity
         WHERE action = %s AND created_at > %s AND account_id = %s AND object_repr = %s
         ORDER BY created_at DESC LIMIT 1 OFFSET %s)
"""


def throttled(
    request: HttpRequest, account: ProviderAccount, username: str, test: Callable[[], T]
) -> tuple[int, T | None]:
    """Runs a password test, test(), unless this user or this SIP user had the minute's tests:
    (0, what it returned), or (the seconds to wait, None).

    The tests are counted twice. First without a lock: the tests that count only add up while
    they are in the window (each is a committed record), so a count at the limit refuses at
    once, with no transaction (a refusal is what guessing gets, over and over). Below it, the
    user's and the account's rows are locked and the tests counted again, so requests sent
    together are counted one after the other instead of all seeing the same count; the test
    runs and is recorded under those locks.
    """
    wait = wait_seconds(request, account, username)
    if wait:
        return wait, None
    with transaction.atomic():
        lock_rows((get_user_model(), request.user.pk), (ProviderAccount, account.pk))
        wait = wait_seconds(request, account, username)
        return (wait, None) if wait else (0, test())


def wait_seconds(request: HttpRequest, account: ProviderAccount, username: str) -> int:
    """Seconds until this user may test a password for this SIP user again (0: now), from one
    statement (raw SQL: the ORM took a millisecond to write what the database answers in a
    twentieth of that)."""
    now = timezone.now()
    since = Activity._meta.get_field("created_at").get_db_prep_value(now - WINDOW, connection)
    action, skip = Action.PASSWORD_CHECKED.value, settings.PASSWORD_CHECKS_PER_MINUTE - 1
    with connection.cursor() as cursor:
        cursor.execute(
            OLDEST_COUNTED,
            [action, since, request.user.pk, skip, action, since, account.pk, username, skip],
        )
        oldest = [read_value(Activity, "created_at", time) for time in cursor.fetchone() if time]
    waits = [(time + WINDOW - now).total_seconds() for time in oldest]
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
