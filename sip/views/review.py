"""The setup review of an account in full: every warning, by kind, searchable, sortable and
paged like every table. The panel on every tab shows a count per kind and the first few; this
page has the rest."""

from __future__ import annotations

from django.http import HttpResponse

from accounts.access import get_account
from accounts.decorators import page_view
from sip.review import KINDS
from sip.review import cached_review
from whippy.htmx import AppRequest
from whippy.htmx import render_page
from whippy.tables import Column
from whippy.tables import ListTable
from whippy.tables import TableSpec
from whippy.tables import table_partial

PAGE = "sip/review.html"
# Not in whippy.registry: its rows are the cached review, not a query (see ListTable).
FINDINGS = TableSpec(
    "sip:review",
    "review-table",
    [Column("kind", "Kind", "rank"), Column("warning", "Warning", "text")],
    search=["text"],
)


@page_view
def review_page(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    review = cached_review(account)
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""  # an unknown kind is ignored, as if none was asked
    findings = [f for f in review.findings if not kind or f.kind == kind]
    path = request.path
    extra = {"kind": kind} if kind else {}
    table = ListTable(request, FINDINGS, findings, path=path, default_sort="kind", extra=extra)
    counts = {group.kind: group.count for group in review.groups}
    context = {"organization": membership.organization, "account": account, "review": review}
    context |= {"can_edit": membership.is_admin, "kind": kind, "table": table}
    context["kinds"] = [(key, label, counts.get(key, 0)) for key, label in KINDS.items()]
    partial = table_partial(request, FINDINGS.target, "review")
    return render_page(request, PAGE, partial, context)
