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
