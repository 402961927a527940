"""The Credential Lists tab: the account's lists, added, renamed and deleted inline."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse

from accounts.access import get_account
from accounts.decorators import form_view
from accounts.decorators import page_view
from accounts.decorators import recent_auth
from accounts.models import Membership
from accounts.models import ProviderAccount
from sip import selects
from sip import services
from sip.forms import CredentialListForm
from sip.models import CredentialList
from sip.services import attached_domains
from sip.tabs import tab_url
from sip.views.common import account_context
from sip.views.common import list_to_change
from sip.views.common import tab_page
from sip.views.common import tab_table
from whippy import registry
from whippy.forms import save_or_error
from whippy.htmx import AppRequest
from whippy.htmx import form_data
from whippy.htmx import render_page
from whippy.htmx import saved

LISTS = "sip/credentiallist_list.html"
SAVED = f"{LISTS}#list-saved"


def lists_context(
    request: AppRequest, membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    rows = selects.LISTS.of(account.pk)
    table = tab_table(request, registry.LISTS, rows, account)
    return {
        **account_context(request, membership, account, "credential-lists"),
        "table": table,
        **extra,
    }


@page_view
def credential_list_list(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    return tab_page(request, account, LISTS, lists_context, membership, account)


@form_view
def credential_list_create(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    form = CredentialListForm(form_data(request), instance=CredentialList(account=account))
    if form.is_valid():
        data = {"request": request, "account": account, **form.cleaned_data}
        created = save_or_error(form, services.credential_list_create, **data)
        if created is not None:
            messages.success(request, f"Credential list “{created.name}” added.")
            blank = CredentialListForm(instance=CredentialList(account=account))
            url = tab_url("sip:credentiallist-list", account)
            context = {"form": blank, "slot": "create"}
            return saved(
                request, url, SAVED, lists_context, membership, account, **context, push=False
            )
    context = lists_context(request, membership, account, form=form, slot="create")
    return render_page(request, LISTS, "list-form", context)


@form_view
def credential_list_update(
    request: AppRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, credential_list = list_to_change(request, org_slug, account_id, list_id)
    account = credential_list.account
    form = CredentialListForm(form_data(request), instance=credential_list)
    if form.is_valid():
        data = {"request": request, "credential_list": credential_list, **form.cleaned_data}
        renamed = save_or_error(form, services.credential_list_rename, **data)
        if renamed is not None:
            messages.success(request, f"Credential list renamed to “{renamed.name}”.")
            url = tab_url("sip:credentiallist-list", account)
            return saved(request, url, SAVED, lists_context, membership, account)
    context = lists_context(
        request, membership, account, form=form, slot="update", target=credential_list
    )
    return render_page(request, LISTS, "list-form", context)


@form_view
@recent_auth
def credential_list_delete(
    request: AppRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, credential_list = list_to_change(request, org_slug, account_id, list_id)
    account = credential_list.account
    domains = attached_domains(credential_list)
    refusal = None
    if request.method == "POST" and not domains:
        try:
            services.credential_list_delete(request=request, credential_list=credential_list)
        except services.StillAttached as still:
            domains = still.domains  # attached by another request since the page was read
        except ValidationError as error:  # the provider's
            refusal = " ".join(error.messages)
        else:
            messages.success(request, f"Credential list “{credential_list.name}” deleted.")
            url = tab_url("sip:credentiallist-list", account)
            return saved(request, url, SAVED, lists_context, membership, account)
    # A refusal links each attachment to its own Detach.
    blocking = credential_list.attachments.select_related("domain")
    context = lists_context(
        request,
        membership,
        account,
        slot="delete",
        target=credential_list,
        attached=domains,
        blocking=blocking.order_by("domain__domain", "purpose") if domains else [],
        credential_count=credential_list.credentials.count(),
        refusal=refusal,
    )
    return render_page(request, LISTS, "list-delete", context)
