"""The request as this app sees it, and the few ways a view answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from django.http import HttpRequest
from django.http import HttpResponse
from django.http import QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django_htmx.http import push_url

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import Membership


class AppRequest(HttpRequest):
    """What the middleware and the access helpers add to a request, typed for the views.

    Only for annotations: Django builds the requests; nothing is ever an AppRequest at run time.
    """

    htmx: HtmxDetails  # django-htmx's middleware
    membership: Membership  # accounts.access.get_membership
    memberships: list[Membership]  # the same, for the organization switcher
    setup_changed: bool  # accounts.activity.record, read by SetupChangedMiddleware
    keeps_messages: bool  # a background refresh leaves the change's message for its page


def form_data(request: HttpRequest) -> QueryDict | None:
    """What a form is bound to: the POST data, or nothing (an unbound form) for a GET."""
    return request.POST if request.method == "POST" else None


def render_page(
    request: AppRequest,
    template_name: str,
    partial: str,
    context: dict[str, Any],
) -> TemplateResponse:
    """The whole page for a plain request; only the named partial for an HTMX one.

    A history-restore request (htmx's cache missed on back/forward) needs the whole page.
    The response renders after the view returns: a write view's transaction (and its row
    locks) ends before the page is rendered.
    """
    if request.htmx and not request.htmx.history_restore_request:
        template_name = f"{template_name}#{partial}"
    return TemplateResponse(request, template_name, context)


def saved(
    request: AppRequest,
    url: str,
    partial: str,
    build: Callable[..., dict[str, Any]],
    *args: Any,
    push: bool = True,
    **extra: Any,
) -> HttpResponse:
    """The answer to a change that worked: a plain request goes back to the table's page
    (redirect after POST); an HTMX one gets the saved partial (the panel, the table out of
    band, the message) and, when the panel closes (push), the table's URL in the address bar.

    The context, build(request, *args, **extra), is only built for HTMX: a redirect does not
    need the table.
    """
    if not request.htmx:
        return redirect(url)
    response = TemplateResponse(request, partial, build(request, *args, **extra))
    return push_url(response, url) if push else response
