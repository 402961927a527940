"""Measures bulk work through the real views (Django's test client, the whole request):

1. a CSV file of 10,000 SIP users (half with typed passwords) checked and imported into a list
   of an account without a per-list limit (Telnyx: not connected), then exported as CSV and
   JSON with its 10,000 SIP users;
2. 1,000 SIP users (Twilio's limit for a list) imported into a list of a Twilio account
   connected to the tests' fake Twilio (in process, answers not validated: the time is the
   app's own; real Twilio adds a round trip per SIP user), then a page of them rotated.

The database is a fresh one: a SQLite file, or the PostgreSQL database of DATABASE_URL, which
is emptied first (so not the pages' benchmark one).

    .venv/bin/python bench/bulk_bench.py
    createdb -h 127.0.0.1 -U postgres whippy_bulk_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/whippy_bulk_bench .venv/bin/python bench/bulk_bench.py
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
from bench.standalone import django_setup

django_setup("bulk-bench")
logging.getLogger("httpx").setLevel(logging.WARNING)

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Membership  # noqa: E402
from accounts.models import Organization  # noqa: E402
from accounts.models import ProviderAccount  # noqa: E402
from accounts.models import Role  # noqa: E402
from sip import twilio_api  # noqa: E402
from sip.models import CredentialList  # noqa: E402
from tests.twilio.fake import FakeTwilio  # noqa: E402
from whippy.tables import PER_PAGE  # noqa: E402

ROWS = 10_000


def timed(what: str, call):
    started = time.perf_counter()
    result = call()
    print(f"  {what}: {time.perf_counter() - started:.2f} s")
    return result


def import_file(client: Client, credential_list: CredentialList, rows: int) -> None:
    lines = ["username,password"] + [
        f"desk-{n},Typed-Pass-{n:06d}x" if n % 2 else f"desk-{n}," for n in range(rows)
    ]
    content = ("\r\n".join(lines) + "\r\n").encode()
    url = f"/o/bench/accounts/{credential_list.account_id}/credential-lists/{credential_list.pk}/"
    print(f"{rows} rows ({len(content) / 1024:.0f} KiB) into {credential_list.account}:")
    checked = timed(
        "check (upload, read, report)",
        lambda: client.post(url + "import/", {"file": SimpleUploadedFile("p.csv", content)}),
    )
    html = checked.content.decode()
    assert 'name="token"' in html, (checked.status_code, html[:3000])
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    print(f"  sealed rows carried back: {len(token) / 1024:.0f} KiB")
    done = timed(
        "import (checked again, made, passwords downloaded)",
        lambda: client.post(url + "import/", {"token": token, "mode": "all"}),
    )
    assert done["Content-Type"].startswith("text/csv"), done.content[:500]
    assert done.content.count(b"\n") == rows + 1
    assert credential_list.credentials.count() == rows


def main() -> None:
    call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # the pages name hashed files
    settings.WRITES_PER_MINUTE = 10_000
    settings.SECURE_SSL_REDIRECT = False  # plain http inside the test client
    organization = Organization.objects.create(name="Bench", slug="bench")
    from django.contrib.auth.models import User

    user = User.objects.create_user("bench", password="bench-password-1")
    Membership.objects.create(user=user, organization=organization, role=Role.ADMIN)
    client = Client()
    client.force_login(user)

    telnyx = ProviderAccount.objects.create(
        organization=organization, name="Telnyx", provider="telnyx"
    )
    big = CredentialList.objects.create(account=telnyx, name="Everyone")
    import_file(client, big, ROWS)
    for kind in ("csv", "json"):
        response = timed(
            f"export {kind.upper()} ({ROWS} SIP users)",
            lambda kind=kind: b"".join(
                client.get(f"/o/bench/accounts/{telnyx.pk}/export.{kind}").streaming_content
            ),
        )
        assert response.count(b"desk-") >= ROWS

    fake = FakeTwilio(validate=False)
    twilio_api.TRANSPORT = fake.transport()
    twilio = ProviderAccount.objects.create(
        organization=organization,
        name="Twilio (fake)",
        provider="twilio",
        **fake.key_fields(),
    )
    _, remote = fake.create_list(None, {"FriendlyName": "Phones"})
    phones = CredentialList.objects.create(
        account=twilio, name="Phones", remote_sid=remote["sid"], sync_state="synced"
    )
    import_file(client, phones, 1000)
    assert len(fake.credentials) == 1000
    url = f"/o/bench/accounts/{twilio.pk}/credential-lists/{phones.pk}/"
    page = client.get(url).content.decode()
    nonce = re.search(r'name="nonce" value="([0-9a-f]{32})"', page).group(1)
    # As many as a page of the table shows, all selected.
    ids = list(phones.credentials.values_list("pk", flat=True)[:PER_PAGE])
    rotated = timed(
        f"rotate {PER_PAGE} at once (set in Twilio, downloaded)",
        lambda: client.post(url + "rotate/", {"credentials": ids, "nonce": nonce}),
    )
    assert rotated.content.count(b"\n") == PER_PAGE + 1
    print(f"{connection.vendor}: {len(fake.requests)} Twilio requests in all")


if __name__ == "__main__":
    main()
