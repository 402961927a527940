"""A person's sessions: an idle timeout apart from the absolute one (SESSION_COOKIE_AGE), the
list of their signed-in sessions, and signing out every other one.

Each session carries its own id (SID, in its data) and has a UserSession row with its Django
session key, address and browser. The row is written when the session signs in, and touched
at most once a minute (TOUCH_SECONDS) while it is used: a page costs no query for it otherwise.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from urllib.parse import urlencode
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import user_logged_in
from django.contrib.auth import user_logged_out
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import UserSession

SID = "sid"
LAST_SEEN = "last_seen"
TOUCH_SECONDS = 60


def _where(request: HttpRequest) -> dict[str, object]:
    from accounts.login_throttling import client_address

    return {
        "ip_address": client_address(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    }


@receiver(user_logged_in)
def _session_started(sender, request: HttpRequest, user, **kwargs) -> None:
    session = request.session
    session[SID] = secrets.token_hex(16)
    session[LAST_SEEN] = int(time.time())
    if session.session_key is None:
        session.save()
    UserSession.objects.create(
        user=user, sid=session[SID], session_key=session.session_key, **_where(request)
    )


@receiver(user_logged_out)
def _session_ended(sender, request: HttpRequest, user, **kwargs) -> None:
    sid = request.session.get(SID)
    if sid:
        UserSession.objects.filter(sid=sid).delete()


def key_changed(request: HttpRequest) -> None:
    """After session.cycle_key(): the row follows the session to its new key."""
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.filter(sid=request.session.get(SID)).update(
        session_key=request.session.session_key
    )


def active(user) -> list[UserSession]:
    """The person's sessions that are still signed in, the latest used first."""
    rows = list(UserSession.objects.filter(user=user).order_by("-last_seen"))
    alive = set(
        Session.objects.filter(
            session_key__in=[row.session_key for row in rows], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    return [row for row in rows if row.session_key in alive]


def sign_out_others(request: HttpRequest) -> int:
    """Signs out every other session of the person: how many there were."""
    others = UserSession.objects.filter(user=request.user).exclude(sid=request.session.get(SID))
    keys = list(others.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    others.delete()
    return len(keys)


class IdleTimeoutMiddleware:
    """Signs a session out after SESSION_IDLE_SECONDS without a request, and keeps its row's
    last use (once a minute)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        last = request.session.get(LAST_SEEN) if hasattr(request, "session") else None
        if last is None:
            return self.get_response(request)
        now = int(time.time())
        if now - last > settings.SESSION_IDLE_SECONDS:
            return self.timed_out(request)
        if now - last >= TOUCH_SECONDS:
            request.session[LAST_SEEN] = now
            UserSession.objects.filter(sid=request.session.get(SID)).update(
                last_seen=timezone.now(), session_key=request.session.session_key
            )
        return self.get_response(request)

    @staticmethod
    def timed_out(request: HttpRequest) -> HttpResponse:
        minutes = settings.SESSION_IDLE_SECONDS // 60
        # Before django-htmx's middleware: its headers read here. An HTMX request asked for a
        # part of the page the person is on: back to that page.
        htmx = request.headers.get("HX-Request") == "true"
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        next_path = request.get_full_path()
        if htmx and current.path:
            next_path = current.path + (f"?{current.query}" if current.query else "")
        logout(request)
        messages.info(request, f"You were signed out after {minutes} minutes without activity.")
        url = f"{reverse('login')}?{urlencode({'next': next_path})}"
        return HttpResponseClientRedirect(url) if htmx else redirect(url)
