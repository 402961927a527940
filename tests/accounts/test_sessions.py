"""A person's sessions (accounts/sessions.py): the idle timeout apart from the absolute one, the
list of signed-in sessions, and signing out everywhere else."""

from __future__ import annotations

import time

from django.test import Client

from accounts import sessions
from accounts.models import UserSession
from tests.conftest import HTMX
from tests.conftest import PASSWORD
from tests.conftest import enrol
from tests.conftest import totp_code

BROWSERS = ("Mozilla/5.0 Laptop/1.0", "Mozilla/5.0 Phone/2.0")


def sign_in(username: str, browser: str = BROWSERS[0]) -> Client:
    client = Client(HTTP_USER_AGENT=browser, REMOTE_ADDR="198.51.100.4")
    client.post("/login/", {"username": username, "password": PASSWORD})
    return client


def age(client: Client, seconds: int) -> None:
    """As if the session's last request were this long ago."""
    session = client.session
    session[sessions.LAST_SEEN] = int(time.time()) - seconds
    session.save()


def test_a_session_unused_for_the_idle_time_is_signed_out(admin_user, settings):
    settings.SESSION_IDLE_SECONDS = 600
    client = sign_in("alice")
    age(client, 599)
    assert client.get("/o/acme/accounts/").status_code == 200  # used in time: kept
    age(client, 601)
    response = client.get("/o/acme/accounts/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fo%2Facme%2Faccounts%2F"
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 10 minutes without activity." in page
    assert client.get("/o/acme/accounts/")["Location"].startswith("/login/")  # signed out
    assert not UserSession.objects.filter(user=admin_user).exists()


def test_an_idle_htmx_request_sends_the_whole_page_to_login(admin_user, settings):
    client = sign_in("alice")
    age(client, settings.SESSION_IDLE_SECONDS + 1)
    page = "http://testserver/o/acme/accounts/?page=2"
    response = client.get("/o/acme/accounts/", headers={**HTMX, "HX-Current-URL": page})
    # Back to the page the person was on, not to the part of it HTMX asked for.
    assert response["HX-Redirect"] == "/login/?next=%2Fo%2Facme%2Faccounts%2F%3Fpage%3D2"


def test_a_long_browser_name_is_kept_to_its_column(admin_user):
    client = Client(HTTP_USER_AGENT="B" * 400, REMOTE_ADDR="198.51.100.4")
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert UserSession.objects.get(user=admin_user).user_agent == "B" * 300


def test_use_is_recorded_at_most_once_a_minute(admin_user):
    client = sign_in("alice")
    row = UserSession.objects.get(user=admin_user)
    client.get("/o/acme/accounts/")
    assert UserSession.objects.get(pk=row.pk).last_seen == row.last_seen  # under a minute
    age(client, 120)
    client.get("/o/acme/accounts/")
    assert UserSession.objects.get(pk=row.pk).last_seen > row.last_seen


def test_the_list_shows_each_signed_in_browser_and_signs_out_the_others(admin_user):
    laptop = sign_in("alice", BROWSERS[0])
    phone = sign_in("alice", BROWSERS[1])
    page = laptop.get("/security/").content.decode()
    listed = page.split('id="sessions-title"')[1].split("</table>")[0]
    assert BROWSERS[0] in listed and BROWSERS[1] in listed and "198.51.100.4" in listed
    assert listed.count("This session") == 1
    assert laptop.post("/security/sessions/sign-out-others/").status_code == 302
    assert phone.get("/o/acme/accounts/")["Location"].startswith("/login/")
    assert laptop.get("/o/acme/accounts/").status_code == 200
    assert UserSession.objects.filter(user=admin_user).count() == 1
    message = laptop.get("/security/").content.decode()
    assert "Sign out everywhere else" not in message  # nothing else left to sign out


def test_sessions_signed_in_with_a_code_are_listed_and_signed_out_too(admin_user):
    device = enrol(admin_user)
    laptop, phone = sign_in("alice", BROWSERS[0]), sign_in("alice", BROWSERS[1])
    laptop.post("/login/code/", {"code": totp_code(device)})
    phone.post("/login/code/", {"code": totp_code(device, steps=1)})
    assert phone.get("/o/acme/accounts/").status_code == 200
    keys = set(UserSession.objects.values_list("session_key", flat=True))
    assert keys == {laptop.session.session_key, phone.session.session_key}  # the new keys
    laptop.post("/security/sessions/sign-out-others/")
    assert phone.get("/o/acme/accounts/")["Location"].startswith("/login/")
    assert laptop.get("/o/acme/accounts/").status_code == 200


def test_logging_out_ends_the_session_in_the_list(admin_user):
    client = sign_in("alice")
    assert UserSession.objects.filter(user=admin_user).count() == 1
    client.post("/logout/")
    assert not UserSession.objects.filter(user=admin_user).exists()
