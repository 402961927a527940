from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.response import TemplateResponse


def render_page(
    request: HttpRequest,
    template_name: str,
    partial: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> TemplateResponse:
    """The whole page for a plain request; only the named partial for an HTMX one.

    A history-restore request (htmx's cache missed on back/forward) needs the whole page.
    The response renders after the view returns: a write view's transaction (and its row
    locks) ends before the page is rendered.
    """
    if request.htmx and not request.htmx.history_restore_request:
        template_name = f"{template_name}#{partial}"
    return TemplateResponse(request, template_name, context, status=status)
