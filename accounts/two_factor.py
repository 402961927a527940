"""Two-factor authentication: an authenticator app (TOTP) and single-use recovery codes, kept by
django-otp (its TOTPDevice and StaticDevice, with their throttling and replay protection).

Signing in is two steps. The password step (Django's login view, django-axes's lockout) signs
the person in with a session that can reach nothing but the code step and log-out, when they
have an authenticator app; when their organization requires one and they have none, nothing
but setting one up. The session's state says which (STATE): read from the session the page
loads anyway, so a page costs no query for it. A requirement an admin turns on later is
checked on every organization page from the memberships it reads anyway
(accounts.access.find_membership raises TwoFactorNeeded).
"""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import user_logged_in
from django.contrib.auth import user_logged_out
from django.contrib.auth import user_login_failed
from django.contrib.auth.base_user import AbstractBaseUser
from django.dispatch import receiver
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.models import Membership
from accounts.models import SignInEvent

STATE = "two_factor"
CODE = "code"  # signed in with the password; the code is asked before anything else
ENROL = "enrol"  # the organization requires a second factor this person has not set up
VERIFIED = "verified"  # the code was given (or the app set up) in this session
PENDING_KEY = "two_factor_pending_key"  # the secret being set up, until its first code
AUTHENTICATED_AT = "authenticated_at"  # when the person last gave their password (and code)

# What a session waiting for a code, or for a second factor to be set up, may open.
OPEN_DURING = {
    CODE: {"two-factor-verify", "logout"},
    ENROL: {"security", "two-factor-setup", "logout"},
}


class TwoFactorNeeded(Exception):
    """The organization requires a second factor this session has not given."""


def record(request: HttpRequest | None, kind: str, user=None, username: str = "") -> None:
    """One line of the sign-in history, with the address and browser it came from. A failure
    or lockout names the username typed: the person of that username (if any) sees it too."""
    from django.contrib.auth import get_user_model

    from accounts.login_throttling import client_address

    if user is None and username:
        people = get_user_model()._default_manager
        user = people.filter(**{people.model.USERNAME_FIELD: username[:150]}).first()

    meta = request.META if request is not None else {}
    SignInEvent.objects.create(
        user=user,
        username=(username or (user.get_username() if user else ""))[:150],
        kind=kind,
        ip_address=client_address(request) if request is not None else None,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
    )


# The devices: one authenticator app and one set of recovery codes a person.


def apps_of(user: AbstractBaseUser):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def app_of(user: AbstractBaseUser, *, lock: bool = False) -> TOTPDevice | None:
    devices = apps_of(user)
    return (devices.select_for_update() if lock else devices).first()


def recovery_of(user: AbstractBaseUser, *, lock: bool = False) -> StaticDevice | None:
    devices = StaticDevice.objects.filter(user=user)
    return (devices.select_for_update() if lock else devices).first()


def is_enrolled(user: AbstractBaseUser) -> bool:
    return apps_of(user).exists()


def required(user: AbstractBaseUser) -> bool:
    """Whether any of the person's organizations requires a second factor of them."""
    memberships = Membership.objects.filter(user=user).select_related("organization")
    return any(membership.needs_two_factor for membership in memberships)


def time_zone_of(user: AbstractBaseUser) -> str:
    """The time zone a person's own pages show times in: their first organization's."""
    membership = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
        .first()
    )
    return membership.organization.time_zone if membership else "UTC"


def verified(request: HttpRequest) -> bool:
    return request.session.get(STATE) == VERIFIED


def pending_key(request: HttpRequest) -> str:
    """The secret of the authenticator app being set up: new on the first view, the same until
    it is confirmed (or the session ends), never saved before its first code is right."""
    key = request.session.get(PENDING_KEY)
    if not key:
        key = request.session[PENDING_KEY] = random_hex(20)
    return key


