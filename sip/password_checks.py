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
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from typing import Any
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
from whippy.db import columns
from whippy.db import concrete
from whippy.db import lock_rows
from whippy.db import maker
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
         ORDER BY created_at DESC LIMIT 1 OFFSET %s) AS by_person,
        (SELECT created_at FROM accounts_activity
         WHERE action = %s AND created_at > %s AND account_id = %s AND object_repr = %s
         ORDER BY created_at DESC LIMIT 1 OFFSET %s) AS by_sip_user
"""


def throttled(
    request: HttpRequest, account: ProviderAccount, username: str, test: Callable[[], T]
) -> tuple[int, T | None]:
    """Runs a password test, test(), unless this user or this SIP user had the minute's tests:
    (0, what it returned), or (the seconds to wait, None).

    The tests are counted twice. First without a lock, by the form (domains_and_wait): the
    tests that count only add up while they are in the window (each is a committed record), so
    a count at the limit refuses at once, with no transaction (a refusal is what guessing gets,
    over and over). Below it, here, the user's and the account's rows are locked and the tests
    counted again, so requests sent together are counted one after the other instead of all
    seeing the same count; the test runs and is recorded under those locks.
    """
    with transaction.atomic():
        lock_rows((get_user_model(), request.user.pk), (ProviderAccount, account.pk))
        with connection.cursor() as cursor:
            now = timezone.now()
            cursor.execute(OLDEST_COUNTED, counted(now, request.user.pk, account, username))
            wait = wait_from(now, cursor.fetchone())
        return (wait, None) if wait else (0, test())


def domains_and_wait(
    account: ProviderAccount, names: list[str], tester: int | None, username: str | None
) -> tuple[list[SipDomain], int]:
    """The account's SIP domains of these names and, when username's password is to be
    tested by the user whose key is tester, the seconds until they may (0: now; without a
    username, the statement is the same and its count is not read), in one statement: a
    refused test costs a query less than two would (the count is the first of throttled()'s
    two). Raw SQL: the ORM took a millisecond to write what the database answers in a
    twentieth of that.

    The domain is found on the index of domains (unique across accounts): the unary + keeps
    PostgreSQL's plan made for every account (after five runs of a prepared statement) off
    the account's index, which read all 1,000 domains of a big account (0.2 ms a test).
    """
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {columns(SipDomain, 't')}, w.by_person, w.by_sip_user "  # noqa: S608 (quoted)
        f"FROM ({OLDEST_COUNTED}) w LEFT JOIN {quote(SipDomain._meta.db_table)} t "
        f"ON t.domain IN ({', '.join(['%s'] * len(names))}) AND +t.account_id = %s"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*counted(now, tester, account, username), *names, account.pk])
        rows = cursor.fetchall()
    key = concrete(SipDomain).index(SipDomain._meta.pk)
    make = maker(SipDomain)
    domains = [make(row[:-2]) for row in rows if row[key] is not None]
    return domains, wait_from(now, rows[0][-2:]) if username is not None else 0


def counted(
    now: datetime, tester: int | None, account: ProviderAccount, username: str | None
) -> list:
    """OLDEST_COUNTED's parameters: the tests of the last minute by the tester, and of the
    username on the account (None, NULL: no tests are of no username)."""
    since = Activity._meta.get_field("created_at").get_db_prep_value(now - WINDOW, connection)
    action, skip = Action.PASSWORD_CHECKED.value, settings.PASSWORD_CHECKS_PER_MINUTE - 1
    return [action, since, tester, skip, action, since, account.pk, username, skip]


def wait_from(now: datetime, oldest_counted: Sequence[Any]) -> int:
    """Seconds until the oldest counted tests (OLDEST_COUNTED's answer, as the database gave
    it) leave the window: 0 when fewer than the limit were made."""
    oldest = [read_value(Activity, "created_at", time) for time in oldest_counted if time]
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
