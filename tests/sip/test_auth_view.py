"""The sip_auth view, the contract with any SIP server: one row per credential, domain and
purpose it authenticates, with the realm of the domain's provider; and on PostgreSQL a role
that can read it and nothing else."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from accounts.models import ProviderAccount
from accounts.providers import PROVIDERS
from sip import services
from sip.models import CredentialAttachment
from tests.conftest import one_of_everything

ROLE_SQL = Path(settings.BASE_DIR) / "deploy" / "kamailio" / "readonly_role.sql"


def rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT username, domain, purpose, realm, ha1_md5, ha1_sha256 FROM sip_auth"
            " ORDER BY domain, purpose, username"
        )
        return cursor.fetchall()


def test_one_row_per_credential_domain_and_purpose(admin_request, account, domain):
    ids = one_of_everything(account, domain)  # "desk" in "Phones", attached for calls
    desk = services.Credential.objects.get(pk=ids["credential_id"])
    assert rows() == [
        ("desk", domain.domain, "calls", "sip.twilio.com", desk.ha1_md5, desk.ha1_sha256)
    ]
    services.attachment_create(
        request=admin_request,
        domain=domain,
        credential_list=desk.credential_list,
        purposes=["registrations"],
    )
    assert [row[2] for row in rows()] == ["calls", "registrations"]
    # A list attached nowhere authenticates nowhere.
    CredentialAttachment.objects.all().delete()
    assert rows() == []


def test_every_provider_has_its_realm(org):
    """A provider added to the registry without a migration updating the view fails here."""
    for key, provider in PROVIDERS.items():
        account = ProviderAccount.objects.create(organization=org, name=key, provider=key)
        one_of_everything(
            account,
            services.SipDomain.objects.create(account=account, name=key, prefix=f"{key}-hq"),
            list_name=f"{key} phones",
        )
        realms = {row[3] for row in rows() if row[1] == f"{key}-hq.{provider.domain_suffix}"}
        assert realms == {provider.realm}, key
        # The shipped Kamailio configuration challenges with the domain minus its first label.
        assert provider.realm == provider.domain_suffix, key


def connect_as(role: str, password: str) -> psycopg.Connection:
    database = connection.settings_dict
    return psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        dbname=database["NAME"],
        user=role,
        password=password,
        autocommit=True,
    )


@pytest.mark.django_db(transaction=True)  # committed, so the role's own connection sees it
def test_the_sip_server_role_reads_the_view_and_nothing_else(requires_postgresql, account, domain):
    one_of_everything(account, domain)
    database = connection.settings_dict
    role, password = "whippy_sip_edge_test", "Role-Pass-1"
    url = (
        f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    # Roles belong to the whole server: made and dropped for good, by the documented command.
    psql = [
        "psql",
        url,
        "-v",
        "ON_ERROR_STOP=1",
        "-v",
        f"role={role}",
        "-v",
        f"password={password}",
    ]
    drop = [*psql, "-c", f'DROP ROLE IF EXISTS "{role}"']
    subprocess.run(drop, check=True, capture_output=True)
    made = subprocess.run([*psql, "-f", str(ROLE_SQL)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    try:
        with connect_as(role, password) as reader, reader.cursor() as cursor:
            cursor.execute("SELECT username, realm, ha1_md5 FROM sip_auth")
            rows = cursor.fetchall()
            assert [row[:2] for row in rows] == [("desk", "sip.twilio.com")]
            # The SIP server's fast path returns the same, with the same rights.
            cursor.execute(
                "SELECT ha1_md5 FROM sip_auth_lookup('desk', %s, 'calls')", [domain.domain]
            )
            assert cursor.fetchall() == [(rows[0][2],)]
            cursor.execute(
                "SELECT count(*) FROM sip_auth_lookup('desk', %s, 'registrations')", [domain.domain]
            )
            assert cursor.fetchone() == (0,)
            for table in ("sip_credential", "accounts_activity", "auth_user", "django_session"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    cursor.execute(f"SELECT * FROM {table}")
    finally:
        owned = [*psql, "-c", f'DROP OWNED BY "{role}"', "-c", f'DROP ROLE "{role}"']
        subprocess.run(owned, check=True, capture_output=True)
