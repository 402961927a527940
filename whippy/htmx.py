from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest,
    template_name: str,
    partial: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """The whole page for a plain request; only the named partial for an HTMX one.

    A history-restore request (htmx's cache missed on back/forward) needs the whole page.
    """
    if request.htmx and not request.htmx.history_restore_request:
        template_name = f"{template_name}#{partial}"
    return render(request, template_name, context, status=status)
