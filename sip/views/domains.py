"""The Domains tab: the account's SIP domains, added, renamed and deleted inline."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from accounts.access import get_account
from accounts.access import require_change
from accounts.decorators import form_view
from accounts.decorators import page_view
from accounts.models import Membership
from accounts.models import ProviderAccount
from sip import selects
from sip import services
from sip.forms import SipDomainForm
from sip.forms import SipDomainRenameForm
from sip.models import SipDomain
from sip.tabs import tab_url
from sip.views.common import account_context
from sip.views.common import tab_page
from sip.views.common import tab_table
from whippy import registry
from whippy.forms import refused
from whippy.forms import save_or_error
from whippy.htmx import AppRequest
from whippy.htmx import form_data
from whippy.htmx import render_page
from whippy.htmx import saved

DOMAINS = "sip/domain_list.html"
SAVED = f"{DOMAINS}#domain-saved"


def domains_context(
    request: AppRequest, membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    table = tab_table(request, registry.DOMAINS, selects.DOMAINS.of(account.pk), account)
    return {
        **account_context(request, membership, account, "domains"),
        "table": table,
        **extra,
    }


def get_domain(request: AppRequest, org_slug: str, account_id: int, domain_id: int):
    """The domain to change: another account's is a 404 (for everyone), then the role."""
    membership, account = get_account(request, org_slug, account_id)
    domain = get_object_or_404(SipDomain, pk=domain_id, account=account)
    require_change(request, membership)
    domain.account = account  # loaded already: the services read it, no query
    return membership, account, domain


@page_view
def domain_list(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    return tab_page(request, account, DOMAINS, domains_context, membership, account)


@form_view
def domain_create(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    form = SipDomainForm(form_data(request), instance=SipDomain(account=account))
    if form.is_valid():
        data = {"request": request, "account": account, **form.cleaned_data}
        domain = save_or_error(form, services.domain_create, **data)
        if domain is not None:
            messages.success(request, f"SIP domain “{domain.name}” added: {domain.domain}")
            # Ready for the next entry: a blank form, the table updated out of band.
            blank = SipDomainForm(instance=SipDomain(account=account))
            url = tab_url("sip:domain-list", account)
            context = {"form": blank, "slot": "create"}
            return saved(
                request, url, SAVED, domains_context, membership, account, **context, push=False
            )
    context = domains_context(request, membership, account, form=form, slot="create")
    return render_page(request, DOMAINS, "domain-form", context)


@form_view
def domain_update(
    request: AppRequest, org_slug: str, account_id: int, domain_id: int
) -> HttpResponse:
    membership, account, domain = get_domain(request, org_slug, account_id, domain_id)
    form = SipDomainRenameForm(form_data(request), instance=domain)
    if form.is_valid():
        data = {"request": request, "domain": domain, **form.cleaned_data}
        if save_or_error(form, services.domain_update, **data) is not None:
            messages.success(request, f"SIP domain “{domain.name}” saved.")
            url = tab_url("sip:domain-list", account)
            return saved(request, url, SAVED, domains_context, membership, account)
    context = domains_context(request, membership, account, form=form, slot="update", target=domain)
    return render_page(request, DOMAINS, "domain-form", context)


@form_view
def domain_delete(
    request: AppRequest, org_slug: str, account_id: int, domain_id: int
) -> HttpResponse:
    membership, account, domain = get_domain(request, org_slug, account_id, domain_id)
    refusal = None
    if request.method == "POST":
        refusal = refused(services.domain_delete, request=request, domain=domain)
        if refusal is None:
            messages.success(request, f"SIP domain “{domain.name}” ({domain.domain}) deleted.")
            url = tab_url("sip:domain-list", account)
            return saved(request, url, SAVED, domains_context, membership, account)
    attachments = domain.attachments.select_related("credential_list").order_by(
        "credential_list__name", "purpose"
    )
    context = domains_context(
        request,
        membership,
        account,
        slot="delete",
        target=domain,
        attachments=attachments,
        refusal=refusal,
    )
    return render_page(request, DOMAINS, "domain-delete", context)
