from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import Membership
from accounts.models import Organization
from accounts.models import ProviderAccount
from accounts.models import Role
from sip.digest import generate_password
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain

# Demo logins for a local run; printed at the end. Never use this command in production.
DEMO_USERS = [
    ("admin", "admin-demo-pass", Role.ADMIN),
    ("support", "support-demo-pass", Role.SUPPORT),
    ("secure", "secure-demo-pass", Role.ADMIN),  # signs in with a second factor
]
TWO_FACTOR_USER = "secure"
DEMO_LISTS = [
    ("Head office phones", ["desk-101", "desk-102", "reception"]),
    ("Warehouse handsets", ["wh-1", "wh-2"]),
]
DEMO_DOMAINS = [
    ("Head office", "acme-hq"),
    ("Warehouse", "acme-warehouse"),
    ("Remote staff", "acme-remote"),
]


class Command(BaseCommand):
    help = "Creates demo data (an organization, an admin and a support login, two accounts)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        org, _ = Organization.objects.get_or_create(
            slug="acme", defaults={"name": "Acme Telecom", "time_zone": "Europe/London"}
        )
        other, _ = Organization.objects.get_or_create(
            slug="globex", defaults={"name": "Globex", "time_zone": "America/New_York"}
        )
        User = get_user_model()
        for username, password, role in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.save()
            Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})
        # The demo admin also belongs to a second organization, to show the switcher.
        admin = User.objects.get(username="admin")
        Membership.objects.get_or_create(
            user=admin, organization=other, defaults={"role": Role.ADMIN}
        )

        twilio, _ = ProviderAccount.objects.get_or_create(
            organization=org, name="Twilio production", defaults={"provider": "twilio"}
        )
        ProviderAccount.objects.get_or_create(
            organization=org, name="Telnyx trial", defaults={"provider": "telnyx"}
        )
        for name, prefix in DEMO_DOMAINS:
            if not SipDomain.objects.filter(prefix=prefix, account__provider="twilio").exists():
                domain = SipDomain(account=twilio, name=name, prefix=prefix)
                domain.full_clean()
                domain.save()

        # Head office phones can place calls on acme-hq but nobody attached them for
        # registrations: the connection check on the SIP Users tab explains why they can't
        # register. Warehouse handsets are attached nowhere.
        hq = SipDomain.objects.get(domain="acme-hq.sip.twilio.com")
        for name, usernames in DEMO_LISTS:
            credential_list, created = CredentialList.objects.get_or_create(
                account=twilio, name_key=name.lower().replace(" ", ""), defaults={"name": name}
            )
            for username in usernames if created else []:
                credential = Credential(credential_list=credential_list, username=username)
                credential.set_password(generate_password())
                credential.save()
        phones = CredentialList.objects.get(account=twilio, name="Head office phones")
        CredentialAttachment.objects.get_or_create(
            domain=hq, credential_list=phones, purpose=Purpose.CALLS
        )

        device, codes = self.second_factor(User.objects.get(username=TWO_FACTOR_USER))

        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in at /login/ with:"))
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {role.label:8} username: {username:8} password: {password}")
        self.stdout.write(
            f"  {TWO_FACTOR_USER} also asks for a two-factor code: add this key to an "
            f"authenticator app: {two_factor.key_for_people(device.key)}\n"
            f"  (or use a recovery code, each once: {', '.join(codes)})"
        )

    @staticmethod
    def second_factor(user) -> tuple[TOTPDevice, list[str]]:
        """The demo's authenticator app and recovery codes (made once, printed every time)."""
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app")
            two_factor.new_recovery_codes(user)
        tokens = StaticToken.objects.filter(device__user=user).order_by("pk")
        return device, list(tokens.values_list("token", flat=True))
