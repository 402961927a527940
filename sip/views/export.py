"""An account's SIP setup as a CSV or JSON file, for admins and support staff (no secrets)."""

from __future__ import annotations

from django.http import HttpResponse
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache

from accounts.access import get_account
from accounts.decorators import page_view
from sip import export
from sip import services
from whippy.htmx import AppRequest

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@never_cache
@page_view
def setup_export(request: AppRequest, org_slug: str, account_id: int, kind: str) -> HttpResponse:
    _, account = get_account(request, org_slug, account_id)
    counts = export.counts(account)
    services.setup_exported(request, account, kind.upper(), counts)
    write = export.setup_csv if kind == "csv" else export.setup_json
    stream = write(account, timezone.get_current_timezone())
    response = StreamingHttpResponse(stream, content_type=FORMATS[kind])
    stamp = f"{timezone.localtime():%Y%m%d-%H%M%S}"
    name = f"{slugify(account.name) or 'account'}-sip-setup-{stamp}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
