"""Sessions, login throttling, headers and error pages."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import path

from accounts.models import Membership
from tests.conftest import PASSWORD


def test_session_key_rotates_at_login(admin_user):
    client = Client()
    client.get("/login/")
    client.cookies["sessionid"] = "attacker-chosen-session-key"
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert client.cookies["sessionid"].value != "attacker-chosen-session-key"
    assert client.get("/o/acme/accounts/").status_code == 200


def test_authenticated_pages_are_not_cached_and_logout_ends_session(admin_client):
    page = admin_client.get("/o/acme/accounts/")
    assert "no-store" in page["Cache-Control"]
    admin_client.post("/logout/")
    after = admin_client.get("/o/acme/accounts/")
    assert after.status_code == 302 and after["Location"].startswith("/login/")


def test_removed_membership_is_refused_on_the_next_request(admin_user, admin_client, account):
    assert admin_client.get(f"/o/acme/accounts/{account.pk}/domains/").status_code == 200
    Membership.objects.filter(user=admin_user).delete()
    assert admin_client.get(f"/o/acme/accounts/{account.pk}/domains/").status_code == 404


def test_login_is_throttled_after_repeated_failures(admin_user, caplog):
    caplog.set_level(logging.WARNING)
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # Even the right password is refused while locked out.
    locked = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert client.get("/o/acme/accounts/").status_code == 302
    assert any(
        "locking out" in record.getMessage().lower() and record.levelno >= logging.WARNING
        for record in caplog.records
    )


def test_security_headers(admin_client):
    response = admin_client.get("/o/acme/accounts/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_hsts_on_https(admin_client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = admin_client.get("/o/acme/accounts/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_inline_script_or_style_in_pages(admin_client, world):
    import re

    from tests.test_authorization_matrix import every_page

    pages = every_page(world)
    assert len(pages) > 20
    for url in ["/login/", *pages]:
        client = Client() if url == "/login/" else admin_client
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"<[^>]+\son[a-z]+=", html), url  # no inline event handlers


def raise_error(request):
    raise RuntimeError("boom: secret internals")


# This module is also the URL conf of the error-page test below.
urlpatterns = [path("boom/", raise_error)]


@pytest.mark.urls("tests.test_hardening")
def test_server_error_page_shows_no_traceback(db):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "Traceback" not in html and "secret internals" not in html and "SECRET_KEY" not in html


def test_not_found_page_shows_no_internals(admin_client):
    response = admin_client.get("/o/acme/accounts/999999/domains/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "belongs to an organization you are not a member of" in html
    assert "Traceback" not in html and "urlpatterns" not in html
