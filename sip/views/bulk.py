"""Many SIP users at once: imported from a CSV file into a list (a dry run first, then the
admin's go-ahead), or rotated together; the new passwords are the answer's download, once.

The dry run's page carries the checked rows back to the confirming request, sealed (sip/bulk.py):
nothing of the file is kept here. The confirming request does the work and answers with the
passwords (no-store); the page it was sent from shows the progress meanwhile."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import slugify

from accounts.access import get_account
from accounts.decorators import page_view
from accounts.decorators import recent_auth
from accounts.decorators import secret_form
from accounts.models import Membership
from sip import bulk
from sip import services
from sip.forms import BulkRotateForm
from sip.forms import CredentialImportForm
from sip.forms import ImportConfirmForm
from sip.models import CredentialList
from sip.views.common import account_context
from sip.views.common import get_list
from sip.views.common import list_to_change
from sip.views.credentials import LIST_PAGE
from sip.views.credentials import list_page_context
from whippy.htmx import AppRequest
from whippy.htmx import form_data
from whippy.htmx import render_page

IMPORT_PAGE = "sip/credential_import.html"


def import_page(
    request: AppRequest, membership: Membership, credential_list: CredentialList, **extra: Any
) -> HttpResponse:
    account = credential_list.account
    context = {**account_context(request, membership, account, "credential-lists"), **extra}
    context["credential_list"] = credential_list
    return render_page(request, IMPORT_PAGE, "tab-area", context)


@secret_form("token")
@recent_auth
def credential_import(
    request: AppRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, credential_list = list_to_change(request, org_slug, account_id, list_id)
    if request.method == "POST" and "token" in request.POST:
        return import_apply(request, membership, credential_list)
    bound = request.method == "POST"
    form = CredentialImportForm(request.POST if bound else None, request.FILES if bound else None)
    if not form.is_valid():
        return import_page(request, membership, credential_list, form=form)
    report = bulk.check(form.rows, credential_list)
    nonce, name = bulk.new_nonce(), form.cleaned_data["file"].name[:100]
    token = bulk.seal(nonce, credential_list, name, form.rows)
    mode = "valid" if report.problems else "all"
    confirm = ImportConfirmForm(initial={"token": token, "mode": mode})
    context = {"report": report, "confirm": confirm, "nonce": nonce, "file_name": name}
    return import_page(request, membership, credential_list, form=CredentialImportForm(), **context)


def import_apply(
    request: AppRequest, membership: Membership, credential_list: CredentialList
) -> HttpResponse:
    """The admin's go-ahead: the rows checked again and added, and the passwords downloaded."""
    confirm = ImportConfirmForm(request.POST)
    page = {"form": CredentialImportForm(), "confirm": confirm}
    try:
        if not confirm.is_valid():
            raise ValidationError(bulk.EXPIRED)
        sealed = bulk.unseal(confirm.cleaned_data["token"], credential_list)
        page |= {"nonce": sealed.nonce, "file_name": sealed.name}
        result = services.credentials_import(
            request=request,
            credential_list=credential_list,
            rows=sealed.rows,
            name=sealed.name,
            nonce=sealed.nonce,
            all_or_nothing=confirm.cleaned_data["mode"] == "all",
        )
    except services.ImportRefused as refusal:
        context = {**page, "report": refusal.report, "refusal": refusal.messages}
        return import_page(request, membership, credential_list, **context)
    except ValidationError as error:
        return import_page(request, membership, credential_list, **page, refusal=error.messages)
    done("import", credential_list, sealed.nonce, result)
    return password_download(credential_list, result)


def done(
    kind: str, credential_list: CredentialList, nonce: str, result: services.BulkResult
) -> None:
    """What the work did, for the page that waits on it, once it is saved."""
    skipped = [
        {"line": row.line, "username": row.username, "label": row.label, "problem": row.problem}
        for row in result.skipped[:1000]
    ]
    values = {"state": "done", "kind": kind, "added": len(result.logins), "skipped": skipped}
    values |= {"skipped_count": len(result.skipped), "stopped": result.stopped}
    account_id = credential_list.account_id
    transaction.on_commit(lambda: bulk.set_progress(nonce, account_id, **values))


def password_download(credential_list: CredentialList, result: services.BulkResult) -> HttpResponse:
    """The new passwords, as the one answer that ever holds them (no-store: secret_form)."""
    response = HttpResponse(
        "\ufeff" + bulk.password_csv(credential_list, result.logins),
        content_type="text/csv; charset=utf-8",
    )
    stamp = f"{timezone.localtime():%Y%m%d-%H%M%S}"
    name = f"{slugify(credential_list.name) or 'sip-users'}-passwords-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@secret_form("token")
@recent_auth
def credential_rotate_many(
    request: AppRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, credential_list = list_to_change(request, org_slug, account_id, list_id)
    form = BulkRotateForm(form_data(request), credential_list=credential_list)
    refusal: list[str] = []
    if form.is_valid():  # a GET (an unbound form) shows the list's page
        data = {"credential_list": credential_list, "nonce": form.cleaned_data["nonce"]}
        try:
            result = services.credentials_rotate(
                request=request, credentials=list(form.cleaned_data["credentials"]), **data
            )
        except ValidationError as error:
            refusal = error.messages
        else:
            done("rotate", credential_list, data["nonce"], result)
            return password_download(credential_list, result)
    context = {"slot": "rotate-many" if form.is_bound else None, "rotate_form": form}
    context["refusal"] = refusal
    context = list_page_context(request, membership, credential_list, **context)
    return render_page(request, LIST_PAGE, "tab-area", context)


@page_view
def bulk_progress(
    request: AppRequest, org_slug: str, account_id: int, list_id: int, nonce: str
) -> HttpResponse:
    """How far an import or a rotation has got (polled by the page it was sent from)."""
    membership, account = get_account(request, org_slug, account_id)
    credential_list = get_list(account, list_id)
    state = bulk.get_progress(nonce, account.pk)
    context = {"organization": membership.organization, "account": account}
    context |= {"credential_list": credential_list, "nonce": nonce, "state": state}
    return TemplateResponse(request, "sip/_bulk_progress.html", context)
