from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from accounts.access import get_account
from accounts.decorators import login_required
from accounts.models import Membership, ProviderAccount
from sip.forms import SipDomainForm, SipDomainRenameForm
from sip.models import (
    DOMAIN_IN_USE,
    Credential,
    CredentialAttachment,
    CredentialList,
    SipDomain,
)
from whippy.db import count_of
from whippy.forms import save_or_error
from whippy.htmx import render_page

DOMAINS = "sip/domain_list.html"


def _tab_url(name: str, account: ProviderAccount) -> str:
    return reverse(f"sip:{name}", args=[account.organization.slug, account.pk])


def _account_context(membership: Membership, account: ProviderAccount, tab: str) -> dict[str, Any]:
    return {
        "membership": membership,
        "organization": membership.organization,
        "account": account,
        "provider": account.provider_info,
        "can_edit": membership.is_admin,
        "tab": tab,
        "slot": None,
    }


@login_required
@require_GET
def account_detail(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    _membership, account = get_account(request, org_slug, account_id)
    return redirect(_tab_url("domain-list", account))


# Domains tab


def domains_of(account: ProviderAccount) -> QuerySet[SipDomain]:
    return account.sip_domains.annotate(
        attached_list_count=count_of(CredentialAttachment, "domain", "credential_list")
    )


def _domains_context(
    membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    return {
        **_account_context(membership, account, "domains"),
        "domains": domains_of(account),
        **extra,
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def domain_list(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    return render_page(request, DOMAINS, "tab-area", _domains_context(membership, account))


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def domain_create(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    form = SipDomainForm(
        request.POST if request.method == "POST" else None, instance=SipDomain(account=account)
    )
    if request.method == "POST" and form.is_valid():
        domain = save_or_error(form, "prefix", DOMAIN_IN_USE)
        if domain is not None:
            messages.success(request, f"SIP domain “{domain.name}” added: {domain.domain}")
            if not request.htmx:
                return redirect(_tab_url("domain-list", account))
            # Ready for the next entry: a blank form, the table updated out of band.
            blank = SipDomainForm(instance=SipDomain(account=account))
            context = _domains_context(membership, account, form=blank, slot="create")
            return render(request, f"{DOMAINS}#domain-saved", context)
    context = _domains_context(membership, account, form=form, slot="create")
    return render_page(request, DOMAINS, "domain-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def domain_update(
    request: HttpRequest, org_slug: str, account_id: int, domain_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    domain = get_object_or_404(SipDomain, pk=domain_id, account=account)
    form = SipDomainRenameForm(request.POST if request.method == "POST" else None, instance=domain)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"SIP domain renamed to “{domain.name}”.")
        if not request.htmx:
            return redirect(_tab_url("domain-list", account))
        response = render(request, f"{DOMAINS}#domain-saved", _domains_context(membership, account))
        return push_url(response, _tab_url("domain-list", account))
    context = _domains_context(membership, account, form=form, slot="update", target=domain)
    return render_page(request, DOMAINS, "domain-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def domain_delete(
    request: HttpRequest, org_slug: str, account_id: int, domain_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    domain = get_object_or_404(SipDomain, pk=domain_id, account=account)
    if request.method == "POST":
        domain.delete()  # its attachments go with it (listed on the confirmation)
        messages.success(request, f"SIP domain “{domain.name}” ({domain.domain}) deleted.")
        if not request.htmx:
            return redirect(_tab_url("domain-list", account))
        response = render(request, f"{DOMAINS}#domain-saved", _domains_context(membership, account))
        return push_url(response, _tab_url("domain-list", account))
    attachments = domain.attachments.select_related("credential_list").order_by(
        "credential_list__name", "purpose"
    )
    context = _domains_context(
        membership, account, slot="delete", target=domain, attachments=attachments
    )
    return render_page(request, DOMAINS, "domain-delete", context)


# Credential Lists tab (read-only until credential lists can be created)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def credential_list_list(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    lists = account.credential_lists.annotate(
        credential_count=count_of(Credential, "credential_list"),
        attached_domain_count=count_of(CredentialAttachment, "credential_list", "domain"),
    )
    context = {**_account_context(membership, account, "credential-lists"), "lists": lists}
    return render_page(request, "sip/credentiallist_list.html", "tab-area", context)


# Credential Attachments tab (read-only until attachments can be created)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def attachment_list(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    attachments = CredentialAttachment.objects.filter(domain__account=account).select_related(
        "domain", "credential_list"
    )
    context = {
        **_account_context(membership, account, "attachments"),
        "attachments": attachments,
        "has_domains": SipDomain.objects.filter(account=account).exists(),
        "has_lists": CredentialList.objects.filter(account=account).exists(),
    }
    return render_page(request, "sip/attachment_list.html", "tab-area", context)
