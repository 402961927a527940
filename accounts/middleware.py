from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django_htmx.http import trigger_client_event

from accounts.limits import TooManyWrites


class OrganizationTimezoneMiddleware:
    """Resets the time zone around each request.

    The access helper activates the organization's zone once it knows the membership; resetting
    here keeps one request's zone from leaking into the next on the same thread.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class NoStoreForAuthenticatedMiddleware:
    """Pages for a logged-in user are never cached, so after logout the back button shows no
    data from the browser's cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


class SetupChangedMiddleware:
    """After an HTMX write, tells the page that the SIP setup changed ("setup-changed").

    The tabs and setup review listen and refresh themselves with a request of their own, so a
    write answers at once instead of waiting for the review to be recomputed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "setup_changed", False) and request.htmx:
            trigger_client_event(response, "setup-changed")
        return response


class HtmxMessagesMiddleware:
    """A message belongs to the response that caused it.

    A plain page shows the messages once and they are gone. An HTMX swap leaves the rest of the
    page alone, so without this a success message would stay above later, unrelated results.
    Every HTMX answer that a person caused therefore carries the messages area out of band: its
    own messages, or none, which clears the previous one. Views whose answer already holds the
    messages area, and background refreshes (request.keeps_messages), are left as they are.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if (
            not htmx
            or htmx.history_restore_request
            or getattr(request, "keeps_messages", False)
            or response.status_code != 200
            or response.streaming
            or not response.get("Content-Type", "").startswith("text/html")
            or any(header in response for header in ("HX-Redirect", "HX-Location", "HX-Refresh"))
            or b'id="messages"' in response.content
        ):
            return response
        shown = list(messages.get_messages(request))  # read: they are not shown again
        response.content += messages_area(shown) if shown else no_messages()
        return response


def messages_area(shown: list[Any]) -> bytes:
    return render_to_string("_messages.html", {"messages": shown, "oob": True}).encode()


@functools.cache
def no_messages() -> bytes:
    """The empty messages area, the answer of most swaps: rendered once per process."""
    return messages_area([])


class TooManyWritesMiddleware:
    """Turns accounts.limits.TooManyWrites into a 429 that says how long to wait.

    An HTMX request gets the sentence as plain text, which the page shows in its error toast
    (the form stays as typed); a plain request gets a page with it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, TooManyWrites):
            return None
        if getattr(request, "htmx", None):
            response = HttpResponse(str(exception), status=429, content_type="text/plain")
        else:
            response = render(request, "429.html", {"reason": str(exception)}, status=429)
        response["Retry-After"] = str(exception.wait)
        return response
