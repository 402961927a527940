from __future__ import annotations

import time

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership
from accounts.models import Organization
from accounts.models import ProviderAccount
from accounts.models import Role
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain

PASSWORD = "a-test-login-password"
HTMX = {"HX-Request": "true"}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def org(db) -> Organization:
    return Organization.objects.create(name="Acme Telecom", slug="acme", time_zone="UTC")


@pytest.fixture
def other_org(db) -> Organization:
    return Organization.objects.create(name="Globex", slug="globex")


def make_user(django_user_model, username: str, organization: Organization, role: str):
    user = django_user_model.objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def admin_user(django_user_model, org):
    return make_user(django_user_model, "alice", org, Role.ADMIN)


@pytest.fixture
def support_user(django_user_model, org):
    return make_user(django_user_model, "sam", org, Role.SUPPORT)


@pytest.fixture
def outsider(django_user_model, other_org):
    """An admin, but of another organization."""
    return make_user(django_user_model, "oscar", other_org, Role.ADMIN)


def logged_in(user) -> Client:
    """A client signed in as the user: with the second factor given, if they have one."""
    from accounts import two_factor

    client = Client()
    client.force_login(user)
    if two_factor.is_enrolled(user):
        session = client.session
        session[two_factor.STATE] = two_factor.VERIFIED
        session[two_factor.AUTHENTICATED_AT] = int(time.time())  # as the code step does
        session.save()
    return client


def enrol(user) -> TOTPDevice:
    """An authenticator app for the user, whose codes a test computes (totp_code)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(device: TOTPDevice, steps: int = 0) -> str:
    """The code the person's app shows now (or steps of 30 seconds later)."""
    from binascii import unhexlify

    from django_otp.oath import totp

    return f"{totp(unhexlify(device.key), t0=-30 * steps):06d}"


@pytest.fixture
def superuser(django_user_model):
    """The Django admin's user (/django-admin/ is for superusers only, with a second factor)."""
    user = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    enrol(user)
    return user


@pytest.fixture
def admin_client(admin_user) -> Client:
    return logged_in(admin_user)


@pytest.fixture
def support_client(support_user) -> Client:
    return logged_in(support_user)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return logged_in(outsider)


@pytest.fixture
def account(org) -> ProviderAccount:
    return ProviderAccount.objects.create(organization=org, name="Twilio main", provider="twilio")


@pytest.fixture
def empty_account(org) -> ProviderAccount:
    return ProviderAccount.objects.create(organization=org, name="Telnyx spare", provider="telnyx")


@pytest.fixture
def domain(account) -> SipDomain:
    return SipDomain.objects.create(account=account, name="Head office", prefix="acme-hq")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Login passwords only; SIP passwords never go through Django's hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # Keys hold primary keys and setup versions, which the next test's database hands out again.
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


def one_of_everything(account, domain, list_name: str = "Phones") -> dict[str, int]:
    """A credential list with one SIP user, attached to the domain for calls: the ids of all."""
    phones = CredentialList.objects.create(account=account, name=list_name)
    credential = Credential(credential_list=phones, username="desk")
    credential.set_password("Desk-Phone-Pass-1234")
    credential.save()
    attachment = CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose="calls"
    )
    return {
        "account_id": account.pk,
        "domain_id": domain.pk,
        "list_id": phones.pk,
        "credential_id": credential.pk,
        "attachment_id": attachment.pk,
    }


@pytest.fixture
def world(org, account, domain, admin_user, support_user, outsider):
    """One of everything, as URL parameters."""
    return {"org_slug": org.slug, "nonce": "0" * 32, **one_of_everything(account, domain)}


def rotation(credential_id: int, **data: str) -> dict[str, str]:
    """A rotate form as the page sends it: with the version of the password it was opened for."""
    from sip.models import password_version

    return {**data, "version": password_version(Credential.objects.get(pk=credential_id))}


@pytest.fixture
def requires_postgresql() -> None:
    """For tests that need PostgreSQL (concurrent writers, roles). Skipped on the default SQLite
    run; when DATABASE_URL is set (CI's PostgreSQL run) they must run, so anything else fails
    them."""
    import os

    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if os.environ.get("DATABASE_URL"):
        pytest.fail(f"DATABASE_URL is set, but the database is {connection.vendor}, not PostgreSQL")
    pytest.skip("PostgreSQL only: runs when DATABASE_URL is set, as CI does")


@pytest.fixture
def admin_request(admin_user):
    """A request by the organization's admin, for calling a service directly."""
    from django.test import RequestFactory

    request = RequestFactory().post("/")
    request.user = admin_user
    return request


@pytest.fixture(autouse=True)
def no_real_sip_servers(settings):
    """No test ever sends SIP to a provider: the connection check's "test it for real" goes to
    a loopback port (the discard port) unless a test starts a server of its own."""
    settings.SIP_SERVER = "127.0.0.1:9"


@pytest.fixture(autouse=True)
def no_real_twilio(settings, monkeypatch):
    """No test ever calls Twilio: without the fake, any call fails the test."""
    import httpx

    from sip import twilio_api

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a test called Twilio: {request.method} {request.url}")

    settings.TWILIO_API_URL = "https://api.twilio.invalid"
    monkeypatch.setattr(twilio_api, "TRANSPORT", httpx.MockTransport(refuse))


@pytest.fixture
def fake_twilio(monkeypatch):
    """The stateful fake Twilio (tests/twilio/fake.py), in process."""
    from sip import twilio_api
    from tests.twilio.fake import FakeTwilio

    fake = FakeTwilio()
    monkeypatch.setattr(twilio_api, "TRANSPORT", fake.transport())
    return fake


def connect_directly(account_id: int, fake) -> ProviderAccount:
    """The account's key for the fake Twilio account, saved without asking it (as after a
    connection made earlier)."""
    ProviderAccount.objects.filter(pk=account_id).update(**fake.key_fields())
    return ProviderAccount.objects.select_related("organization").get(pk=account_id)


@pytest.fixture
def connected(account, fake_twilio) -> ProviderAccount:
    """The account, connected to the fake Twilio account."""
    return connect_directly(account.pk, fake_twilio)


def connect_through_service(request, account, fake) -> ProviderAccount:
    """Connects the account to the fake the way the Connection page does (a test first)."""
    from sip import services

    return services.account_connect(
        request=request,
        account=account,
        twilio_account_sid=fake.account_sid,
        twilio_key_sid=fake.key_sid,
        twilio_key_secret=fake.key_secret,
    )
