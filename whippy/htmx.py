"""The request as this app sees it, and the few ways a view answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from django.http import HttpRequest
from django.http import HttpResponse
from django.http import QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.functional import SimpleLazyObject
from django_htmx.http import push_url

from whippy.fragments import Shell

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
    elif "tabs" in context:  # an account page (sip.views.common.account_context)
        return AccountPageResponse(request, template_name, context)
    return TemplateResponse(request, template_name, context)


TAB_AREA = "tab-area"  # the partial of an account page that a tab switch swaps


class AccountPageResponse(TemplateResponse):
    """A whole account page: its tab area is rendered first, on its own as a tab switch renders
    it, and then the page around it (sip/account_base.html puts it in its place). The same
    HTML as rendering it inside the page's blocks, at a third less cost under gunicorn.

    Why: CPython 3.11 keeps its frames in 16 KB chunks, and maps a chunk when a call crosses
    the end of one and unmaps it when that call returns. Nested in the page's blocks, a table's
    rows were rendered right at such an end: every call of their loop mapped and unmapped a
    chunk (380 mmap and munmap, and as many page faults, a page: 1.8 ms of system time, and
    caches gone cold; counted with strace and /proc/<pid>/stat in a gunicorn worker). At the
    depth of a tab switch they are not: a whole Domains page went from 205 to 290 req/s.
    tests/test_account_page.py checks that every account page is the same either way.

    The page around the area shows nothing of the account's SIP setup: it is kept for what it
    shows (whippy.fragments.Shell), so the first view after a change renders its tab area
    alone (a Credential Lists page: 23.6 to 21.3 million instructions)."""

    @property
    def rendered_content(self) -> str:
        """The tab area, then the page around it: kept for what it shows (Shell), with the
        area and the CSRF token as stand-ins, so that a page after a change renders its tab
        area alone."""
        request = self._request
        context = self.resolve_context(self.context_data) or {}
        area = self.resolve_template(f"{self.template_name}#{TAB_AREA}").render(context, request)
        page = self.resolve_template(self.template_name)
        shell = Shell.of(request, self.template_name, context)
        if shell is None:
            return page.render({**context, "tab_area": area}, request)

        def render(stand_ins: dict[str, str]) -> str:
            return page.render({**context, **stand_ins}, request)

        token = context.get("csrf_token") or SimpleLazyObject(lambda: get_token(request))
        return shell.fragment("shell", render, {"csrf_token": token, "tab_area": area})


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
