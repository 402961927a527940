"""Measures an import of a big Twilio account: 1,000 SIP domains, 100 credential lists of 1,000
SIP users (100,000), and 2,000 mappings (each domain's list for calls and registrations).

The Twilio side is the tests' fake (tests/twilio/fake.py) in process, answering through
httpx.MockTransport; with --validate it checks every request and answer against Twilio's spec
as in the tests (a cost real Twilio does not have). The time excludes the network, which real
Twilio adds to each of its requests. The database is a fresh one: a SQLite file, or the
PostgreSQL database of DATABASE_URL, which is emptied first (so not the pages' benchmark one).

    .venv/bin/python bench/import_bench.py [--validate]   # SQLite in a temporary file
    createdb -h 127.0.0.1 -U postgres whippy_import_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/whippy_import_bench .venv/bin/python bench/import_bench.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.standalone import django_setup

django_setup("import-bench")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Organization  # noqa: E402
from accounts.models import ProviderAccount  # noqa: E402
from sip import imports  # noqa: E402
from sip import twilio_api  # noqa: E402
from sip.models import Credential  # noqa: E402
from sip.models import ImportRun  # noqa: E402
from tests.twilio.fake import FakeTwilio  # noqa: E402
from tests.twilio.fake import sid  # noqa: E402

DOMAINS, LISTS, USERS_PER_LIST = 1000, 100, 1000


def fill(fake: FakeTwilio) -> None:
    """The fake's state, written directly (making 100,000 users through the API would take
    longer than the import being measured)."""
    stamp = "Mon, 20 Jul 2015 17:27:10 +0000"
    lists = []
    for n in range(LISTS):
        list_sid = sid("CL")
        lists.append(list_sid)
        fake.lists[list_sid] = {
            "account_sid": fake.account_sid,
            "date_created": stamp,
            "date_updated": stamp,
            "friendly_name": f"Team {n}",
            "sid": list_sid,
            "subresource_uris": {},
            "uri": fake.uri(f"CredentialLists/{list_sid}"),
        }
        for u in range(USERS_PER_LIST):
            credential_sid = sid("CR")
            fake.credentials[credential_sid] = {
                "account_sid": fake.account_sid,
                "credential_list_sid": list_sid,
                "date_created": stamp,
                "date_updated": stamp,
                "sid": credential_sid,
                "uri": fake.uri(f"CredentialLists/{list_sid}/Credentials/{credential_sid}"),
                "username": f"t{n}-u{u}",
            }
    for n in range(DOMAINS):
        _created, domain = fake.create_domain(None, {"DomainName": f"site{n}.sip.twilio.com"})
        for kind in ("calls", "registrations"):
            list_sid = lists[n % LISTS]
            fake.mappings.setdefault((domain["sid"], kind), {})[list_sid] = {
                "account_sid": fake.account_sid,
                "date_created": stamp,
                "date_updated": stamp,
                "friendly_name": fake.lists[list_sid]["friendly_name"],
                "sid": list_sid,
            }


def main() -> None:
    call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    import tests.twilio.fake as fake_module

    fake_module.MAX_DOMAINS = DOMAINS
    # --validate: the fake checks every answer against the spec as in the tests (about 90% of
    # the time then); without it, the time is the import's own (reads, matching, writes).
    fake = FakeTwilio(validate="--validate" in sys.argv)
    started = time.perf_counter()
    fill(fake)
    print(f"fake Twilio filled in {time.perf_counter() - started:.1f} s")
    twilio_api.TRANSPORT = fake.transport()
    organization = Organization.objects.create(name="Bench", slug="bench")
    account = ProviderAccount.objects.create(
        organization=organization,
        name="Big Twilio",
        provider="twilio",
        **fake.key_fields(),
    )
    run = ImportRun.objects.create(account=account)
    started = time.perf_counter()
    imports.import_account.call(run.pk)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, run.error
    assert Credential.objects.filter(account=account).count() == LISTS * USERS_PER_LIST
    print(
        f"{connection.vendor}: imported {run.counts} in {elapsed:.1f} s "
        f"({len(fake.requests)} Twilio requests, answers validated: {fake.validate})"
    )


if __name__ == "__main__":
    main()
