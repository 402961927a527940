"""A real SIP server (Kamailio, deploy/kamailio/) authenticates REGISTER and INVITE from what
this app stores, per domain and per purpose, and sees every change at the next request.

The data is made through the app's own services and committed (transactional tests), so the
server, another process, reads it from the test database."""

from __future__ import annotations

import pytest

from sip import services
from sip.models import CredentialAttachment
from sip.models import SipDomain
from sip.sip_client import call
from sip.sip_client import register
from tests.sip.conftest import free_port

pytestmark = [pytest.mark.sip_server, pytest.mark.django_db(transaction=True)]
PASSWORD = "Desk-Phone-Pass-1234"


@pytest.fixture
def desk(admin_request, account, domain):
    """SIP user "desk" in "Phones", attached to the domain for registrations only."""
    phones = services.credential_list_create(request=admin_request, account=account, name="Phones")
    credential = services.credential_create(
        request=admin_request, credential_list=phones, username="desk", password=PASSWORD
    )
    services.attachment_create(
        request=admin_request, domain=domain, credential_list=phones, purposes=["registrations"]
    )
    return credential


def test_register_and_call_follow_the_setup(md5_server, desk, domain, admin_request):
    def reg(password=PASSWORD, username="desk", to=domain.domain):
        return register(md5_server, username=username, password=password, domain=to).status

    def inv(password=PASSWORD):
        return call(md5_server, username="desk", password=password, domain=domain.domain).status

    assert reg() == 200
    assert reg(password="Wrong-Pass-0000") == 403
    assert reg(username="nobody") == 403
    assert inv() == 403  # the list is attached for registrations only
    # Another domain of the account, without a list: nothing authenticates there.
    other = services.domain_create(
        request=admin_request, account=domain.account, name="Branch", prefix="branch"
    )
    assert reg(to=other.domain) == 403
    # Attaching for calls takes effect at the very next request: no restart, no reload.
    services.attachment_create(
        request=admin_request,
        domain=domain,
        credential_list=desk.credential_list,
        purposes=["calls"],
    )
    assert inv() == 200
    assert inv(password="Wrong-Pass-0000") == 403


def test_rotation_detach_and_delete_take_effect_at_once(md5_server, desk, domain, admin_request):
    def reg(password):
        return register(md5_server, username="desk", password=password, domain=domain.domain)

    assert reg(PASSWORD).status == 200
    services.credential_rotate(
        request=admin_request, credential=desk, password="New-Desk-Pass-5678"
    )
    assert reg(PASSWORD).status == 403
    assert reg("New-Desk-Pass-5678").status == 200
    attachment = CredentialAttachment.objects.get(domain=domain, purpose="registrations")
    attachment.domain.account = domain.account
    services.attachment_delete(request=admin_request, attachment=attachment)
    assert reg("New-Desk-Pass-5678").status == 403
    services.attachment_create(
        request=admin_request,
        domain=domain,
        credential_list=desk.credential_list,
        purposes=["registrations"],
    )
    assert reg("New-Desk-Pass-5678").status == 200
    services.credential_delete(request=admin_request, credential=desk)
    assert reg("New-Desk-Pass-5678").status == 403


def test_sha256_digests_authenticate(sha256_server, desk, domain):
    answer = register(sha256_server, username="desk", password=PASSWORD, domain=domain.domain)
    assert answer.status == 200
    wrong = register(sha256_server, username="desk", password="x", domain=domain.domain)
    assert wrong.status == 403


