"""Django for a benchmark script run on its own (`python bench/NAME.py`): benchmark-only
settings (never production's). DATABASE_URL, when set, names the database."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# The pages' and SIP server's benchmarks share one seeded database (bench/seed.py).
BENCH_DATABASE = f"sqlite:///{Path(__file__).resolve().parent / 'bench.sqlite3'}"


def environment(database_url: str = BENCH_DATABASE) -> None:
    os.environ.setdefault("DATABASE_URL", database_url)
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-use")
    os.environ.setdefault("ENCRYPTION_KEYS", "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whippy.settings")


def django_setup(name: str) -> None:
    """Django on a fresh SQLite file of its own, unless DATABASE_URL names a database."""
    if "DATABASE_URL" not in os.environ:
        environment(f"sqlite:///{tempfile.mkdtemp()}/{name}.sqlite3")
    environment()
    import django

    django.setup()
