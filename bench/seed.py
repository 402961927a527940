"""Seeds the benchmark dataset into SQLite or the PostgreSQL of DATABASE_URL.

One big provider account (Telnyx: no published limits) with 1,000 SIP domains, 1,000 credential
lists, 100,000 credentials and 5,000 attachments, plus 200 small accounts, and an account whose
setup review has 600 warnings (300 empty lists attached nowhere). Idempotent: a second run
finds the data and does nothing (--reset deletes it first). dataset() and SEEDED say what the
benchmark's organization holds and should hold: bench/run.py refuses to report on anything else.

    DATABASE_URL=... .venv/bin/python bench/seed.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.standalone import environment

environment()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import Activity  # noqa: E402
from accounts.models import Membership  # noqa: E402
from accounts.models import Organization  # noqa: E402
from accounts.models import ProviderAccount  # noqa: E402
from accounts.models import Role  # noqa: E402
from sip.digest import ha1_md5  # noqa: E402
from sip.digest import ha1_sha256  # noqa: E402
from sip.models import Credential  # noqa: E402
from sip.models import CredentialAttachment  # noqa: E402
from sip.models import CredentialList  # noqa: E402
from sip.models import Purpose  # noqa: E402
from sip.models import SipDomain  # noqa: E402

ORG = "bench"
USERNAME = "bench"
PASSWORD = "bench-login-password"
# The benchmark user signs in with a second factor, as the Django admin requires of a superuser:
# bench/run.py computes its code from this key (benchmark data only, never a real account's).
TOTP_KEY = b"bench-only-totp-key!".hex()
DOMAINS, LISTS, CREDENTIALS, ATTACHMENTS, SMALL = 1_000, 1_000, 100_000, 5_000, 200
WARNING_LISTS = 300  # each empty and attached nowhere: two review warnings each
BATCH = 5_000
# What the organization holds once seeded, by kind (the seed records no Activity).
SEEDED = {
    "accounts": 1 + SMALL + 1,
    "domains": DOMAINS + SMALL,
    "lists": LISTS + SMALL + WARNING_LISTS,
    "credentials": CREDENTIALS + SMALL,
    "attachments": ATTACHMENTS + SMALL,
    "activity": 0,
}


def dataset() -> dict[str, int]:
    """What the benchmark's organization holds now, by kind (as SEEDED counts it)."""
    inside = {"account__organization__slug": ORG}
    return {
        "accounts": ProviderAccount.objects.filter(organization__slug=ORG).count(),
        "domains": SipDomain.objects.filter(**inside).count(),
        "lists": CredentialList.objects.filter(**inside).count(),
        "credentials": Credential.objects.filter(**inside).count(),
        "attachments": CredentialAttachment.objects.filter(
            domain__account__organization__slug=ORG
        ).count(),
        "activity": Activity.objects.filter(organization__slug=ORG).count(),
    }


def big_account() -> ProviderAccount | None:
    return ProviderAccount.objects.filter(organization__slug=ORG, name="Big").first()


