"""Login throttling behind proxies, its log line and its lockout page."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.test import RequestFactory

from accounts.login_throttling import client_ip
from tests.conftest import PASSWORD

PROXY = "10.0.0.2"  # the load balancer or nginx in front of the app


def ip(settings, proxies: int, forwarded: str | None, remote: str = PROXY) -> str:
    settings.CLIENT_IP_PROXY_COUNT = proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_client_address_without_proxies_ignores_x_forwarded_for(settings):
    assert ip(settings, 0, "203.0.113.5") == PROXY
    assert ip(settings, 0, None) == PROXY


def test_client_address_behind_proxies(settings):
    assert ip(settings, 1, "203.0.113.5") == "203.0.113.5"
    # Whatever the client wrote itself stays on the left and never counts.
    assert ip(settings, 1, "1.2.3.4, 203.0.113.5") == "203.0.113.5"
    assert ip(settings, 2, "1.2.3.4, 203.0.113.5, 10.0.0.9") == "203.0.113.5"
    assert ip(settings, 1, "2001:db8::1") == "2001:db8::1"
    # Fewer entries than trusted proxies, or garbage: only the direct peer is known.
    assert ip(settings, 2, "203.0.113.5") == PROXY
    assert ip(settings, 1, "not-an-address") == PROXY
    assert ip(settings, 1, "") == PROXY


def fail_five_times(forwarded_for: str | list[str]) -> None:
    addresses = [forwarded_for] * 5 if isinstance(forwarded_for, str) else forwarded_for
    for address in addresses:
        client = Client(REMOTE_ADDR=PROXY)
        client.post(
            "/login/",
            {"username": "alice", "password": "wrong"},
            headers={"X-Forwarded-For": address},
        )


def log_in_from(address: str) -> int:
    client = Client(REMOTE_ADDR=PROXY)
    response = client.post(
        "/login/",
        {"username": "alice", "password": PASSWORD},
        headers={"X-Forwarded-For": address},
    )
    return response.status_code


def test_behind_a_proxy_a_lockout_is_for_the_attackers_address_only(settings, admin_user):
    settings.CLIENT_IP_PROXY_COUNT = 1
    fail_five_times("203.0.113.5")
    assert log_in_from("203.0.113.5") == 429
    assert log_in_from("198.51.100.7") == 302  # another client behind the same proxy


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lockout(settings, admin_user):
    settings.CLIENT_IP_PROXY_COUNT = 0
    fail_five_times([f"203.0.113.{n}" for n in range(5)])
    assert log_in_from("198.51.100.7") == 429


def test_lockout_log_names_the_username_and_address(settings, admin_user, caplog):
    settings.CLIENT_IP_PROXY_COUNT = 1
    caplog.set_level(logging.WARNING, logger="axes")
    fail_five_times("203.0.113.5")
    lockouts = [r.getMessage() for r in caplog.records if "Locking out" in r.getMessage()]
    assert len(lockouts) == 1
    assert "username='alice'" in lockouts[0] and "ip_address='203.0.113.5'" in lockouts[0]
    assert "wrong" not in " ".join(r.getMessage() for r in caplog.records)


def test_a_typed_username_cannot_forge_a_log_line(admin_user, caplog):
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(5):
        Client().post("/login/", {"username": "x\nAXES: forged", "password": "wrong"})
    assert all("\n" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("cooloff", "words"),
    [(timedelta(minutes=15), "15 minutes"), (timedelta(minutes=90), "1 hour 30 minutes")],
)
def test_lockout_page_states_the_configured_cool_off(settings, admin_user, cooloff, words):
    settings.AXES_COOLOFF_TIME = cooloff
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert f"Try again in {words}," in response.content.decode()
