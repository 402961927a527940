"""What every tab's views share: the account page's context, and the tabs' own refresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.functional import SimpleLazyObject

from accounts.access import get_account
from accounts.access import require_change
from accounts.decorators import page_view
from accounts.models import Membership
from accounts.models import ProviderAccount
from sip import selects
from sip.models import CredentialList
from sip.review import cached_review
from sip.tabs import KEYS
from sip.tabs import TabStrip
from sip.tabs import tab_url
from whippy.db import get_row
from whippy.db import storable
from whippy.fragments import Page
from whippy.fragments import Scope
from whippy.htmx import AppRequest
from whippy.htmx import render_page
from whippy.sql_tables import SqlRows
from whippy.sql_tables import SqlTable
from whippy.tables import Table
from whippy.tables import TableSpec
from whippy.tables import table_partial


def account_context(
    request: AppRequest, membership: Membership, account: ProviderAccount, tab: str
) -> dict[str, Any]:
    # Lazy: only pages that show the tabs pay for the review (after a change, it is recomputed).
    review = SimpleLazyObject(lambda: cached_review(account))
    return {
        "scope": Scope.of(request, account),  # the account page's cached fragments
        "membership": membership,
        "organization": membership.organization,
        "account": account,
        "provider": account.provider_info,
        "lists_url": tab_url("sip:credentiallist-list", account),
        "can_edit": membership.is_admin,
        "tab": tab,
        "tabs": TabStrip(account, tab, review),
        "slot": None,
        "review": review,
    }


def tab_table(
    request: AppRequest,
    spec: TableSpec,
    rows: SqlRows | QuerySet | Callable[[], QuerySet],
    account: ProviderAccount,
    *,
    cached: bool = True,
    **options: Any,
) -> Table:
    """A tab's table, at the tab's own URL; its row links may lead to a credential list. Its
    fragments are cached per setup version (whippy/fragments.py) unless cached=False. Rows
    given as SqlRows are read by hand-written SQL (whippy/sql_tables.py)."""
    bases = {"lists": tab_url("sip:credentiallist-list", account)}
    scope = Scope.of(request, account) if cached else None
    path = tab_url(spec.url_name, account)
    kind = SqlTable if isinstance(rows, SqlRows) else Table
    return kind(request, spec, rows, path=path, bases=bases, fragments=scope, **options)


def render_tab(request: AppRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A tab's page: whole, its tab area (a tab switch), or its table alone (search, sort and
    pages swap only the table)."""
    partial = table_partial(request, context["table"].target, "tab-area")
    return render_page(request, template, partial, context)


def tab_page(
    request: AppRequest,
    account: ProviderAccount,
    template: str,
    build: Callable[..., dict[str, Any]],
    *args: Any,
    **fresh: Callable[[], str],
) -> HttpResponse:
    """A tab's page (render_tab) with the context build(request, *args): kept whole for the
    same setup version, address, headers and viewer (whippy.fragments.Page), so that a page
    seen again builds no context and reads no rows. Its CSRF token and the values of fresh
    (name: a function making one) are this request's, each time."""
    page = Page.of(request, account)
    if page is None:
        return render_tab(request, template, build(request, *args))

    def render(stand_ins: dict[str, str]) -> str:
        context = {**build(request, *args), **stand_ins}
        return render_tab(request, template, context).render().content.decode()

    values = {"csrf_token": lambda: get_token(request), **fresh}
    values = {name: SimpleLazyObject(make) for name, make in values.items()}
    return HttpResponse(page.fragment("page", render, values, keep=page.no_messages(request)))


def get_list(account: ProviderAccount, list_id: int, shown: bool = False) -> CredentialList:
    """One of the account's credential lists (another account's is a 404), its account set.
    shown: as its page shows it, with its counts and the domains it is attached to
    (attached_domains), read with it (sip.selects.LISTS): one query, not two."""
    if not shown:
        credential_list = get_row(CredentialList, list_id, account=account.pk)
    elif storable(list_id):
        found = selects.LISTS.of(account.pk).by_key([list_id])
        credential_list = next((row for row in found if row.account_id == account.pk), None)
    else:
        credential_list = None
    if credential_list is None:
        raise Http404("No such credential list.")
    credential_list.account = account  # loaded already: the services read it, no query
    return credential_list


def list_to_change(
    request: AppRequest, org_slug: str, account_id: int, list_id: int
) -> tuple[Membership, CredentialList]:
    """A credential list to change, or to change something in: another account's is a 404
    (for everyone, support staff included), then the role."""
    membership, account = get_account(request, org_slug, account_id)
    credential_list = get_list(account, list_id)
    require_change(request, membership)
    return membership, credential_list


@page_view
def account_nav(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    """The tabs and the setup review alone: the page reloads them after a change."""
    membership, account = get_account(request, org_slug, account_id)
    request.keeps_messages = True  # a background refresh: the change's message stays
    tab = request.GET.get("tab", "")
    context = account_context(request, membership, account, tab if tab in KEYS else "domains")
    return TemplateResponse(request, "sip/_tabs.html", context)


@page_view
def account_detail(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    _membership, account = get_account(request, org_slug, account_id)
    return redirect(tab_url("sip:domain-list", account))
