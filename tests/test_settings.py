from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Test-only variables that a production environment would not have.
NOT_IN_PRODUCTION = {"DJANGO_ALLOW_ASYNC_UNSAFE"}

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60 + "-a-long-random-production-secret",
    "ALLOWED_HOSTS": "sip.example.com",
    "HTTPS": "true",
    "STATIC_MANIFEST": "true",
    "ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1saWtlLWtleS1mb3ItdGhlLXRlc3Q=",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if k not in PRODUCTION and k not in NOT_IN_PRODUCTION
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_required_when_debug_is_off():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_encryption_keys_required_when_debug_is_off():
    result = manage("check", env={**PRODUCTION, "ENCRYPTION_KEYS": ""})
    assert result.returncode != 0
    assert "ENCRYPTION_KEYS is required when DEBUG is off" in result.stderr


def test_bad_boolean_is_refused():
    result = manage("check", env={**PRODUCTION, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_a_served_process_freezes_what_it_loaded_at_start():
    """whippy.wsgi: Django's apps, models and URL patterns out of the collector's reach."""
    code = (
        "import gc, sys; import whippy.wsgi; "
        "print(gc.get_freeze_count(), 'whippy.urls' in sys.modules, 'sip.views' in sys.modules)"
    )
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, urls, views = result.stdout.split()
    assert int(frozen) > 50_000 and urls == views == "True", result.stdout


def test_debug_is_off_unless_asked():
    code = "from django.conf import settings; print(settings.DEBUG, settings.STORAGES['staticfiles']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in PRODUCTION},
            "SECRET_KEY": "k" * 50,
            "ENCRYPTION_KEYS": PRODUCTION["ENCRYPTION_KEYS"],
            "DJANGO_SETTINGS_MODULE": "whippy.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == [
        "False",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


def test_postgresql_plans_a_query_once_per_connection(requires_postgresql, account):
    """On PostgreSQL a query sent a second time on a connection is prepared (settings:
    server-side binding, DB_PREPARE_THRESHOLD): its later runs are not planned again."""
    from django.db import connection

    # A statement no other test sends: the connection outlives tests, and with it what it
    # prepared and counted.
    sql = "SELECT COUNT(*) AS prepared_once FROM sip_sipdomain WHERE account_id = %s"

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [statement for (statement,) in cursor.fetchall() if "prepared_once" in statement]

    def run(key: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])

    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    run(account.pk)
    assert prepared() == []  # once: not yet
    run(account.pk)
    run(account.pk + 1)  # the same statement, another parameter
    assert len(prepared()) == 1


def test_postgresql_connections_cost_pages_read_out_of_order_as_in_memory(requires_postgresql, db):
    """DB_RANDOM_PAGE_COST (1.1 unless set) is the planner's setting on the app's connections:
    at PostgreSQL's default of 4 it joined a page of 50 attachments by reading all 5,000."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)


def database_options(**env: str) -> str:
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "whippy.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_random_page_cost_that_is_not_a_number_is_refused():
    env = {**PRODUCTION, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = manage("check", env={**env, "DB_RANDOM_PAGE_COST": "cheap"})
    assert result.returncode != 0
    assert "DB_RANDOM_PAGE_COST must be a number" in result.stderr
    chosen = database_options(**env, DB_RANDOM_PAGE_COST="2")
    assert "'options': '-c random_page_cost=2.0'" in chosen
    chosen = database_options(**env, DB_RANDOM_PAGE_COST="")
    assert "random_page_cost" not in chosen and "prepare_threshold" in chosen
