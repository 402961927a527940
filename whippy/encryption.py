"""Secrets the app must send on (a provider's API key secret), encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256) under the keys in settings.ENCRYPTION_KEYS: the first
encrypts, any of them decrypts, so a key is rotated by putting a new one first, re-encrypting
(`manage.py rotate_encryption_key`) and then removing the old one. The database alone never
reveals a secret.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class Undecryptable(Exception):
    """No configured key opens this token (the key that made it was removed too early)."""


def keys() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in settings.ENCRYPTION_KEYS])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes), "
            "separated by commas"
        ) from error


def encrypt(secret: str) -> str:
    return keys().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return keys().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise Undecryptable("No key in ENCRYPTION_KEYS decrypts this secret.") from error


def reencrypt(token: str) -> str:
    """The same secret under the first key."""
    try:
        return keys().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise Undecryptable("No key in ENCRYPTION_KEYS decrypts this secret.") from error
