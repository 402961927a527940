"""Runs the app for development: Django's runserver and the background worker together.

The worker (`manage.py db_worker`, django-tasks' database backend) runs imports from Twilio;
it starts with the server and stops with it. In production, run gunicorn and `db_worker` as
two services instead (see the README)."""

from __future__ import annotations

import os
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options) -> None:
        worker = None
        # runserver's autoreloader runs this command again in a child (RUN_MAIN): one worker.
        if os.environ.get("RUN_MAIN") != "true":
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-startup-delay"]
            )
            self.stdout.write(f"Background worker started (pid {worker.pid}).")
        try:
            call_command("runserver", addrport)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
