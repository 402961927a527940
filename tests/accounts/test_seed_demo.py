from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import Membership
from accounts.models import Organization
from accounts.models import ProviderAccount
from sip.models import SipDomain

User = get_user_model()


def test_seed_demo_is_idempotent_and_prints_logins(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())
    printed = out.getvalue()
    assert "username: admin" in printed and "password: admin-demo-pass" in printed
    assert "username: support" in printed and "password: support-demo-pass" in printed
    assert User.objects.get(username="admin").check_password("admin-demo-pass")
    assert User.objects.get(username="support").check_password("support-demo-pass")
    acme = Organization.objects.get(slug="acme")
    assert ProviderAccount.objects.filter(organization=acme).count() == 2
    twilio = ProviderAccount.objects.get(organization=acme, provider="twilio")
    assert twilio.sip_domains.count() == 3
    assert (
        ProviderAccount.objects.get(organization=acme, provider="telnyx").sip_domains.count() == 0
    )
    assert SipDomain.objects.count() == 3
    assert Membership.objects.get(user__username="support", organization=acme).role == "support"


def test_the_demo_prints_what_signs_in_with_a_second_factor(db, client):
    import re
    from base64 import b32decode

    from django_otp.oath import totp

    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    key = re.search(r"authenticator app: ([A-Z2-7 ]+)\n", printed).group(1)
    client.post("/login/", {"username": "secure", "password": "secure-demo-pass"})
    assert client.get("/o/acme/accounts/")["Location"].startswith("/login/code/")
    code = f"{totp(b32decode(key.replace(' ', ''))):06d}"
    assert client.post("/login/code/", {"code": code}).status_code == 302
    assert client.get("/o/acme/accounts/").status_code == 200
    # A recovery code printed works too, in another sign-in.
    recovery = re.search(r"each once: (\w+)", printed).group(1)
    other = type(client)()
    other.post("/login/", {"username": "secure", "password": "secure-demo-pass"})
    assert other.post("/login/code/", {"code": recovery}).status_code == 302
    assert other.get("/o/acme/accounts/").status_code == 200
