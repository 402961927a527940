"""Importing SIP users from a CSV file: the dry run's report, row by row and in totals; applying
all valid rows or nothing; the file's own problems beside the field; the passwords once."""

from __future__ import annotations

import csv
import io
import random
import re
import string
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Activity
from sip.digest import ha1_md5
from sip.models import BulkRun
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose

TYPED = "Typed-Password-77"


@pytest.fixture
def phones(account) -> CredentialList:
    return CredentialList.objects.create(account=account, name="Office phones")


def import_url(phones: CredentialList) -> str:
    return f"/o/acme/accounts/{phones.account_id}/credential-lists/{phones.pk}/import/"


def upload(client, phones, content: bytes | str, name: str = "phones.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(import_url(phones), {"file": SimpleUploadedFile(name, data)})


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def confirm(client, phones, dry_run, mode: str = "valid"):
    return client.post(import_url(phones), {"token": token_of(dry_run), "mode": mode})


def read_download(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def report_rows(response) -> dict[int, str]:
    """Line number → the row's status label and problem, as the report table shows them."""
    html = response.content.decode()
    found = re.findall(
        r'<tr><td class="num">(\d+)</td><td>.*?</td><td><span class="badge badge-warning">'
        r"([^<]+)</span> ([^<]*)</td></tr>",
        html,
    )
    return {int(line): unescape(f"{label}: {problem}") for line, label, problem in found}


EVERY_KIND = (
    "username,password\r\n"
    "desk-101,Typed-In-File-42\r\n"  # 2: typed password
    "desk-102,\r\n"  # 3: generated
    "bad name,\r\n"  # 4: invalid username
    "weak,short\r\n"  # 5: invalid password
    "DESK-101,Another-Pass-99\r\n"  # 6: duplicate of line 2, differing only in case
    "existing,\r\n"  # 7: already in the list
    ",Lonely-Password-1\r\n" + "x" * 33 + ",\r\n"  # 8: no username  # 9: too long
)


@pytest.mark.django_db
def test_dry_run_reports_every_kind_of_row_and_changes_nothing(admin_client, phones):
    Credential.objects.create(credential_list=phones, username="Existing")
    before = Activity.objects.count()
    response = upload(admin_client, phones, EVERY_KIND)
    assert response.status_code == 200
    rows = report_rows(response)
    assert rows == {
        4: "Invalid: Use letters, digits, dots, underscores and hyphens, starting with a "
        "letter or digit.",
        5: "Invalid: The password needs at least 12 characters.",
        6: "Duplicate in the file: The same username as line 2 (usernames ignore case).",
        7: "Already in the list: The list already has this SIP user.",
        8: "Invalid: The username is missing.",
        9: "Invalid: A username can have at most 32 characters.",
    }
    html = response.content.decode()
    assert "Check of phones.csv: 8 rows" in html
    assert "<strong>2</strong> will be added" in html
    assert "<strong>4</strong> invalid" in html
    assert "<strong>1</strong> duplicate in the file" in html
    assert "<strong>1</strong> already in the list" in html
    # Nothing changed, and the typed passwords are not shown back.
    assert list(phones.credentials.values_list("username", flat=True)) == ["Existing"]
    assert Activity.objects.count() == before
    assert not BulkRun.objects.exists()
    assert "Typed-In-File-42" not in html and "Another-Pass-99" not in html
    # With problems in the file, "only the valid rows" is the preselected choice.
    assert re.search(r'value="valid"[^>]*checked', html)


@pytest.mark.django_db
def test_valid_rows_apply_and_passwords_download_once(admin_client, phones, domain):
    CredentialAttachment.objects.create(
        domain=domain, credential_list=phones, purpose=Purpose.REGISTRATIONS
    )
    Credential.objects.create(credential_list=phones, username="existing")
    dry_run = upload(admin_client, phones, EVERY_KIND)
    response = confirm(admin_client, phones, dry_run, "valid")
    rows = read_download(response)
    assert [row["username"] for row in rows] == ["desk-101", "desk-102"]
    assert rows[0]["password"] == "Typed-In-File-42"
    generated = rows[1]["password"]
    assert len(generated) == 24 and generated != rows[0]["password"]
    assert rows[0]["registrations_on"] == domain.domain and rows[0]["calls_on"] == ""
    assert rows[0]["credential_list"] == "Office phones"
    realm = "sip.twilio.com"
    added = {c.username: c for c in phones.credentials.all()}
    assert set(added) == {"existing", "desk-101", "desk-102"}
    assert added["desk-101"].ha1_md5 == ha1_md5("desk-101", realm, "Typed-In-File-42")
    assert added["desk-102"].ha1_md5 == ha1_md5("desk-102", realm, generated)
    assert added["desk-101"].account_id == phones.account_id
    # One readable record of the import, with counts and no password.
    record = Activity.objects.filter(action=Activity.Action.IMPORTED).get()
    assert record.summary == (
        "Imported 2 SIP users into “Office phones” from phones.csv; 6 rows skipped."
    )
    assert record.changes == {"sip_users": [1, 3], "skipped": [None, 6]}
    # The same confirmation again adds nothing and delivers no password.
    again = confirm(admin_client, phones, dry_run, "valid")
    assert again["Content-Type"].startswith("text/html")
    assert "This form was already sent" in again.content.decode()
    assert generated not in again.content.decode()
    assert phones.credentials.count() == 3


@pytest.mark.django_db
def test_all_or_nothing_with_a_bad_row_adds_nothing_and_says_why(admin_client, phones):
    dry_run = upload(admin_client, phones, "username\nfine-1\nbad name\nfine-2\n")
    response = confirm(admin_client, phones, dry_run, "all")
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "Nothing was imported: 1 row cannot be added (see below)." in html
    assert report_rows(response) == {
        3: "Invalid: Use letters, digits, dots, underscores and hyphens, starting with a "
        "letter or digit."
    }
    assert not phones.credentials.exists()
    assert not Activity.objects.filter(action=Activity.Action.IMPORTED).exists()
    # The admin can still choose the valid rows with the same check.
    assert [row["username"] for row in read_download(confirm(admin_client, phones, dry_run))] == [
        "fine-1",
        "fine-2",
    ]


@pytest.mark.django_db
def test_all_or_nothing_with_every_row_valid_adds_them_all(admin_client, phones):
    dry_run = upload(admin_client, phones, "username\none\ntwo\n")
    assert re.search(r'value="all"[^>]*checked', dry_run.content.decode())
    rows = read_download(confirm(admin_client, phones, dry_run, "all"))
    assert sorted(row["username"] for row in rows) == ["one", "two"]
    assert phones.credentials.count() == 2


@pytest.mark.django_db
def test_rows_taken_meanwhile_are_checked_again_when_applied(admin_client, phones):
    dry_run = upload(admin_client, phones, "username\none\ntwo\n")
    Credential.objects.create(credential_list=phones, username="TWO")
    rows = read_download(confirm(admin_client, phones, dry_run, "valid"))
    assert [row["username"] for row in rows] == ["one"]
    all_or_nothing = upload(admin_client, phones, "username\nthree\none\n")
    refused = confirm(admin_client, phones, all_or_nothing, "all")
    assert "Nothing was imported" in refused.content.decode()
    assert sorted(phones.credentials.values_list("username", flat=True)) == ["TWO", "one"]


@pytest.mark.django_db
def test_provider_limit(admin_client, phones, settings):
    Credential.objects.bulk_create(
        Credential(credential_list=phones, account=phones.account, username=f"u{n}")
        for n in range(998)
    )
    dry_run = upload(admin_client, phones, "username\na\nb\nc\nd\n")
    assert report_rows(dry_run) == {
        4: "Over the provider's limit: Twilio allows at most 1,000 SIP users in a list.",
        5: "Over the provider's limit: Twilio allows at most 1,000 SIP users in a list.",
    }
    rows = read_download(confirm(admin_client, phones, dry_run))
    assert [row["username"] for row in rows] == ["a", "b"]
    assert phones.credentials.count() == 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "usernames"),
    [
        ("\ufeffusername;password\r\nalpha;Semicolon-Pass-1\r\nbeta;\r\n", ["alpha", "beta"]),
        ("Username , Password\n\n gamma ,\n", ["gamma"]),
        ("list,username,registrations_on\nOffice,delta,x.sip.twilio.com\n", ["delta"]),
        ('username,password\n"eps","Quoted,Comma-1a"\n', ["eps"]),
    ],
    ids=["bom-semicolon-crlf", "spaces-and-blank-lines", "an-export", "quoted"],
)
def test_formats_accepted(admin_client, phones, content, usernames):
    dry_run = upload(admin_client, phones, content)
    assert report_rows(dry_run) == {}
    rows = read_download(confirm(admin_client, phones, dry_run))
    assert [row["username"] for row in rows] == usernames


