"""An account's connection to its provider (Twilio): the API key, a test, and disconnecting.

Admins only. The key's secret is write-only: the page says whether one is saved, never what."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.access import get_account
from accounts.decorators import form_view
from accounts.models import Membership
from accounts.models import ProviderAccount
from sip import services
from sip.forms import ConnectionForm
from whippy.forms import save_or_error
from whippy.htmx import AppRequest
from whippy.htmx import form_data
from whippy.htmx import render_page

PAGE = "sip/connection.html"


def connection_url(account: ProviderAccount) -> str:
    return reverse("sip:connection", args=[account.organization.slug, account.pk])


@form_view
def connection(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    if request.method == "POST" and "test" in request.POST:
        return connection_test(request, account)
    syncs = account.provider_info.syncs
    form = ConnectionForm(form_data(request) if syncs else None, instance=account)
    if syncs and form.is_valid():
        data = {"request": request, "account": account, **form.cleaned_data}
        if save_or_error(form, services.account_connect, **data) is not None:
            messages.success(
                request, f"Twilio accepted the API key: “{account.name}” is connected."
            )
            return redirect(connection_url(account))
    account.refresh_from_db(fields=["twilio_key_secret"])  # a refused new secret is not saved
    return connection_page(request, membership, account, form)


def connection_page(
    request: AppRequest, membership: Membership, account: ProviderAccount, form: ConnectionForm
) -> HttpResponse:
    context = {"organization": membership.organization, "account": account, "form": form}
    return render_page(request, PAGE, "connection", {**context, "membership": membership})


@form_view
def connection_delete(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    """Disconnects (GET: the page, where the button is)."""
    membership, account = get_account(request, org_slug, account_id, admin=True)
    if request.method == "GET":
        return connection_page(request, membership, account, ConnectionForm(instance=account))
    if account.connected:
        services.account_disconnect(request=request, account=account)
        messages.success(
            request, f"“{account.name}” is disconnected: its changes stay in this app from now on."
        )
    return redirect(connection_url(account))


def connection_test(request: AppRequest, account: ProviderAccount) -> HttpResponse:
    """Asks Twilio, with the saved key, and says plainly what it answered."""
    if not account.connected:
        messages.error(
            request, "This account is not connected to Twilio: there is nothing to test."
        )
    else:
        try:
            services.check_connection(account)
        except ValidationError as error:
            text = " ".join(error.messages)
            messages.error(request, f"The connection does not work. {text}")
        else:
            messages.success(
                request, "Twilio accepted this account's API key: the connection works."
            )
    return redirect(connection_url(account))