def key_for_people(hex_key: str) -> str:
    """The secret as authenticator apps take it typed: base32, in groups of four."""
    text = b32encode(unhexlify(hex_key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def setup_url(user: AbstractBaseUser, hex_key: str) -> str:
    """The otpauth:// address a QR code gives an authenticator app."""
    device = TOTPDevice(user=user, key=hex_key)
    return device.config_url


def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Replaces the person's recovery codes with new ones, returned once to be shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def wait_message(device) -> str | None:
    """Why a code cannot be tried yet (after wrong ones), or None."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    seconds = max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)
    return f"Too many wrong codes. Wait {seconds} seconds, then try again."


def check_code(request: HttpRequest, user: AbstractBaseUser, code: str) -> str | None:
    """Checks a code from the authenticator app (6 digits) or a recovery code (used up by
    it): None when it is right, else what to tell the person. Wrong codes are throttled per
    device (1, 2, 4 ... seconds), and each is recorded; a code already used is refused."""
    code = "".join(code.split()).lower()
    from_app = code.isdigit() and len(code) == 6  # recovery codes are 8 letters and digits
    device = app_of(user, lock=True) if from_app else recovery_of(user, lock=True)
    if device is None:
        record(request, SignInEvent.Kind.CODE_REFUSED, user)
        return "That code is not right."
    waiting = wait_message(device)
    if waiting:
        return waiting
    if device.verify_token(code):
        used = SignInEvent.Kind.CODE_ACCEPTED
        if isinstance(device, StaticDevice):
            used = SignInEvent.Kind.RECOVERY_CODE_USED
        record(request, used, user)
        return None
    record(request, SignInEvent.Kind.CODE_REFUSED, user)
    if from_app:
        return "That code is not right, or was used already: enter the code your app shows now."
    return "That recovery code is not right, or was used already."


def mark_verified(request: HttpRequest) -> None:
    from accounts import sessions

    request.session.cycle_key()  # a new session key for the session that gave the code
    sessions.key_changed(request)
    request.session[STATE] = VERIFIED
    request.session.pop(PENDING_KEY, None)
    mark_recent(request)


def mark_recent(request: HttpRequest) -> None:
    request.session[AUTHENTICATED_AT] = int(timezone.now().timestamp())


def recent(request: HttpRequest) -> bool:
    """Whether the person gave their password (and code, if they have one) within the last
    REAUTH_SECONDS: the most sensitive actions ask again when not (accounts.decorators)."""
    at = request.session.get(AUTHENTICATED_AT)
    return at is not None and timezone.now().timestamp() - at < settings.REAUTH_SECONDS


def reauthenticate(request: HttpRequest, password: str, code: str) -> dict[str, str]:
    """Asks again: the password (throttled and recorded as a sign-in is, by django-axes),
    then the code when the person has an app. The errors by field; none: done."""
    from django.contrib.auth import authenticate

    user = request.user
    username = user.get_username()
    if authenticate(request, username=username, password=password) is None:
        return {"password": "That is not your password."}
    if is_enrolled(user):
        problem = check_code(request, user, code)
        if problem:
            return {"code": problem}
    mark_recent(request)
    record(request, SignInEvent.Kind.REAUTHENTICATED, user)
    return {}


@receiver(user_logged_in)
def _password_accepted(sender, request: HttpRequest, user: AbstractBaseUser, **kwargs) -> None:
    state = CODE if is_enrolled(user) else ENROL if required(user) else None
    if state is None:
        request.session.pop(STATE, None)
        mark_recent(request)
    else:
        request.session[STATE] = state
    record(request, SignInEvent.Kind.SIGNED_IN, user)


@receiver(user_login_failed)
def _password_refused(sender, credentials: dict, request: HttpRequest | None = None, **kw) -> None:
    username = str(credentials.get("username", ""))
    record(request, SignInEvent.Kind.FAILED, username=username)


@receiver(user_logged_out)
def _signed_out(sender, request: HttpRequest, user: AbstractBaseUser | None, **kwargs) -> None:
    if user is not None:
        record(request, SignInEvent.Kind.SIGNED_OUT, user)


def _locked_out(sender, request: HttpRequest, username: str, ip_address: str, **kwargs) -> None:
    record(request, SignInEvent.Kind.LOCKED_OUT, username=username or "")


def connect_axes() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="sign_in_history_lockout")


def go_to(request: HttpRequest, name: str) -> HttpResponse:
    """The code step or the set-up page, then back where the person was going."""
    url = f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
    if getattr(request, "htmx", None):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class TwoFactorMiddleware:
    """A session that has yet to give its code (or set up the second factor its organization
    requires) reaches only the pages of OPEN_DURING; every other page sends it there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        state = request.session.get(STATE)
        if state not in OPEN_DURING or not request.user.is_authenticated:
            return None
        if request.resolver_match.url_name in OPEN_DURING[state]:
            return None
        return go_to(request, "two-factor-verify" if state == CODE else "two-factor-setup")

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, TwoFactorNeeded):
            request.session[STATE] = ENROL
            return go_to(request, "two-factor-setup")
        return None


# The changes a person makes to their own second factor (the views only call these).


def enrol(request: HttpRequest, code: str) -> list[str] | None:
    """Turns on the authenticator app being set up if the code is its current one: its
    recovery codes (to be shown once), or None for a wrong code. Any app set up before is
    replaced, and this session counts as having given its code."""
    from django_otp.oath import TOTP

    key = pending_key(request)
    totp = TOTP(unhexlify(key))
    code = "".join(code.split())
    if not (code.isdigit() and totp.verify(int(code), tolerance=1)):
        return None
    user = request.user
    TOTPDevice.objects.filter(user=user).delete()
    # The code just typed cannot sign in again (django-otp accepts only later time steps).
    TOTPDevice.objects.create(user=user, key=key, name="Authenticator app", last_t=totp.t())
    codes = new_recovery_codes(user)
    record(request, SignInEvent.Kind.ENROLLED, user)
    mark_verified(request)
    return codes


def remove(request: HttpRequest) -> None:
    """Turns two-factor authentication off for the person (the view checked the password
    and a code first)."""
    user = request.user
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record(request, SignInEvent.Kind.REMOVED, user)
    if required(user):
        request.session[STATE] = ENROL
    else:
        request.session.pop(STATE, None)


def renew_recovery_codes(request: HttpRequest) -> list[str]:
    codes = new_recovery_codes(request.user)
    record(request, SignInEvent.Kind.RECOVERY_CODES_RENEWED, request.user)
    return codes


def qr_svg(url: str) -> str:
    """The address as a QR code, an inline SVG (nothing loaded from elsewhere)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, title="QR code of the key")
