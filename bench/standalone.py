"""Django for a benchmark script run on its own (`python bench/NAME.py`): benchmark-only
settings (never production's), and a fresh SQLite file unless DATABASE_URL names a database."""

from __future__ import annotations

import os
import tempfile


def django_setup(name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whippy.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-use")
    os.environ.setdefault("ENCRYPTION_KEYS", "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/{name}.sqlite3"
    import django

    django.setup()
