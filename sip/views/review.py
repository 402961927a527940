"""The setup review of an account in full: every warning, by kind, searchable and paged. The
panel on every tab shows a count per kind and the first few; this page has the rest."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse

from accounts.access import get_account
from accounts.decorators import page_view
from sip.review import KINDS
from sip.review import cached_review
from whippy.htmx import AppRequest
from whippy.htmx import render_page
from whippy.tables import PER_PAGE

PAGE = "sip/review.html"


@page_view
def review_page(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    review = cached_review(account)
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""  # an unknown kind is ignored, as if none was asked
    query = request.GET.get("q", "").strip()[:100]
    findings = [
        finding
        for finding in review.findings
        if (not kind or finding.kind == kind) and query.casefold() in finding.text.casefold()
    ]
    page = Paginator(findings, PER_PAGE).get_page(request.GET.get("page"))
    counts = {group.kind: group.count for group in review.groups}
    context = {"organization": membership.organization, "account": account, "review": review}
    context |= {"can_edit": membership.is_admin, "kind": kind, "query": query, "page": page}
    context["kinds"] = [(key, label, counts.get(key, 0)) for key, label in KINDS.items()]
    return render_page(request, PAGE, "review", context)
