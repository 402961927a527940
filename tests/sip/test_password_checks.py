"""The connection check's password tests are throttled and recorded, never the password."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Activity
from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from tests.conftest import HTMX

PASSWORD = "Desk-Phone-Pass-1234"
WRONG = "Wrong-Pass-0000"


@pytest.fixture
def desk(account, domain):
    phones = CredentialList.objects.create(account=account, name="Phones")
    for username in ("desk", "lobby"):
        credential = Credential(credential_list=phones, username=username)
        credential.set_password(PASSWORD)
        credential.save()
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    return phones


def check(client, account, password, username="desk"):
    return client.post(
        f"/o/acme/accounts/{account.pk}/sip-users/check/",
        {"username": username, "domain": "acme-hq", "password": password},
        headers=HTMX,
    ).content.decode()


def recorded_tests() -> int:
    return Activity.objects.filter(action=Activity.Action.PASSWORD_CHECKED).count()


def test_eleventh_password_in_a_minute_is_refused_even_the_right_one(admin_client, account, desk):
    for _ in range(10):
        assert "does not match" in check(admin_client, account, WRONG)
    before = timezone.now()
    refused = check(admin_client, account, PASSWORD)
    after = timezone.now()
    assert "Too many password tests" in refused
    # The first of the ten leaves the minute's window a minute after it was made: the wait
    # stated is that, in whole seconds, from a moment while the refusal was answered.
    first = Activity.objects.filter(action=Activity.Action.PASSWORD_CHECKED).earliest("created_at")
    leaves = first.created_at + timedelta(minutes=1)
    stated = int(re.search(r"Try again in (\d+) seconds", refused).group(1))
    assert math.ceil((leaves - after).total_seconds()) <= stated
    assert stated <= math.ceil((leaves - before).total_seconds())
    assert "password matches" not in refused and "Calls: can authenticate" not in refused
    assert 'value="desk"' in refused and 'value="acme-hq"' in refused  # what was typed stays
    assert PASSWORD not in refused
    assert recorded_tests() == 10  # a refused attempt is not a test


def test_the_limit_is_per_sip_user_whoever_asks(admin_client, support_client, account, desk):
    for _ in range(10):
        check(admin_client, account, WRONG)
    with CaptureQueriesContext(connection) as queries:
        assert "Too many password tests" in check(support_client, account, PASSWORD)
    # Refused by the count made without a lock: no transaction (no savepoint in a test).
    assert not [q for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    # Another SIP user can still be tested by someone who has tests left.
    assert "password matches" in check(support_client, account, PASSWORD, username="lobby")


def test_the_limit_is_per_person_across_sip_users(admin_client, account, desk, settings):
    settings.PASSWORD_CHECKS_PER_MINUTE = 3
    for username in ("desk", "lobby", "nobody"):
        check(admin_client, account, WRONG, username=username)
    assert "Too many password tests" in check(admin_client, account, PASSWORD, username="lobby")
    assert "3 passwords a minute" in check(admin_client, account, PASSWORD, username="lobby")


def test_tests_are_allowed_again_after_a_minute(admin_client, account, desk):
    for _ in range(10):
        check(admin_client, account, WRONG)
    assert "Too many password tests" in check(admin_client, account, PASSWORD)
    Activity.objects.update(created_at=Activity.objects.first().created_at - timedelta(seconds=61))
    assert "and the password matches" in check(admin_client, account, PASSWORD)


def test_checks_without_a_password_are_neither_throttled_nor_recorded(admin_client, account, desk):
    for _ in range(12):
        html = check(admin_client, account, "")
        assert "Calls: can authenticate" in html and "password not checked" in html
    assert recorded_tests() == 0


def test_past_the_limit_a_check_without_a_password_still_answers(admin_client, account, desk):
    for _ in range(10):
        check(admin_client, account, WRONG)
    html = check(admin_client, account, "")
    assert "Calls: can authenticate" in html and "password not checked" in html
    assert "Too many password tests" not in html


def test_a_refused_test_also_says_what_else_is_wrong(admin_client, account, desk):
    for _ in range(10):
        check(admin_client, account, WRONG)
    html = admin_client.post(
        f"/o/acme/accounts/{account.pk}/sip-users/check/",
        {"username": "desk", "domain": "acme-nowhere", "password": PASSWORD},
        headers=HTMX,
    ).content.decode()
    assert "Too many password tests" in html
    assert "This account has no SIP domain “acme-nowhere”." in html
    assert 'value="acme-nowhere"' in html
    assert recorded_tests() == 10


def test_a_refused_tests_form_is_rendered_once_for_what_it_shows(
    admin_client, account, desk, monkeypatch
):
    """The answer that guessing gets over and over: its form is rendered for what was typed
    and the wait it states, then kept (whippy.forms.shown), each answer with its own CSRF
    token; another username or another wait is another form, and no password is kept."""
    from whippy import fragments
    from whippy import rows

    for _ in range(10):
        check(admin_client, account, WRONG)
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)  # the wait stated stays the same
    rendered = []
    render = rows.part

    def counted(template, **values):
        if template == "_check_form.html":
            rendered.append(values["form"]["username"].value())
        return render(template, **values)

    monkeypatch.setattr(rows, "part", counted)
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    first = check(admin_client, account, PASSWORD)
    again = check(admin_client, account, WRONG)  # another password: the same form shown
    assert "Too many password tests" in first and rendered == ["desk"]
    assert token.sub("", again) == token.sub("", first)
    assert token.search(again).group(1) != token.search(first).group(1)
    other = check(admin_client, account, PASSWORD, username="lobby")
    assert rendered == ["desk", "lobby"]
    assert 'value="lobby"' in other and 'value="desk"' not in other
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=1))
    later = check(admin_client, account, PASSWORD)
    assert rendered == ["desk", "lobby", "desk"]
    wait = re.compile(r"Try again in (\d+) seconds")
    assert int(wait.search(later).group(1)) == int(wait.search(first).group(1)) - 1
    kept = [html for html, _stand_ins in fragments.caches[fragments.ALIAS]._cache.values()]
    assert len([html for html in kept if "Too many password tests" in html]) == 3
    assert not [html for html in kept if PASSWORD in html or WRONG in html]
    assert recorded_tests() == 10


def test_tests_made_meanwhile_are_counted_again_under_the_lock(
    admin_client, account, desk, monkeypatch
):
    """The form's count is made without a lock: tests recorded by other requests between it
    and the test are counted again, under the lock, before the test runs."""
    from sip import password_checks

    for _ in range(10):
        check(admin_client, account, WRONG)
    counted_before = password_checks.domains_and_wait

    def as_if_counted_before_the_others(*args, **kwargs):
        domains, _wait = counted_before(*args, **kwargs)
        return domains, 0

    monkeypatch.setattr(password_checks, "domains_and_wait", as_if_counted_before_the_others)
    refused = check(admin_client, account, PASSWORD)
    assert "Too many password tests" in refused and "password matches" not in refused
    assert recorded_tests() == 10


def test_each_test_is_recorded_without_the_password(support_client, account, desk):
    version = ProviderAccount.objects.get(pk=account.pk).setup_version
    response = support_client.post(
        f"/o/acme/accounts/{account.pk}/sip-users/check/",
        {"username": "desk", "domain": "acme-hq", "password": WRONG},
        headers=HTMX,
    )
    assert "setup-changed" not in response.get("HX-Trigger", "")
    check(support_client, account, PASSWORD)
    check(support_client, account, PASSWORD, username="ghost")
    summaries = list(
        Activity.objects.order_by("id").values_list("actor_name", "summary", "object_repr")
    )
    assert summaries == [
        ("sam", "Checked the password of desk on acme-hq.sip.twilio.com: did not match.", "desk"),
        (
            "sam",
            "Checked the password of desk on acme-hq.sip.twilio.com: matched the one in “Phones”.",
            "desk",
        ),
        (
            "sam",
            "Checked the password of ghost on acme-hq.sip.twilio.com: "
            "not compared, since ghost cannot authenticate there.",
            "ghost",
        ),
    ]
    for row in Activity.objects.values():
        assert PASSWORD not in str(row) and WRONG not in str(row)
    # A password test changes nothing: the setup review is not recomputed for it.
    assert ProviderAccount.objects.get(pk=account.pk).setup_version == version
    activity = check_activity_page(support_client, account)
    assert "Checked the password of desk on acme-hq.sip.twilio.com: did not match." in activity


def check_activity_page(client, account) -> str:
    return client.get(f"/o/acme/accounts/{account.pk}/activity/?type=credential").content.decode()


@pytest.mark.usefixtures("requires_postgresql")
def test_the_typed_domain_is_found_on_the_domains_index_by_a_plan_made_for_any_account(
    account, desk
):
    """PostgreSQL plans a prepared statement for any values after five runs (its generic plan):
    the domain must still be found on the index of domains, not by reading every domain of the
    account on the account's index (the benchmark's account has 1,000)."""
    import json

    from psycopg import ClientCursor

    from sip import password_checks
    from sip.models import SipDomain

    # As the benchmark's: one account of 1,000 domains among 200 small ones, so that an
    # account's rows look few to a plan that does not know which account it is for.
    small = ProviderAccount.objects.bulk_create(
        ProviderAccount(organization=account.organization, name=f"Small {i}", provider="twilio")
        for i in range(200)
    )
    SipDomain.objects.bulk_create(
        [
            *(
                SipDomain(account=account, name=f"Site {i}", prefix=f"s-{i}", domain=f"s-{i}.ex")
                for i in range(1000)
            ),
            *(
                SipDomain(account=a, name="Site", prefix=f"a{a.pk}", domain=f"a{a.pk}.ex")
                for a in small
            ),
        ]
    )
    sent = []

    def keep(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        found, wait = password_checks.domains_and_wait(
            account, ["s-42.ex", "s-42.ex.x"], None, "desk"
        )
    assert [domain.domain for domain in found] == ["s-42.ex"] and wait == 0
    (sql, params), *_ = sent
    numbered = iter(range(1, len(params) + 1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sip_sipdomain")
    # PREPARE and EXECUTE as plain SQL (psycopg would send the $n as its own parameters).
    with ClientCursor(connection.connection) as cursor:
        cursor.execute("PREPARE found AS " + re.sub("%s", lambda _: f"${next(numbered)}", sql))
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        marks = ", ".join(["%s"] * len(params))
        cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE found({marks})", params)
        plan = json.dumps(cursor.fetchone()[0])
        cursor.execute("DEALLOCATE found")
    # Its index of domains (the unique one, or the one for LIKE), whichever the plan takes.
    domains = re.findall(r'"Index Name": "(sip_sipdomain_\w+)"', plan)
    assert domains and all(name.startswith("sip_sipdomain_domain_") for name in domains), plan
