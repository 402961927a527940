"""Re-encrypts every saved provider API secret under the first key of ENCRYPTION_KEYS.

To rotate: put a new key first in ENCRYPTION_KEYS (keeping the old one after it), run this,
then remove the old key. A secret no configured key opens is reported, and left as it is."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import ProviderAccount
from whippy.encryption import Undecryptable
from whippy.encryption import reencrypt


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def handle(self, *args, **options) -> None:
        done = failed = 0
        with transaction.atomic():
            accounts = ProviderAccount.objects.select_for_update().exclude(twilio_key_secret="")
            for account in accounts.only("pk", "name", "twilio_key_secret"):
                try:
                    account.twilio_key_secret = reencrypt(account.twilio_key_secret)
                except Undecryptable:
                    failed += 1
                    self.stderr.write(
                        f"Account “{account.name}” (id {account.pk}): no key in "
                        "ENCRYPTION_KEYS opens its secret; connect it again."
                    )
                    continue
                account.save(update_fields=["twilio_key_secret"])
                done += 1
        self.stdout.write(f"Re-encrypted {done} secret(s) under the first key; {failed} failed.")
        if failed:
            raise SystemExit(1)
