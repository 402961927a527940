"""A connected account's writes reach the provider (Twilio) first, then this app.

A service decorated with @remote_first gets a Remote: remote.call(account, step) runs one Twilio
call, in the same request, after the service's checks and locks and before its own save. If
Twilio refuses, the refusal becomes the form's error in the app's words (a field error when it
names a field) and nothing changes here; if Twilio does not answer, nothing changes here and
the message says so. If Twilio accepted but the save here then fails, each call made is undone
in Twilio, last first; a call that cannot be undone leaves a mark that says what differs (the
row shows it, and Activity records it): never a silent difference.

An account that is not connected makes no call: remote.call returns None.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.activity import Action
from accounts.activity import record
from accounts.models import ProviderAccount
from sip.models import SyncState
from sip.twilio_api import Connection
from sip.twilio_api import Twilio
from sip.twilio_api import TwilioError
from sip.twilio_api import TwilioUnreachable
from whippy.encryption import Undecryptable
from whippy.encryption import decrypt
from whippy.htmx import AppRequest

T = TypeVar("T")
logger = logging.getLogger(__name__)

UNREACHABLE = "Twilio did not answer in time, so nothing was changed here. Try again in a moment."
REFUSED_KEY = (
    "Twilio refused this account's API key, so nothing was changed here. An admin can "
    "connect the account again with a valid key."
)
NO_KEY = (
    "This account's API key secret can no longer be decrypted (its encryption key was "
    "removed), so nothing was changed here. Connect the account again."
)
GONE_IN_TWILIO = (
    "Twilio no longer has this object, so nothing was changed here. It may have been deleted "
    "in the Twilio Console."
)


def busy(error: TwilioError) -> str:
    wait = f" in {int(error.retry_after)} seconds" if error.retry_after else " in a moment"
    return f"Twilio is receiving too many requests, so nothing was changed here. Try again{wait}."


def api_for(account: ProviderAccount) -> Twilio:
    try:
        secret = decrypt(account.twilio_key_secret)
    except Undecryptable as error:
        raise ValidationError(NO_KEY) from error
    return Twilio(Connection(account.twilio_account_sid, account.twilio_key_sid, secret))


def refusal(error: TwilioError, errors: dict[int, tuple[str | None, str]]) -> ValidationError:
    """Twilio's refusal in the app's words: the code's field and message when the write names
    one, else what the code means in general."""
    if error.code in errors:
        field, message = errors[error.code]
        return ValidationError({field: message} if field else message)
    if error.code == 20003 or error.status == 401:
        return ValidationError(REFUSED_KEY)
    if error.code == 20429 or error.status == 429:
        return ValidationError(busy(error))
    if error.code == 20404 or error.status == 404:
        return ValidationError(GONE_IN_TWILIO)
    return ValidationError(
        f"Twilio refused this change (error {error.code or error.status}: {error.message}), "
        "so nothing was changed here."
    )


@dataclass
class Undo:
    step: Callable[[Twilio], Any]
    # What to leave when the undo fails too: a sentence saying what differs, and the row it
    # is about; kept is False when the row exists only in Twilio (its save here failed).
    differs: str
    row: Any
    kept: bool


class Remote:
    """The provider calls of one write, and how to take each back."""

    def __init__(self, request: AppRequest) -> None:
        self.request = request
        # Bulk work waits out "too many requests" instead of refusing (Twilio's rate limit).
        self.patient = False
        self.api: Twilio | None = None
        self.account: ProviderAccount | None = None
        self.undos: list[Undo] = []

    def call(
        self,
        account: ProviderAccount,
        step: Callable[[Twilio], T],
        *,
        errors: dict[int, tuple[str | None, str]] | None = None,
        undo: Callable[[Twilio, T], Any] | None = None,
        differs: str = "",
        row: Any = None,
        kept: bool = True,
    ) -> T | None:
        """Runs step(api) for a connected account (None otherwise). errors maps Twilio codes
        to (field or None, message); undo(api, result) takes the call back if the save here
        fails, and differs says what stays different about row if that fails too (kept: the
        row was here before this write)."""
        if not account.connected:
            return None
        if self.api is None:
            self.api, self.account = api_for(account), account
        api = self.api
        try:
            result = api.patiently(lambda: step(api)) if self.patient else step(api)
        except TwilioError as error:
            raise refusal(error, errors or {}) from error
        except TwilioUnreachable as error:
            raise ValidationError(UNREACHABLE) from error
        if undo is not None:
            self.undos.append(Undo(functools.partial(undo, result=result), differs, row, kept))
        return result

    def take_back(self) -> None:
        """Undoes every call made, last first; what cannot be undone is marked."""
        for undo in reversed(self.undos):
            try:
                undo.step(self.api)
            except (TwilioError, TwilioUnreachable):
                self.mark(undo)
        self.undos.clear()

    def mark(self, undo: Undo) -> None:
        # Logged too: should the request's own transaction fail after this, the log remains.
        logger.error("Out of sync with Twilio (account %s): %s", self.account.pk, undo.differs)
        row = undo.row
        if undo.kept:
            type(row).objects.filter(pk=row.pk).update(
                sync_state=SyncState.FAILED, sync_error=undo.differs[:300]
            )
        record(
            self.request,
            Action.OUT_OF_SYNC,
            row if undo.kept else None,
            undo.differs,
            account=self.account,
            object_type=row.activity_type,
            object_repr=str(row),
            changes_setup=False,
        )


def remote_first(service: Callable[..., T]) -> Callable[..., T]:
    """Instead of @transaction.atomic on a write that may reach the provider: the service gets
    remote= (a Remote), and if anything fails after a call was made, the call is undone."""

    @functools.wraps(service)
    def write(*, request: AppRequest, **arguments: Any) -> T:
        remote = Remote(request)
        try:
            with transaction.atomic():
                return service(request=request, remote=remote, **arguments)
        except BaseException:
            remote.take_back()
            raise

    return write


def synced(account: ProviderAccount) -> str:
    """The sync state of a row just written for account."""
    return SyncState.SYNCED if account.connected else SyncState.LOCAL
