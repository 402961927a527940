"""A person's own sign-in security: the code step of signing in, setting up and removing the
authenticator app, recovery codes, and the sign-in history (accounts/two_factor.py)."""

from __future__ import annotations

import zoneinfo
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_htmx.http import trigger_client_event

from accounts import sessions
from accounts import two_factor
from accounts.decorators import ask_again
from accounts.decorators import form_view
from accounts.decorators import page_view
from accounts.decorators import reauth_prompt
from accounts.forms import CodeForm
from accounts.forms import ReauthForm
from accounts.forms import RemoveTwoFactorForm
from accounts.forms import SetupForm
from accounts.models import SignInEvent
from whippy.htmx import AppRequest
from whippy.htmx import form_data

HISTORY = 50  # the latest sign-in events a person sees of their own


def next_page(request: AppRequest) -> str:
    """Where the person was going (this site only), else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else "/"


@page_view
def security(request: AppRequest) -> HttpResponse:
    user = request.user
    recovery = two_factor.recovery_of(user)
    zone = two_factor.time_zone_of(user)
    timezone.activate(zoneinfo.ZoneInfo(zone))
    context = {
        "time_zone": zone,
        "enrolled": two_factor.is_enrolled(user),
        "required": two_factor.required(user),
        "recovery_left": recovery.token_set.count() if recovery else 0,
        "events": SignInEvent.objects.filter(user=user).order_by("-created_at")[:HISTORY],
        "sessions": sessions.active(user),
        "this_session": request.session.get(sessions.SID),
        "idle_minutes": settings.SESSION_IDLE_SECONDS // 60,
        "absolute_hours": settings.SESSION_COOKIE_AGE // 3600,
        "section": "security",
    }
    return render(request, "accounts/security.html", context)


@never_cache
@form_view
def two_factor_verify(request: AppRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    if request.session.get(two_factor.STATE) != two_factor.CODE:
        return redirect(next_page(request))
    form = CodeForm(form_data(request), check=partial(two_factor.check_code, request, request.user))
    if form.is_valid():
        two_factor.mark_verified(request)
        return redirect(next_page(request))
    context = {"form": form, "next": next_page(request)}
    return render(request, "registration/two_factor_verify.html", context)


@never_cache
@sensitive_post_parameters("code")
@form_view
def two_factor_setup(request: AppRequest) -> HttpResponse:
    """Adding an authenticator app: its key (a QR code, and the key to type), then its first
    code. The recovery codes are shown once, in the answer. Replacing an app set up before
    asks for the password (and a code) again first."""
    if two_factor.is_enrolled(request.user) and not two_factor.recent(request):
        return ask_again(request)
    form = SetupForm(form_data(request))
    if form.is_valid():
        codes = two_factor.enrol(request, form.cleaned_data["code"])
        if codes is not None:
            context = {"codes": codes, "next": next_page(request), "section": "security"}
            return render(request, "accounts/recovery_codes.html", context)
        form.add_error("code", "That code is not right: type the 6 digits the app shows now.")
    key = two_factor.pending_key(request)
    context = {
        "form": form,
        "qr": two_factor.qr_svg(two_factor.setup_url(request.user, key)),
        "key": two_factor.key_for_people(key),
        "enrolled": two_factor.is_enrolled(request.user),
        "required": request.session.get(two_factor.STATE) == two_factor.ENROL,
        "next": next_page(request),
        "section": "security",
    }
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@sensitive_post_parameters("password", "code")
@form_view
def two_factor_remove(request: AppRequest) -> HttpResponse:
    user = request.user
    if not two_factor.is_enrolled(user):
        return redirect("security")
    if two_factor.required(user):
        messages.error(request, "Your organization requires two-factor authentication.")
        return redirect("security")
    check = partial(two_factor.check_code, request, user)
    form = RemoveTwoFactorForm(form_data(request), user=user, check=check)
    if form.is_valid():
        two_factor.remove(request)
        messages.success(request, "Two-factor authentication is off.")
        return redirect("security")
    context = {"form": form, "section": "security"}
    return render(request, "accounts/two_factor_remove.html", context)


@never_cache
@sensitive_post_parameters("code")
@form_view
def recovery_codes_renew(request: AppRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), after a code: shown once."""
    user = request.user
    if not two_factor.is_enrolled(user):
        return redirect("security")
    form = CodeForm(form_data(request), check=partial(two_factor.check_code, request, user))
    if form.is_valid():
        codes = two_factor.renew_recovery_codes(request)
        context = {"codes": codes, "next": "", "section": "security"}
        return render(request, "accounts/recovery_codes.html", context)
    context = {"form": form, "section": "security"}
    return render(request, "accounts/recovery_codes_renew.html", context)


@never_cache
@sensitive_post_parameters("reauth-password", "reauth-code")
@form_view
def reauth(request: AppRequest) -> HttpResponse:
    """Confirm it is you: before revealing or rotating SIP passwords, deleting a list or an
    account, or changing a provider's API key. An HTMX answer clears the prompt and tells the
    page to send its request again ("reauthenticated")."""
    form = ReauthForm(form_data(request))
    if form.is_valid():
        data = form.cleaned_data
        errors = two_factor.reauthenticate(request, data["password"], data["code"])
        for field, error in errors.items():
            form.add_error(field, error)
        if not errors and request.htmx:
            request.keeps_messages = True  # the request sent again carries the messages
            return trigger_client_event(HttpResponse(""), "reauthenticated")
        if not errors:
            return redirect(next_page(request))
    if request.htmx:
        return reauth_prompt(request, form)
    enrolled = two_factor.is_enrolled(request.user)
    context = {"form": form, "next": next_page(request), "enrolled": enrolled}
    return render(request, "accounts/reauth.html", context)


@form_view
def sign_out_others(request: AppRequest) -> HttpResponse:
    """Signs out every other session of the person (a lost laptop, a shared computer)."""
    if request.method == "POST":
        count = sessions.sign_out_others(request)
        messages.success(request, f"Signed out {count} other session{'s' * (count != 1)}.")
    return redirect("security")
