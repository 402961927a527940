"""The Activity tab: every recorded change of the account, newest first, filterable by kind."""

from __future__ import annotations

from django.http import HttpResponse

from accounts.access import get_account
from accounts.activity import of_type
from accounts.decorators import page_view
from accounts.models import Activity
from sip.views.common import account_context
from sip.views.common import render_tab
from sip.views.common import tab_table
from whippy import registry
from whippy.htmx import AppRequest

ACTIVITY = "sip/activity_list.html"


@page_view
def activity_list(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    records, object_type = of_type(request, Activity.objects.filter(account=account))
    extra = {"type": object_type} if object_type else {}
    # Not cached: a password test or an export is recorded without changing the setup.
    table = tab_table(request, registry.ACTIVITY, records, account, extra=extra, cached=False)
    context = {
        **account_context(request, membership, account, "activity"),
        "table": table,
        "records": table.rows,
        "object_type": object_type,
        "object_types": Activity.ObjectType.choices,
    }
    return render_tab(request, ACTIVITY, context)
