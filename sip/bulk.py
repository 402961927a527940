"""Bulk work on SIP users: a CSV file of them read and checked (the dry run), the file's rows
carried to the confirming request, the passwords delivered once, and the progress of long work.

Passwords are never kept on the server. The dry run's answer carries the file's rows to the
confirming request itself, encrypted (Fernet, expiring: seal/unseal): the browser holds them,
no table, file, cache or task does. Generated passwords are made by the request that applies
the import, and leave in its answer only (password_csv). Progress is counts only.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zlib
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.formats import number_format

from sip.digest import validate_sip_password
from sip.models import Credential
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import validate_sip_username
from whippy.encryption import keys

MAX_FILE_BYTES = settings.UPLOAD_MAX_BYTES
MAX_ROWS = 10_000
# How long a dry run can be confirmed: after that, the file is checked again.
TOKEN_SECONDS = 3600
USERNAME_MAX = Credential._meta.get_field("username").max_length

NOT_UTF8 = (
    "This file is not UTF-8 text. Save it as “CSV UTF-8” (in Excel: File > Save As > "
    "CSV UTF-8) and upload it again."
)
NOT_CSV = "This is not a CSV file: it holds binary data. Upload a .csv file saved as text."
TOO_LARGE = (
    f"This file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB. Split it into files of "
    f"at most {number_format(MAX_ROWS, force_grouping=True)} SIP users."
)


class Status:
    """What the dry run says of a row."""

    ADD = "add"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    EXISTS = "exists"
    OVER_LIMIT = "over_limit"


STATUS_LABELS = {
    Status.ADD: "Will be added",
    Status.INVALID: "Invalid",
    Status.DUPLICATE: "Duplicate in the file",
    Status.EXISTS: "Already in the list",
    Status.OVER_LIMIT: "Over the provider's limit",
}


@dataclass
class Row:
    line: int  # the line of the file it starts on (the header is line 1)
    username: str
    password: str  # typed; "" for one to generate
    status: str = Status.ADD
    problem: str = ""

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def generated(self) -> bool:
        return not self.password


@dataclass
class Report:
    rows: list[Row]
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = {status: 0 for status in STATUS_LABELS}
        for row in self.rows:
            self.counts[row.status] += 1

    @property
    def valid(self) -> list[Row]:
        return [row for row in self.rows if row.status == Status.ADD]

    @property
    def problems(self) -> list[Row]:
        return [row for row in self.rows if row.status != Status.ADD]

    @property
    def totals(self) -> list[tuple[str, str, int]]:
        """(status, label, count) of every status some row has."""
        return [(s, label, self.counts[s]) for s, label in STATUS_LABELS.items() if self.counts[s]]


# Reading the file


def read_csv(data: bytes) -> list[Row]:
    """The rows of an uploaded file, or a ValidationError saying what is wrong with the file
    itself. A header row names the columns (username, and optionally password; others, such as
    an export's, are ignored); comma or semicolon separated; UTF-8 with or without a BOM."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(TOO_LARGE, code="too_large")
    if not data.strip():
        raise ValidationError("This file is empty.", code="empty")
    if b"\x00" in data:
        raise ValidationError(NOT_CSV, code="binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(NOT_UTF8, code="not_utf8") from error
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = [(reader.line_num, record) for record in reader if any(c.strip() for c in record)]
    except csv.Error as error:
        raise ValidationError(
            f"Line {reader.line_num} cannot be read as CSV ({error}). Check its quotes.",
            code="malformed",
        ) from error
    if not records:
        raise ValidationError("This file is empty.", code="empty")
    columns = columns_of(records[0][1])
    if len(records) == 1:
        raise ValidationError(
            "This file has a header row but no SIP users below it.", code="header_only"
        )
    if len(records) - 1 > MAX_ROWS:
        raise ValidationError(
            f"This file has {number_format(len(records) - 1, force_grouping=True)} SIP users: "
            f"at most {number_format(MAX_ROWS, force_grouping=True)} can be imported at once. "
            "Split it into smaller files.",
            code="too_many",
        )
    rows = []
    for end, record in records[1:]:
        cells = dict(enumerate(record))  # a short row has blank cells at its end
        username = cells.get(columns["username"], "").strip()
        password = cells.get(columns.get("password", -1), "")
        # line_num is the line a record ends on; quoted line breaks move its start up.
        start = end - sum(cell.count("\n") for cell in record)
        rows.append(Row(start, username, password))
    return rows


def columns_of(header: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    if "username" not in names:
        raise ValidationError(
            "The first row must be a header naming the columns: “username”, and optionally "
            f"“password”. This file's first row is: {', '.join(header)[:200]}.",
            code="no_header",
        )
    return {name: names.index(name) for name in ("username", "password") if name in names}


# The dry run


def check(rows: list[Row], credential_list: CredentialList) -> Report:
    """What would happen to each row if it were imported into the list now: the rule an
    invalid one breaks, a username repeated in the file (the first one is kept), one the list
    has already (in any case), and the rows past the provider's limit. One query."""
    existing = {
        name.lower()
        for name in Credential.objects.filter(credential_list=credential_list).values_list(
            "username", flat=True
        )
    }
    provider = credential_list.account.provider_info
    limit = provider.max_credentials_per_list
    room = None if limit is None else max(0, limit - len(existing))
    seen: dict[str, int] = {}
    for row in rows:
        row.status, row.problem = Status.ADD, ""
        problem = row_problem(row)
        key = row.username.lower()
        if problem:
            row.status, row.problem = Status.INVALID, problem
        elif key in seen:
            row.status = Status.DUPLICATE
            row.problem = f"The same username as line {seen[key]} (usernames ignore case)."
        elif key in existing:
            row.status, row.problem = Status.EXISTS, "The list already has this SIP user."
        elif room is not None and room <= 0:
            row.status = Status.OVER_LIMIT
            row.problem = (
                f"{provider.label} allows at most {number_format(limit, force_grouping=True)} "
                "SIP users in a list."
            )
        else:
            if room is not None:
                room -= 1
        seen.setdefault(key, row.line)
    return Report(rows)


def row_problem(row: Row) -> str:
    """The first rule the row breaks, in the words the form uses, or ""."""
    if not row.username:
        return "The username is missing."
    if len(row.username) > USERNAME_MAX:
        return f"A username can have at most {USERNAME_MAX} characters."
    try:
        validate_sip_username(row.username)
        if row.password:
            validate_sip_password(row.password)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


# Carrying the rows to the confirming request


def seal(nonce: str, credential_list: CredentialList, name: str, rows: list[Row]) -> str:
    """The rows, encrypted for the browser to send back when the admin confirms."""
    payload = {
        "nonce": nonce,
        "list": credential_list.pk,
        "name": name,
        "rows": [[row.line, row.username, row.password] for row in rows],
    }
    return keys().encrypt(zlib.compress(json.dumps(payload).encode())).decode()


@dataclass
class Sealed:
    nonce: str
    name: str
    rows: list[Row]


EXPIRED = (
    "This check of the file is more than an hour old, or was changed. Upload the file again "
    "to check it afresh."
)


def unseal(token: str, credential_list: CredentialList) -> Sealed:
    try:
        data = keys().decrypt(token.encode(), ttl=TOKEN_SECONDS)
        payload = json.loads(zlib.decompress(data))
    except (InvalidToken, zlib.error, ValueError, UnicodeEncodeError) as error:
        raise ValidationError(EXPIRED, code="expired") from error
    if payload.get("list") != credential_list.pk:
        raise ValidationError(EXPIRED, code="other_list")
    rows = [Row(line, username, password) for line, username, password in payload["rows"]]
    return Sealed(payload["nonce"], payload["name"], rows)


def new_nonce() -> str:
    return uuid.uuid4().hex


# The passwords, once


PASSWORD_COLUMNS = ["username", "password", "credential_list", "registrations_on", "calls_on"]


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """Each row as one CSV line (comma separated, CRLF ends, as spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def domains_by_purpose(credential_list: CredentialList) -> dict[str, str]:
    """The domains a list's SIP users authenticate on, per purpose, space separated."""
    found: dict[str, list[str]] = {purpose: [] for purpose in Purpose.values}
    attachments = credential_list.attachments.select_related("domain").order_by("domain__domain")
    for attachment in attachments:
        found[attachment.purpose].append(attachment.domain.domain)
    return {purpose: " ".join(names) for purpose, names in found.items()}


def password_csv(credential_list: CredentialList, logins: list[tuple[str, str]]) -> str:
    """The download that delivers new passwords: one line per SIP user."""
    on = domains_by_purpose(credential_list)
    rows = [
        [username, password, credential_list.name, on[Purpose.REGISTRATIONS], on[Purpose.CALLS]]
        for username, password in logins
    ]
    return "".join(csv_lines([PASSWORD_COLUMNS, *rows]))


# Progress of long work: counts only, never a password.


def progress_key(nonce: str) -> str:
    return f"bulk-progress:{nonce}"


def set_progress(nonce: str, account_id: int, **values: object) -> None:
    state = cache.get(progress_key(nonce)) or {"account": account_id}
    state.update(values)
    cache.set(progress_key(nonce), state, TOKEN_SECONDS)


def get_progress(nonce: str, account_id: int) -> dict | None:
    state = cache.get(progress_key(nonce))
    if state is None or state.get("account") != account_id:
        return None
    return state