@transaction.atomic
def seed() -> ProviderAccount:
    org = Organization.objects.create(name="Benchmark Inc", slug=ORG)
    User = get_user_model()
    user = User.objects.filter(username=USERNAME).first() or User(username=USERNAME)
    user.is_staff = user.is_superuser = True  # the Django admin is measured too
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    big = ProviderAccount.objects.create(organization=org, name="Big", provider="telnyx")

    domains = SipDomain.objects.bulk_create(
        (
            SipDomain(
                account=big, name=f"Domain {i}", prefix=f"dom-{i}", domain=f"dom-{i}.sip.telnyx.com"
            )
            for i in range(DOMAINS)
        ),
        batch_size=BATCH,
    )
    lists = CredentialList.objects.bulk_create(
        (CredentialList(account=big, name=f"List {i}", name_key=f"list{i}") for i in range(LISTS)),
        batch_size=BATCH,
    )
    per_list = CREDENTIALS // LISTS
    realm = big.provider_info.realm

    def credentials():
        for index, credential_list in enumerate(lists):
            for j in range(per_list):
                username = f"user-{index}-{j}"
                password = f"Bench-Pass-{index}-{j}"
                yield Credential(
                    credential_list=credential_list,
                    account=big,
                    username=username,
                    ha1_md5=ha1_md5(username, realm, password),
                    ha1_sha256=ha1_sha256(username, realm, password),
                )

    Credential.objects.bulk_create(credentials(), batch_size=BATCH)
    # Five attachments per domain: lists i..i+2 for calls, i..i+1 for registrations.
    attachments = []
    for i, domain in enumerate(domains):
        for k in range(3):
            attachments.append((domain, lists[(i + k) % LISTS], Purpose.CALLS))
        for k in range(2):
            attachments.append((domain, lists[(i + k) % LISTS], Purpose.REGISTRATIONS))
    CredentialAttachment.objects.bulk_create(
        (
            CredentialAttachment(domain=d, credential_list=cl, purpose=p)
            for d, cl, p in attachments[:ATTACHMENTS]
        ),
        batch_size=BATCH,
    )
    for n in range(SMALL):
        small = ProviderAccount.objects.create(
            organization=org, name=f"Small {n}", provider="twilio"
        )
        domain = SipDomain.objects.create(account=small, name="Office", prefix=f"small-{n}")
        phones = CredentialList.objects.create(account=small, name="Phones")
        Credential.objects.create(
            credential_list=phones,
            username="desk",
            ha1_md5=ha1_md5("desk", small.provider_info.realm, "Desk-Pass-1234"),
            ha1_sha256=ha1_sha256("desk", small.provider_info.realm, "Desk-Pass-1234"),
        )
        CredentialAttachment.objects.create(
            domain=domain, credential_list=phones, purpose=Purpose.CALLS
        )
    seed_warnings(org)
    return big


def seed_warnings(org: Organization) -> ProviderAccount:
    """An account with a few hundred setup review warnings (a setup after a careless import):
    what the review costs every tab page."""
    account = ProviderAccount.objects.create(organization=org, name="Warnings", provider="telnyx")
    CredentialList.objects.bulk_create(
        CredentialList(account=account, name=f"Unused {i}", name_key=f"unused{i}")
        for i in range(WARNING_LISTS)
    )
    return account


@transaction.atomic
def reset() -> None:
    # Accounts protect their setup, so delete bottom-up.
    CredentialAttachment.objects.filter(domain__account__organization__slug=ORG).delete()
    Credential.objects.filter(credential_list__account__organization__slug=ORG).delete()
    CredentialList.objects.filter(account__organization__slug=ORG).delete()
    SipDomain.objects.filter(account__organization__slug=ORG).delete()
    Organization.objects.filter(slug=ORG).delete()


def second_factor() -> None:
    """The benchmark user's authenticator app, ready for a code of the current time step (a
    run signs in once)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=USERNAME)
    TOTPDevice.objects.update_or_create(
        user=user, name="Benchmark", defaults={"key": TOTP_KEY, "last_t": -1}
    )


def main() -> None:
    call_command("migrate", verbosity=0)
    if "--reset" in sys.argv:
        reset()
    existing = big_account()
    if existing is not None:
        if not ProviderAccount.objects.filter(organization__slug=ORG, name="Warnings").exists():
            seed_warnings(existing.organization)  # a dataset seeded before it was added
        second_factor()
        print(f"Benchmark data already seeded (account {existing.pk}); --reset to seed again.")
        return
    started = time.perf_counter()
    big = seed()
    second_factor()
    # Fresh planner statistics, as autovacuum would gather on a live database.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    elapsed = time.perf_counter() - started
    print(
        f"Seeded {DOMAINS:,} domains, {LISTS:,} lists, {CREDENTIALS:,} credentials, "
        f"{ATTACHMENTS:,} attachments, {SMALL} small accounts and one with "
        f"{2 * WARNING_LISTS} review warnings in {elapsed:.1f} s (account {big.pk})."
    )


if __name__ == "__main__":
    main()
