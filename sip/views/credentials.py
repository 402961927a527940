"""A credential list's page: its SIP users (credentials), added, rotated and deleted.

A password is shown once, in the response that set it: there is no redirect after those
writes, since carrying the password to another request would mean storing it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accounts.access import get_account
from accounts.access import require_change
from accounts.activity import Action
from accounts.activity import ObjectType
from accounts.decorators import form_view
from accounts.decorators import page_view
from accounts.decorators import recent_auth
from accounts.decorators import secret_form
from accounts.models import Activity
from accounts.models import Membership
from accounts.models import ProviderAccount
from sip import bulk
from sip import selects
from sip import services
from sip.forms import CredentialForm
from sip.forms import RotatePasswordForm
from sip.models import Credential
from sip.models import CredentialList
from sip.models import password_version
from sip.views.common import account_context
from sip.views.common import get_list
from sip.views.common import list_to_change
from sip.views.common import tab_page
from whippy import registry
from whippy.forms import refused
from whippy.forms import save_or_error
from whippy.fragments import Scope
from whippy.htmx import AppRequest
from whippy.htmx import form_data
from whippy.htmx import render_page
from whippy.htmx import saved
from whippy.sql_tables import SqlTable

LIST_PAGE = "sip/credentiallist_detail.html"


# A form view that takes a SIP password: never cached, the password never in error reports.
password_form = secret_form("password")


def list_url(account: ProviderAccount, credential_list: CredentialList) -> str:
    args = [account.organization.slug, account.pk, credential_list.pk]
    return reverse("sip:credentiallist-detail", args=args)


def list_page_context(
    request: AppRequest,
    membership: Membership,
    credential_list: CredentialList,
    **extra: Any,
) -> dict[str, Any]:
    account = credential_list.account
    path = list_url(account, credential_list)
    credentials = selects.CREDENTIALS.of(credential_list.pk)
    scope = Scope.of(request, account)
    table = SqlTable(request, registry.CREDENTIALS, credentials, path=path, fragments=scope)
    # Read with the list for its page (get_list(shown=True)); else by one query, read only when
    # the list's header is rendered (not cached).
    attached = credential_list.__dict__.get("attached_domains")
    if attached is None:
        attached = SimpleLazyObject(lambda: selects.domain_names(credential_list.pk))
    return {
        **account_context(request, membership, account, "credential-lists"),
        "credential_list": credential_list,
        "table": table,
        "attached": attached,
        "rotate_nonce": bulk.new_nonce(),  # the rotation form's one-time key
        **extra,
    }


def shown_list(
    request: AppRequest, membership: Membership, account: ProviderAccount, list_id: int
) -> dict[str, Any]:
    """The list page's context, its list read as the page shows it (a 404 if not the account's)."""
    return list_page_context(request, membership, get_list(account, list_id, shown=True))


def get_credential(request: AppRequest, org_slug: str, account_id: int, list_id: int, pk: int):
    """The SIP user to change: another list's is a 404 (for everyone), then the role."""
    membership, account = get_account(request, org_slug, account_id)
    credential_list = get_list(account, list_id)
    credential = get_object_or_404(Credential, pk=pk, credential_list=credential_list)
    require_change(request, membership)
    credential.credential_list = credential_list
    return membership, credential


@page_view
def credential_list_detail(
    request: AppRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    fresh = {"rotate_nonce": bulk.new_nonce}
    return tab_page(request, account, LIST_PAGE, shown_list, membership, account, list_id, **fresh)


@password_form
@recent_auth
def credential_create(
    request: AppRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, credential_list = list_to_change(request, org_slug, account_id, list_id)
    form = CredentialForm(form_data(request), instance=Credential(credential_list=credential_list))
    context = {"form": form, "slot": "create"}
    if form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]
        data = {"credential_list": credential_list, "username": username, "password": password}
        credential = save_or_error(form, services.credential_create, request=request, **data)
        if credential is not None:
            messages.success(
                request, f"SIP user “{credential.username}” added to “{credential_list.name}”."
            )
            blank = CredentialForm(instance=Credential(credential_list=credential_list))
            context = {"form": blank, "slot": "create", "revealed": credential, "secret": password}
            context = list_page_context(request, membership, credential_list, **context)
            return render_page(request, LIST_PAGE, "credential-saved", context)
    context = list_page_context(request, membership, credential_list, **context)
    return render_page(request, LIST_PAGE, "credential-form", context)


@password_form
@recent_auth
def credential_rotate(
    request: AppRequest, org_slug: str, account_id: int, list_id: int, credential_id: int
) -> HttpResponse:
    membership, credential = get_credential(request, org_slug, account_id, list_id, credential_id)
    form = RotatePasswordForm(form_data(request), initial={"version": password_version(credential)})
    if form.is_valid():
        password = form.cleaned_data["password"]
        try:
            services.credential_rotate(
                request=request,
                credential=credential,
                password=password,
                version=form.cleaned_data["version"],
            )
        except services.AlreadyRotated:
            form = already_rotated(request, credential)
        except ValidationError as refusal:  # the provider's
            form.add_error(None, refusal)
        else:
            messages.success(request, f"Password of SIP user “{credential.username}” rotated.")
            context = {"revealed": credential, "secret": password}
            context = list_page_context(request, membership, credential.credential_list, **context)
            return render_page(request, LIST_PAGE, "credential-saved", context)
    context = {"form": form, "slot": "rotate", "target": credential}
    context = list_page_context(request, membership, credential.credential_list, **context)
    return render_page(request, LIST_PAGE, "rotate-form", context)


def already_rotated(request: AppRequest, credential: Credential) -> RotatePasswordForm:
    """Rotated since the form was opened: most likely the same form sent twice. The password
    shown then is the one in use; the form comes back for a deliberate second rotation."""
    data = request.POST.copy()
    data["version"] = password_version(credential)  # submitting again now rotates again
    form = RotatePasswordForm(data)
    form.is_valid()
    last = (
        Activity.objects.filter(
            account=credential.credential_list.account,
            action=Action.PASSWORD_ROTATED,
            object_type=ObjectType.CREDENTIAL,
            object_id=credential.pk,
        )
        .values_list("actor_name", flat=True)
        .first()
    )
    when = timezone.localtime(credential.password_changed_at)
    form.add_error(
        None,
        f"Nothing was changed: the password of “{credential.username}” was already rotated at "
        f"{when:%H:%M:%S}{f' by {last}' if last else ''}, after this form was opened (was it "
        "sent twice?). The password shown then is the one in use. To replace it, submit this "
        "form again.",
    )
    return form


@form_view
def credential_delete(
    request: AppRequest, org_slug: str, account_id: int, list_id: int, credential_id: int
) -> HttpResponse:
    membership, credential = get_credential(request, org_slug, account_id, list_id, credential_id)
    credential_list = credential.credential_list
    refusal = None
    if request.method == "POST":
        refusal = refused(services.credential_delete, request=request, credential=credential)
        if refusal is None:
            messages.success(request, f"SIP user “{credential.username}” deleted.")
            url = list_url(credential_list.account, credential_list)
            page = f"{LIST_PAGE}#credential-saved"
            return saved(request, url, page, list_page_context, membership, credential_list)
    attachments = credential_list.attachments.select_related("domain")
    context = list_page_context(
        request,
        membership,
        credential_list,
        slot="delete",
        target=credential,
        attachments=attachments.order_by("domain__domain", "purpose"),
        refusal=refusal,
    )
    return render_page(request, LIST_PAGE, "credential-delete", context)
