"""The Activity tab: every recorded change of the account, newest first, filterable by kind."""

from __future__ import annotations

from django.http import HttpResponse

from accounts.access import get_account
from accounts.decorators import page_view
from accounts.models import Activity
from sip.views.common import account_context, tab_table
from whippy import registry
from whippy.htmx import AppRequest, render_page
from whippy.tables import table_partial

ACTIVITY = "sip/activity_list.html"


@page_view
def activity_list(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    object_type = request.GET.get("type", "")
    records = Activity.objects.filter(account=account)
    if object_type in Activity.ObjectType.values:
        records = records.filter(object_type=object_type)
    else:
        object_type = ""
    extra = {"type": object_type} if object_type else {}
    table = tab_table(request, registry.ACTIVITY, records, account, extra=extra)
    context = {
        **account_context(membership, account, "activity"),
        "table": table,
        "records": table.rows,
        "object_type": object_type,
        "object_types": Activity.ObjectType.choices,
    }
    partial = table_partial(request, registry.ACTIVITY.target, "tab-area")
    return render_page(request, ACTIVITY, partial, context)
