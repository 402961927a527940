"""A SIP password is shown once and then exists nowhere: no column, SQL, log, cookie or page."""

from __future__ import annotations

import csv
import io
import logging
import re
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files import uploadedfile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from tests.conftest import HTMX
from tests.conftest import rotation
from tests.test_authorization_matrix import every_page

TYPED = "Never-Store-Me-9182"


def every_stored_value() -> list[str]:
    values: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            values.extend(str(value) for row in cursor.fetchall() for value in row)
    for session in Session.objects.all():
        values.append(str(SessionStore().decode(session.session_data)))
    return values


@pytest.mark.django_db(transaction=True)
def test_password_is_nowhere_after_create_and_rotate(admin_client, account, caplog):
    phones = CredentialList.objects.create(account=account, name="Office phones")
    base = f"/o/acme/accounts/{account.pk}/credential-lists/{phones.pk}/"
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    sql: list[str] = []

    def record(execute, statement, params, many, context):
        sql.append(f"{statement} {params!r}")
        return execute(statement, params, many, context)

    with connection.execute_wrapper(record):
        created = admin_client.post(
            base + "credentials/new/",
            {"username": "desk", "password_choice": "type", "password": TYPED},
            headers=HTMX,
        )
        shown.append(TYPED)
        credential_id = phones.credentials.get().pk
        rotated = admin_client.post(
            base + f"credentials/{credential_id}/password/",
            rotation(credential_id, password_choice="generate"),
        )
        generated = re.search(r'id="secret-value">([^<]+)<', rotated.content.decode()).group(1)
        shown.append(generated)
        # A failed attempt must not leak the typed password either.
        failed = admin_client.post(
            base + "credentials/new/",
            {"username": "bad name", "password_choice": "type", "password": TYPED},
        )
    assert TYPED in created.content.decode()  # shown once, in its own response
    assert TYPED not in failed.content.decode()

    # Every page of the app, as a page and as an HTMX swap (SIP Users, Activity and Domains
    # included), listed from the URL conf.
    domain = SipDomain.objects.create(account=account, name="HQ", prefix="hq")
    attachment = CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.CALLS
    )
    ids = {
        "org_slug": "acme",
        "account_id": account.pk,
        "domain_id": domain.pk,
        "list_id": phones.pk,
        "credential_id": credential_id,
        "attachment_id": attachment.pk,
        "nonce": "0" * 32,
    }
    pages = every_page(ids)
    assert len(pages) > 20
    later = [admin_client.get(url, headers=headers) for url in pages for headers in ({}, HTMX)]
    assert all(response.status_code == 200 for response in later)
    stored = every_stored_value()
    logs = [record.getMessage() + repr(record.args) for record in caplog.records]
    cookies = [morsel.value for morsel in admin_client.cookies.values()]
    for password in shown:
        for response in later:
            assert password not in response.content.decode()
            assert password not in str(response.headers)
        assert not [value for value in stored if password in value]
        assert not [statement for statement in sql if password in statement]
        assert not [line for line in logs if password in line]
        assert not [cookie for cookie in cookies if password in cookie]
    assert len(sql) > 5 and stored  # the scans did look at something


def files_written_since(start: float) -> list[Path]:
    """Files changed since start in the temporary folder (where uploads would go) and the
    project's folders (media, or anything else the app could write)."""
    roots = [Path(tempfile.gettempdir()), Path(settings.BASE_DIR)]
    if getattr(settings, "MEDIA_ROOT", ""):
        roots.append(Path(settings.MEDIA_ROOT))
    found = []
    for root in roots:
        for path in root.rglob("*"):
            try:
                if path.is_file() and path.stat().st_mtime >= start and path.stat().st_size < 50e6:
                    found.append(path)
            except OSError:
                continue  # gone meanwhile (another process's temporary file)
    return found


@pytest.mark.django_db(transaction=True)
def test_import_and_bulk_rotation_passwords_are_nowhere_after(
    admin_client, empty_account, caplog, settings, monkeypatch
):
    """Typed and generated passwords of an import, and those of a rotation of many, leave in
    their download only: no column, file, log record, task row or later page holds them."""
    account = empty_account  # no provider limit: 9,003 SIP users in one list
    phones = CredentialList.objects.create(account=account, name="Office phones")
    base = f"/o/acme/accounts/{account.pk}/credential-lists/{phones.pk}/"
    caplog.set_level(logging.DEBUG)
    start = time.time() - 1
    typed = ["Typed-In-Upload-1", "Typed-In-Upload-2"]
    # Django's own handlers would spool this upload to a temporary file (deleted after the
    # request, so a scan afterwards could miss it): the app's handler never makes one.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    spooled = []
    monkeypatch.setattr(
        uploadedfile.TemporaryUploadedFile, "__init__", lambda *a, **k: spooled.append(a)
    )
    filler = "".join(f"filler-{n},\n" for n in range(9_000))
    content = f"username,password\ndesk-1,{typed[0]}\ndesk-2,{typed[1]}\ndesk-3,\n{filler}"
    upload = SimpleUploadedFile("phones.csv", content.encode())
    sql: list[str] = []

    def record(execute, statement, params, many, context):
        sql.append(f"{statement} {params!r}")
        return execute(statement, params, many, context)

    with connection.execute_wrapper(record):
        dry_run = admin_client.post(base + "import/", {"file": upload})
        token = re.search(r'name="token" value="([^"]+)"', dry_run.content.decode()).group(1)
        imported = admin_client.post(base + "import/", {"token": token, "mode": "valid"})
        rows = list(csv.DictReader(io.StringIO(imported.content.decode("utf-8-sig"))))
        assert len(rows) == 9_003
        generated = [row["password"] for row in rows if row["username"] == "desk-3"]
        page = admin_client.get(base).content.decode()
        nonce = re.search(r'name="nonce" value="([0-9a-f]{32})"', page).group(1)
        ids = list(
            phones.credentials.filter(username__startswith="desk").values_list("pk", flat=True)
        )
        rotated = admin_client.post(base + "rotate/", {"credentials": ids, "nonce": nonce})
        rotated_rows = list(csv.DictReader(io.StringIO(rotated.content.decode("utf-8-sig"))))
    assert not spooled
    secrets = typed + generated + [row["password"] for row in rotated_rows]
    assert len(secrets) == 6 and len(set(secrets)) == 6
    for password in typed:
        assert password not in dry_run.content.decode()  # the check shows no password
    later = [
        admin_client.get(url, headers=headers)
        for url in every_page(
            {
                "org_slug": "acme",
                "account_id": account.pk,
                "list_id": phones.pk,
                "domain_id": 0,
                "credential_id": ids[0],
                "attachment_id": 0,
                "nonce": nonce,
            }
        )
        if "/domains/0/" not in url and "/attachments/0/" not in url
        for headers in ({}, HTMX)
    ]
    exports = [
        b"".join(admin_client.get(f"/o/acme/accounts/{account.pk}/export.{kind}").streaming_content)
        for kind in ("csv", "json")
    ]
    stored = every_stored_value()
    logs = [record.getMessage() + repr(record.args) for record in caplog.records]
    files = files_written_since(start)
    for password in secrets:
        for response in later:
            assert password not in response.content.decode()
        for body in exports:
            assert password.encode() not in body
        assert not [value for value in stored if password in value]
        assert not [statement for statement in sql if password in statement]
        assert not [line for line in logs if password in line]
        for path in files:
            assert password.encode() not in path.read_bytes(), path
    assert len(later) > 20 and stored and len(sql) > 5
