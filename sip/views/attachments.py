"""The Credential Attachments tab: which lists authenticate calls or registrations on which
domain, attached and detached inline."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import SimpleLazyObject

from accounts.access import get_account
from accounts.access import require_change
from accounts.decorators import form_view
from accounts.decorators import page_view
from accounts.models import Membership
from accounts.models import ProviderAccount
from sip import selects
from sip import services
from sip.forms import AttachmentForm
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.models import joined
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

ATTACHMENTS = "sip/attachment_list.html"
SAVED = f"{ATTACHMENTS}#attachment-saved"
PREREQUISITES = "Create a SIP domain and a credential list before adding an attachment."


def attachments_context(
    request: AppRequest, membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    context = account_context(request, membership, account, "attachments")
    table = tab_table(request, registry.ATTACHMENTS, selects.ATTACHMENTS.of(account.pk), account)

    def has(model: type[SipDomain | CredentialList]) -> SimpleLazyObject:
        # An attachment (one the table shows, searched or not) has a domain and a list: the
        # table's rows, read anyway, say so without a query.
        return SimpleLazyObject(
            lambda: table.paginator.count > 0 or model.objects.filter(account=account).exists()
        )

    return {
        **context,
        "table": table,
        # Lazy: read only when the page's header (a cached fragment) or the table is rendered.
        "has_domains": has(SipDomain),
        "has_lists": has(CredentialList),
        "prerequisites": PREREQUISITES,
        **extra,
    }


@page_view
def attachment_list(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    return tab_page(request, account, ATTACHMENTS, attachments_context, membership, account)


def attached_message(added: list[CredentialAttachment], existing: list[Purpose]) -> str:
    first = added[0]
    message = (
        f"“{first.credential_list.name}” now authenticates "
        f"{joined([a.purpose for a in added])} on {first.domain}."
    )
    if existing:
        message += (
            f" It was already attached for {joined(existing)}, so only the missing purpose "
            "was added."
        )
    return message


@form_view
def attachment_create(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    # Links from the setup review and the connection check preselect the domain or list.
    initial = {key: request.GET.get(key) for key in ("domain", "credential_list")}
    form = AttachmentForm(form_data(request), account=account, initial=initial)
    context = attachments_context(request, membership, account, form=form, slot="create")
    # Nothing to link yet: the form explains instead (a POST is refused the same way).
    if context["has_domains"] and context["has_lists"] and form.is_valid():
        domain, credential_list = form.cleaned_data["domain"], form.cleaned_data["credential_list"]
        # The account is loaded already: the service reads it without another query.
        domain.account = credential_list.account = account
        data = {"domain": domain, "credential_list": credential_list, "purposes": form.purposes()}
        result = save_or_error(form, services.attachment_create, request=request, **data)
        if result is not None:
            messages.success(request, attached_message(*result))
            url = tab_url("sip:attachment-list", account)
            blank = {"form": AttachmentForm(account=account), "slot": "create"}
            return saved(
                request, url, SAVED, attachments_context, membership, account, **blank, push=False
            )
    return render_page(request, ATTACHMENTS, "attachment-form", context)


@form_view
def attachment_delete(
    request: AppRequest, org_slug: str, account_id: int, attachment_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    attachment = get_object_or_404(
        CredentialAttachment.objects.select_related("domain", "credential_list"),
        pk=attachment_id,
        domain__account=account,
    )
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    attachment.domain.account = account  # loaded already: the service reads it, no query
    refusal = None
    if request.method == "POST":
        refusal = refused(services.attachment_delete, request=request, attachment=attachment)
        if refusal is None:
            messages.success(
                request,
                f"“{attachment.credential_list.name}” no longer authenticates "
                f"{attachment.get_purpose_display().lower()} on {attachment.domain.domain}.",
            )
            url = tab_url("sip:attachment-list", account)
            return saved(request, url, SAVED, attachments_context, membership, account)
    other_purposes = CredentialAttachment.objects.filter(
        domain=attachment.domain, credential_list=attachment.credential_list
    ).exclude(pk=attachment.pk)
    context = attachments_context(
        request,
        membership,
        account,
        slot="delete",
        target=attachment,
        affected=attachment.credential_list.credentials.count(),
        remaining=[a.get_purpose_display().lower() for a in other_purposes],
        refusal=refusal,
    )
    return render_page(request, ATTACHMENTS, "attachment-delete", context)