def test_the_auth_username_must_be_the_users(md5_server, desk, domain, admin_request):
    """As at Twilio: desk's password does not register someone else's address."""
    services.credential_create(
        request=admin_request,
        credential_list=desk.credential_list,
        username="lobby",
        password="Lobby-Phone-Pass-1234",
    )
    from sip.sip_client import UserAgent

    agent = UserAgent(md5_server)
    try:
        aor = f"sip:lobby@{domain.domain}"
        # Authenticates as desk while registering lobby's address.
        agent.request("REGISTER", f"sip:{domain.domain}", aor, aor)
        status, _reason, headers = agent.response("REGISTER")
        assert status == 401
        from sip.sip_client import authorization

        value = authorization(
            headers["www-authenticate"], "REGISTER", f"sip:{domain.domain}", "desk", PASSWORD
        )
        agent.request("REGISTER", f"sip:{domain.domain}", aor, aor, f"Authorization: {value}\r\n")
        assert agent.response("REGISTER")[:2] == (403, "Auth username differs from the user")
    finally:
        agent.close()
    assert SipDomain.objects.count() == 1


def test_run_sip_server_serves_until_stopped_by_its_process_id(desk, domain, tmp_path):
    """The command a person runs for a local trial: foreground, loopback, its own pid file."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.conf import settings
    from django.db import connection

    from sip.sip_server import answers

    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{database['NAME']}"
    else:
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    port, pid_file = free_port(), tmp_path / "kamailio.pid"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_sip_server",
            "--listen",
            f"127.0.0.1:{port}",
            "--pid-file",
            str(pid_file),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith(f"Kamailio on udp:127.0.0.1:{port}, MD5")
        deadline = time.monotonic() + 15
        while not answers("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.1)
        answer = register(
            ("127.0.0.1", port), username="desk", password=PASSWORD, domain=domain.domain
        )
        assert answer.status == 200
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        assert process.wait(timeout=10) is not None
        assert not answers("127.0.0.1", port)
    finally:
        process.kill()
        process.wait()


def test_the_connection_check_tests_it_for_real(
    md5_server, desk, domain, admin_client, settings, monkeypatch
):
    from accounts.models import Activity
    from sip import password_checks
    from tests.conftest import HTMX

    settings.SIP_SERVER = f"127.0.0.1:{md5_server[1]}"
    url = f"/o/acme/accounts/{domain.account_id}/sip-users/check/"
    data = {"username": "desk", "domain": domain.prefix, "live": "on"}

    def check(password: str) -> str:
        response = admin_client.post(url, {**data, "password": password}, headers=HTMX)
        return response.content.decode()

    page = check(PASSWORD)
    assert "For real: 200 OK</strong> from the SIP server at" in page
    assert f"<code>127.0.0.1:{md5_server[1]}</code>" in page
    assert PASSWORD not in page
    page = check("Wrong-Pass-0000")
    assert "For real: 403 Forbidden</strong>" in page
    last = Activity.objects.filter(action="password_checked").order_by("-id").first()
    assert last.summary == (
        f"Checked the password of desk on {domain.domain}: did not match. "
        f"A real REGISTER to 127.0.0.1:{md5_server[1]}: 403 Forbidden."
    )
    assert last.changes["real REGISTER"] == "403 Forbidden"
    # Nobody listening: said so, after a short wait.
    monkeypatch.setattr(password_checks, "LIVE_TIMEOUT", 0.3)
    settings.SIP_SERVER = f"127.0.0.1:{free_port()}"
    page = check(PASSWORD)
    assert "For real: no answer</strong>" in page and "within 0.3 seconds" in page
    # Without a password there is nothing to send.
    page = admin_client.post(url, data, headers=HTMX).content.decode()
    assert "Type the password to test it for real." in page
    every = " ".join(f"{a.summary} {a.changes}" for a in Activity.objects.all())
    assert PASSWORD not in every and "Wrong-Pass-0000" not in every


def test_without_a_sip_server_setting_the_domain_itself_is_asked(domain, settings):
    from sip.password_checks import sip_server

    settings.SIP_SERVER = ""
    assert sip_server(domain) == (domain.domain, 5060)
    settings.SIP_SERVER = "edge.internal:5080"
    assert sip_server(domain) == ("edge.internal", 5080)
