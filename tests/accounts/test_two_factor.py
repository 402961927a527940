"""Two-factor authentication (accounts/two_factor.py): enrolment, the code step of signing in,
wrong, reused and recovery codes, throttling, the organization's requirement, the Django admin,
and the sign-in history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organization
from accounts.models import SignInEvent
from accounts.models import TwoFactorRule
from tests.conftest import PASSWORD
from tests.conftest import enrol
from tests.conftest import logged_in
from tests.conftest import totp_code

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"
KEY = re.compile(r'<code class="secret-key">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li><code>([a-z2-7]+)</code></li>")


def sign_in(username: str, password: str = PASSWORD, next_url: str = "") -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    client.post("/login/", data)
    return client


def kinds(user) -> list[str]:
    return list(SignInEvent.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


def page(response) -> str:
    return response.content.decode()


def test_enrolment_shows_the_key_and_turns_on_with_its_first_code(admin_user):
    from base64 import b32decode

    from django_otp.oath import totp

    client = logged_in(admin_user)
    setup = page(client.get("/security/two-factor/"))
    assert "<svg" in setup and "QR code of the key" in setup
    key = b32decode(KEY.search(setup).group(1).replace(" ", ""))
    assert page(client.get("/security/two-factor/")).count(KEY.search(setup).group(1)) == 1
    # A wrong code: said next to the field, nothing saved.
    wrong = page(client.post("/security/two-factor/", {"code": "000000"}))
    assert 'id="id_code_error"' in wrong and "That code is not right" in wrong
    assert not TOTPDevice.objects.exists()
    done = page(client.post("/security/two-factor/", {"code": f"{totp(key):06d}"}))
    codes = CODES.findall(done)
    assert len(codes) == 10 and len(set(codes)) == 10
    device = TOTPDevice.objects.get(user=admin_user)
    assert device.confirmed and device.bin_key == key
    stored = set(
        StaticToken.objects.filter(device__user=admin_user).values_list("token", flat=True)
    )
    assert stored == set(codes)
    assert kinds(admin_user)[-1] == SignInEvent.Kind.ENROLLED
    assert client.get("/o/acme/accounts/").status_code == 200  # this session counts as verified
    # Shown once: the security page says how many are left, never which.
    security = page(client.get("/security/"))
    assert "Recovery codes left: <strong>10</strong>" in security
    assert not any(code in security for code in codes)


def test_signing_in_asks_for_the_code_before_anything_else(admin_user, account):
    device = enrol(admin_user)
    client = sign_in("alice", next_url="/o/acme/accounts/")
    response = client.get("/o/acme/accounts/")
    assert response.status_code == 302
    assert response["Location"] == "/login/code/?next=%2Fo%2Facme%2Faccounts%2F"
    htmx = client.get(f"/o/acme/accounts/{account.pk}/domains/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith("/login/code/?next=")
    assert client.get("/security/").status_code == 302  # not even the person's own pages
    code_page = page(client.get("/login/code/?next=/o/acme/accounts/"))
    assert 'autocomplete="one-time-code"' in code_page and 'for="id_code"' in code_page
    answer = client.post("/login/code/", {"code": totp_code(device), "next": "/o/acme/accounts/"})
    assert answer.status_code == 302 and answer["Location"] == "/o/acme/accounts/"
    assert client.get("/o/acme/accounts/").status_code == 200
    assert kinds(admin_user) == [SignInEvent.Kind.SIGNED_IN, SignInEvent.Kind.CODE_ACCEPTED]


def test_the_code_step_goes_nowhere_outside_the_site(admin_user):
    device = enrol(admin_user)
    client = sign_in("alice")
    answer = client.post("/login/code/", {"code": totp_code(device), "next": "https://evil.test/"})
    assert answer["Location"] == "/"


def test_a_wrong_code_is_refused_and_recorded_and_a_used_code_never_works_twice(admin_user):
    device = enrol(admin_user)
    client = sign_in("alice")
    wrong = page(client.post("/login/code/", {"code": "123456"}))
    assert "That code is not right" in wrong and 'id="id_code_error"' in wrong
    assert client.get("/o/acme/accounts/").status_code == 302
    device.refresh_from_db()
    device.throttle_reset()  # past the wait a wrong code costs (tested below)
    code = totp_code(device)
    assert client.post("/login/code/", {"code": code}).status_code == 302
    # The same code, in another sign-in within its 30 seconds: refused.
    again = sign_in("alice")
    reused = page(again.post("/login/code/", {"code": code}))
    assert "was used already" in reused
    assert again.get("/o/acme/accounts/").status_code == 302
    assert (
        SignInEvent.objects.filter(user=admin_user, kind=SignInEvent.Kind.CODE_REFUSED).count() == 2
    )


def test_a_recovery_code_signs_in_once(admin_user):
    enrol(admin_user)
    device = StaticDevice.objects.create(user=admin_user, name="Recovery codes")
    StaticToken.objects.create(device=device, token="abcd2345")
    StaticToken.objects.create(device=device, token="23456723")  # digits only, yet not the app's
    assert sign_in("alice").post("/login/code/", {"code": "23456723"}).status_code == 302
    first = sign_in("alice")
    assert first.post("/login/code/", {"code": "ABCD 2345"}).status_code == 302
    assert first.get("/o/acme/accounts/").status_code == 200
    assert kinds(admin_user)[-1] == SignInEvent.Kind.RECOVERY_CODE_USED
    second = sign_in("alice")
    refused = page(second.post("/login/code/", {"code": "abcd2345"}))
    assert "That recovery code is not right, or was used already." in refused
    assert second.get("/o/acme/accounts/").status_code == 302


def test_code_guesses_are_throttled(admin_user):
    device = enrol(admin_user)
    client = sign_in("alice")
    client.post("/login/code/", {"code": "111111"})
    client.post("/login/code/", {"code": "222222"})  # too soon: not even tried
    right_now = page(client.post("/login/code/", {"code": totp_code(device)}))
    assert re.search(r"Too many wrong codes\. Wait \d+ seconds, then try again\.", right_now)
    assert client.get("/o/acme/accounts/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the guess made while waiting was not counted
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=2)
    )
    assert client.post("/login/code/", {"code": totp_code(device)}).status_code == 302
    assert client.get("/o/acme/accounts/").status_code == 200


@pytest.mark.parametrize(
    ("rule", "admin_must", "support_must"),
    [
        (TwoFactorRule.OPTIONAL, False, False),
        (TwoFactorRule.ADMINS, True, False),
        (TwoFactorRule.EVERYONE, True, True),
    ],
)
def test_an_organization_can_require_it(admin_user, support_user, rule, admin_must, support_must):
    Organization.objects.filter(slug="acme").update(two_factor=rule)
    for username, must in (("alice", admin_must), ("sam", support_must)):
        client = sign_in(username)
        response = client.get("/o/acme/accounts/")
        if must:
            assert response["Location"].startswith("/two-factor/".join(["/security", ""]))
            setup = page(client.get(response["Location"]))
            assert "Your organization requires two-factor authentication." in setup
        else:
            assert response.status_code == 200


def test_a_requirement_turned_on_later_applies_at_the_next_page(admin_client, account):
    assert admin_client.get("/o/acme/accounts/").status_code == 200
    Organization.objects.filter(slug="acme").update(two_factor=TwoFactorRule.ADMINS)
    response = admin_client.get(f"/o/acme/accounts/{account.pk}/domains/")
    assert response.status_code == 302 and response["Location"].startswith("/security/two-factor/")
    htmx = admin_client.get("/o/acme/accounts/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith("/security/two-factor/")


def test_a_member_who_must_enrol_is_led_through_it_and_then_sees_the_page(admin_user):
    from base64 import b32decode

    from django_otp.oath import totp

    Organization.objects.filter(slug="acme").update(two_factor=TwoFactorRule.EVERYONE)
    client = sign_in("alice", next_url="/o/acme/accounts/")
    setup_url = client.get("/o/acme/accounts/")["Location"]
    setup = page(client.get(setup_url))
    key = b32decode(KEY.search(setup).group(1).replace(" ", ""))
    next_url = re.search(r'name="next" value="([^"]+)"', setup).group(1)
    assert next_url == "/o/acme/accounts/"
    done = page(client.post(setup_url, {"code": f"{totp(key):06d}", "next": next_url}))
    assert 'href="/o/acme/accounts/"' in done and len(CODES.findall(done)) == 10
    assert client.get("/o/acme/accounts/").status_code == 200


def test_turning_it_off_takes_the_password_and_a_code(admin_user):
    device = enrol(admin_user)
    client = logged_in(admin_user)
    wrong_password = page(
        client.post("/security/two-factor/remove/", {"password": "nope", "code": "1"})
    )
    assert "<li>That is not your password.</li>" in wrong_password
    device.refresh_from_db()
    assert device.throttling_failure_count == 0  # no code spent on a wrong password
    response = client.post(
        "/security/two-factor/remove/", {"password": PASSWORD, "code": totp_code(device)}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=admin_user).exists()
    assert kinds(admin_user)[-1] == SignInEvent.Kind.REMOVED
    assert sign_in("alice").get("/o/acme/accounts/").status_code == 200  # the password alone


def test_it_cannot_be_turned_off_where_it_is_required(admin_user):
    device = enrol(admin_user)
    Organization.objects.filter(slug="acme").update(two_factor=TwoFactorRule.ADMINS)
    client = logged_in(admin_user)
    client.post("/security/two-factor/remove/", {"password": PASSWORD, "code": totp_code(device)})
    assert TOTPDevice.objects.filter(user=admin_user).exists()


def test_new_recovery_codes_replace_the_old_ones(admin_user):
    device = enrol(admin_user)
    client = logged_in(admin_user)
    old = StaticDevice.objects.create(user=admin_user, name="Recovery codes")
    StaticToken.objects.create(device=old, token="oldcode2")
    answer = page(client.post("/security/recovery-codes/", {"code": totp_code(device)}))
    codes = CODES.findall(answer)
    assert len(codes) == 10 and "oldcode2" not in codes
    assert not StaticToken.objects.filter(token="oldcode2").exists()


def test_the_django_admin_requires_the_second_factor(superuser):
    # Signed in with the password only: the code first.
    client = sign_in("root", password="x")
    assert client.get("/django-admin/")["Location"].startswith("/login/code/")
    # Given it: the admin.
    assert logged_in(superuser).get("/django-admin/").status_code == 200
    # A superuser without an authenticator app is asked to set one up.
    TOTPDevice.objects.filter(user=superuser).delete()
    no_app = sign_in("root", password="x")
    response = no_app.get("/django-admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/security/two-factor/")


def test_the_sign_in_history_holds_who_when_where_never_a_secret(admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = enrol(admin_user)
    client = sign_in("alice")
    client.post("/login/code/", {"code": totp_code(device)})
    for _ in range(3):
        sign_in("alice", password="Wrong-Password-123")
    events = list(SignInEvent.objects.order_by("pk"))
    assert [e.kind for e in events[:2]] == ["signed_in", "code_accepted"]
    # django-axes reports the lockout while the third failure is being handled.
    assert sorted(e.kind for e in events[2:]) == ["failed", "failed", "failed", "locked_out"]
    assert {(e.username, e.ip_address, e.user_agent) for e in events} == {
        ("alice", "203.0.113.7", BROWSER)
    }
    text = repr(list(SignInEvent.objects.values()))
    for secret in (PASSWORD, "Wrong-Password-123", device.key):
        assert secret not in text
    history = page(logged_in(admin_user).get("/security/"))
    assert "Wrong username or password" in history and "203.0.113.7" in history
    assert "Locked out after repeated failures" in history


def test_an_admin_sets_the_rule_and_sees_the_members_sign_ins(
    admin_user, support_user, outsider, org
):
    sign_in("sam")
    sign_in("oscar")  # another organization's member: not shown here
    client = logged_in(admin_user)
    refused = page(client.post("/o/acme/security/", {"two_factor": "admins"}))
    assert 'id="id_two_factor_error"' in refused and "Set up your own authenticator app" in refused
    org.refresh_from_db()
    assert org.two_factor == TwoFactorRule.OPTIONAL
    enrol(admin_user)
    client = logged_in(admin_user)
    assert client.post("/o/acme/security/", {"two_factor": "admins"}).status_code == 302
    org.refresh_from_db()
    assert org.two_factor == TwoFactorRule.ADMINS
    security = page(client.get("/o/acme/security/"))
    members = security.split('id="members-title"')[1].split("</table>")[0]
    assert re.search(r"alice</td><td>Admin</td><td><span class=\"badge badge-ok\">On", members)
    assert re.search(r"sam</td><td>Support</td><td><span class=\"badge\">Off</span></td>", members)
    history = security.split('id="member-history-title"')[1]
    assert "sam" in history and "203.0.113.7" in history and "oscar" not in history
    # Support staff neither see it nor change it.
    assert logged_in(support_user).get("/o/acme/security/").status_code == 403


def test_a_person_of_no_organization_sees_times_in_utc(superuser):
    page_ = page(logged_in(superuser).get("/security/"))
    assert "Times are in UTC." in page_


def test_the_security_page_runs_the_same_queries_for_any_number_of_members(
    admin_user, org, django_user_model
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Membership
    from accounts.models import Role

    enrol(admin_user)  # the rule below applies to the admin too
    client = logged_in(admin_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/o/acme/security/").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(12):
        user = django_user_model.objects.create_user(f"member{n}", password="x")
        Membership.objects.create(user=user, organization=org, role=Role.SUPPORT)
        sign_in(f"member{n}", password="x")
    Organization.objects.filter(pk=org.pk).update(two_factor=TwoFactorRule.EVERYONE)
    many = page(client.get("/o/acme/security/"))
    assert many.count("required: asked at their next page") == 12  # each row read its rule
    assert queries() == few
