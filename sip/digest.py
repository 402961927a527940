"""SIP digest secrets (RFC 2617 and RFC 7616).

A provider authenticates a SIP user with HA1 = H(username:realm:password); storing HA1 for the
provider's realm is all that is needed, so the password itself is never kept.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string

from django.core.exceptions import ValidationError

PASSWORD_MIN = 12
PASSWORD_MAX = 128
GENERATED_LENGTH = 24
_ALPHABET = string.ascii_letters + string.digits


def ha1_md5(username: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def ha1_sha256(username: str, realm: str, password: str) -> str:
    return hashlib.sha256(f"{username}:{realm}:{password}".encode()).hexdigest()


def validate_sip_password(password: str) -> None:
    """The provider's policy (Twilio): 12 to 128 characters with upper, lower case and a digit."""
    if len(password) < PASSWORD_MIN:
        raise ValidationError(
            f"The password needs at least {PASSWORD_MIN} characters.", code="password_short"
        )
    if len(password) > PASSWORD_MAX:
        raise ValidationError(
            f"The password can have at most {PASSWORD_MAX} characters.", code="password_long"
        )
    missing = [
        what
        for what, pattern in (
            ("an upper case letter", r"[A-Z]"),
            ("a lower case letter", r"[a-z]"),
            ("a digit", r"[0-9]"),
        )
        if not re.search(pattern, password)
    ]
    if missing:
        raise ValidationError(
            "The password needs "
            + ", ".join(missing[:-1])
            + (" and " if len(missing) > 1 else "")
            + missing[-1]
            + ".",
            code="password_weak",
        )


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password that meets the policy (letters and digits: easy to type on a phone)."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        try:
            validate_sip_password(password)
        except ValidationError:
            continue
        return password
