from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.transaction import atomic
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render
from django.shortcuts import resolve_url
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect


def login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like Django's, but an HTMX request gets an HX-Redirect to the login page.

    Swapping the login page into a tab panel would be confusing; the whole page must change.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        login_url = resolve_url(settings.LOGIN_URL)
        if request.htmx:
            next_path = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(f"{login_url}?{urlencode({'next': next_path})}")
        return redirect_to_login(request.get_full_path(), login_url)

    return wrapper


def page_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page that only reads: logged in, GET, the whole page or an HTMX partial."""
    return login_required(require_GET(vary_on_headers("HX-Request")(view)))


def form_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A form or confirmation (GET) and its change (POST), in one transaction: the access
    checks, the service's write and its record land together or not at all."""
    return login_required(
        require_http_methods(["GET", "POST"])(vary_on_headers("HX-Request")(atomic(view)))
    )


def secret_form(
    *fields: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A form view whose request or answer holds a secret (a SIP password): never cached, the
    named fields never in error reports."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return never_cache(sensitive_post_parameters(*fields)(form_view(view)))

    return decorate


def recent_auth(
    view: Callable[..., HttpResponse] | None = None, *, methods: tuple[str, ...] = ("GET", "POST")
):
    """For the most sensitive actions: the person must have given their password (and code)
    within settings.REAUTH_SECONDS. When not, a plain request goes to the prompt and back to
    the page; an HTMX one gets the prompt in the page's re-authentication slot, and the page
    sends its request again after it (static/js/app.js), with what was typed still there."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            from accounts import two_factor

            if request.method not in methods or two_factor.recent(request):
                return view(request, *args, **kwargs)
            return ask_again(request)

        return wrapper

    return decorate if view is None else decorate(view)


def ask_again(request: HttpRequest) -> HttpResponse:
    """The prompt (HTMX), or the page that asks and comes back here."""
    if request.htmx:
        return reauth_prompt(request)
    back = request.get_full_path()
    return redirect(f"{reverse('reauth')}?{urlencode({'next': back})}")


def reauth_prompt(request: HttpRequest, form=None) -> HttpResponse:
    """The prompt, for the page's #reauth slot (an HTMX answer)."""
    from accounts import two_factor
    from accounts.forms import ReauthForm

    context = {"form": form or ReauthForm(), "enrolled": two_factor.is_enrolled(request.user)}
    response = render(request, "accounts/_reauth.html", context)
    response["HX-Retarget"] = "#reauth"
    response["HX-Reswap"] = "innerHTML"
    return response