def field_error(response) -> str:
    html = response.content.decode()
    match = re.search(r'<ul class="errors" id="id_file_error">(.*?)</ul>', html, re.S)
    assert match, html[-3000:]
    # Tied to the field, for screen readers.
    assert 'aria-describedby="id_file_helptext id_file_error" id="id_file"' in html
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "This file is empty."),
        (b"\r\n\r\n", "This file is empty."),
        (b"username,password\r\n", "This file has a header row but no SIP users below it."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
        ("username\ndésk\n".encode("latin-1"), "This file is not UTF-8 text"),
        (b"user,pass\nalpha,beta\n", "The first row must be a header naming the columns"),
        (b'username\n"unterminated\n', "cannot be read as CSV"),
    ],
    ids=["empty", "blank", "header-only", "binary", "latin-1", "no-header", "bad-quote"],
)
def test_file_problems_beside_the_field(admin_client, phones, content, message):
    response = upload(admin_client, phones, content)
    assert response.status_code == 200
    assert message in field_error(response)
    assert 'name="token"' not in response.content.decode()
    assert not phones.credentials.exists()


@pytest.mark.django_db
def test_a_file_over_the_size_limit(admin_client, phones, settings, tmp_path):
    big = b"username,password\n" + b"u,Long-Password-1\n" * (2 * 1024 * 1024 // 17 + 10)
    response = upload(admin_client, phones, big)
    assert "larger than 2 MB" in field_error(response)


@pytest.mark.django_db
def test_too_many_rows(admin_client, phones):
    content = "username\n" + "".join(f"u{n}\n" for n in range(10_001))
    response = upload(admin_client, phones, content)
    assert "This file has 10,001 SIP users: at most 10,000 can be imported at once." in (
        field_error(response)
    )


@pytest.mark.django_db
def test_no_file_chosen(admin_client, phones):
    response = admin_client.post(import_url(phones), {})
    assert "Choose a CSV file to upload." in field_error(response)


@pytest.mark.django_db
def test_a_mangled_or_foreign_token_is_refused_plainly(admin_client, phones, account):
    other = CredentialList.objects.create(account=account, name="Other")
    dry_run = upload(admin_client, phones, "username\none\n")
    for target, token in ((phones, "garbage"), (other, token_of(dry_run)), (phones, "")):
        response = admin_client.post(import_url(target), {"token": token, "mode": "valid"})
        assert response.status_code == 200
        assert "Upload the file again" in response.content.decode()
    assert not Credential.objects.exists()


@pytest.mark.django_db
def test_the_largest_file_allowed_imports(admin_client, empty_account):
    """10,000 rows with the longest passwords: under the size limit, checked, carried back
    (encrypted) within Django's limit on a form's size, and imported."""
    phones = CredentialList.objects.create(account=empty_account, name="Everyone")
    # Random characters (a fixed seed): what compresses least in the sealed rows.
    draw = random.Random(0).choices
    alphabet = string.ascii_letters + string.digits + "!#$%&()*+-./:<=>?@[]^_{|}~"
    passwords = ["Aa1" + "".join(draw(alphabet, k=125)) for _ in range(10_000)]
    content = "username,password\n" + "".join(
        f"{'u' * 26}{n:06d},{password}\n" for n, password in enumerate(passwords)
    )
    assert 1.6e6 < len(content) < 2 * 1024 * 1024
    dry_run = upload(admin_client, phones, content)
    assert "<strong>10000</strong> will be added" in dry_run.content.decode()
    assert len(token_of(dry_run)) > 1.4e6  # near the 2.5 MB a form may have
    rows = read_download(confirm(admin_client, phones, dry_run, "all"))
    assert [row["password"] for row in rows] == passwords
    assert phones.credentials.count() == 10_000


@pytest.mark.django_db
def test_nothing_to_add_records_nothing(admin_client, phones):
    dry_run = upload(admin_client, phones, "username\none\n")
    Credential.objects.create(credential_list=phones, username="one")
    response = confirm(admin_client, phones, dry_run)
    assert response["Content-Type"].startswith("text/html")
    assert "Nothing was imported: no row can be added now." in response.content.decode()
    assert report_rows(response) == {2: "Already in the list: The list already has this SIP user."}
    assert not Activity.objects.exists() and not BulkRun.objects.exists()


@pytest.mark.django_db
def test_rows_shorter_than_the_header(admin_client, phones):
    dry_run = upload(admin_client, phones, "list,notes,password,username\nA,,,zeta\nB\n")
    assert report_rows(dry_run) == {3: "Invalid: The username is missing."}
    assert [row["username"] for row in read_download(confirm(admin_client, phones, dry_run))] == [
        "zeta"
    ]
