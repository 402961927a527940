"""Runs the shipped SIP server (deploy/kamailio/kamailio.cfg) in the foreground against this
app's database, for a local trial: point a softphone at it, or the connection check's "Test it
for real" (SIP_SERVER=127.0.0.1:5060)."""

from __future__ import annotations

import os
import re
import shutil

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from sip.sip_server import command
from sip.sip_server import database_url


class Command(BaseCommand):
    help = "Runs Kamailio in the foreground, authenticating from this app's database."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--listen", default="127.0.0.1:5060", help="UDP address and port (loopback by default)"
        )
        parser.add_argument(
            "--sha256", action="store_true", help="challenge with SHA-256 digests instead of MD5"
        )
        parser.add_argument("--pid-file", default="", help="write Kamailio's process id here")

    def handle(self, *args, listen: str, sha256: bool, pid_file: str, **options) -> None:
        if not re.fullmatch(r"[\w.:\[\]-]+:\d{1,5}", listen):
            raise CommandError("--listen takes an address and a port, such as 127.0.0.1:5060.")
        if not shutil.which("kamailio") and not os.path.exists("/usr/sbin/kamailio"):
            raise CommandError(
                "Kamailio is not installed: apt-get install -y kamailio "
                "kamailio-sqlite-modules kamailio-postgres-modules"
            )
        argv = command(listen, sha256=sha256, pid_file=pid_file or None)
        shown = re.sub(r":[^:@/]+@", ":***@", database_url())
        self.stdout.write(
            f"Kamailio on udp:{listen}, {'SHA-256' if sha256 else 'MD5'} digests, reading "
            f"{shown}. Stop it with Ctrl-C"
            + (f" or: kill $(cat {pid_file})" if pid_file else "")
            + "."
        )
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606 - Kamailio takes over this process
