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
from accounts.decorators import recent_auth
from accounts.models import Membership
from accounts.models import ProviderAccount
from sip import services
from sip.forms import ConnectionForm
from sip.imports import PHASES
from sip.models import ImportRun
from whippy.forms import save_or_error
from whippy.htmx import AppRequest
from whippy.htmx import form_data
from whippy.htmx import render_page

PAGE = "sip/connection.html"


def connection_url(account: ProviderAccount) -> str:
    return reverse("sip:connection", args=[account.organization.slug, account.pk])


@form_view
@recent_auth(methods=("POST",))
def connection(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    if request.method == "POST" and "test" in request.POST:
        return connection_test(request, account)
    if request.method == "POST" and "import" in request.POST:
        return import_now(request, account)
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
    run = account.import_runs.first()
    context = {"organization": membership.organization, "account": account, "form": form}
    context |= {"membership": membership, "run": run, "phase_step": phase_step(run)}
    # The import's progress refreshes itself alone while the import runs.
    partial = "import-progress" if request.GET.get("progress") else "connection"
    return render_page(request, PAGE, partial, context)


def phase_step(run: ImportRun | None) -> int:
    """How many of the import's four phases are behind it."""
    if run is None:
        return 0
    return 4 if run.phase == ImportRun.Phase.DONE else PHASES.index(run.phase)


@form_view
@recent_auth
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


def import_now(request: AppRequest, account: ProviderAccount) -> HttpResponse:
    try:
        run = services.import_start(request=request, account=account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        resumed = "resumes" if run.phase != ImportRun.Phase.DOMAINS or run.cursor else "starts"
        messages.success(
            request,
            f"The import {resumed} in the background: this page shows its progress, "
            "and you can leave it meanwhile.",
        )
    return redirect(connection_url(account))
