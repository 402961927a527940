"""The SIP Users tab (every credential of the account, where each authenticates) and the
connection check: the support tools. Both only read, so support staff may use them."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.access import get_account
from accounts.decorators import login_required
from accounts.decorators import page_view
from accounts.models import Activity
from accounts.models import Membership
from accounts.models import ProviderAccount
from sip import password_checks
from sip import selects
from sip.diagnosis import Verdict
from sip.diagnosis import check_connection
from sip.forms import ConnectionCheckForm
from sip.models import Credential
from sip.tabs import tab_url
from sip.views.common import account_context
from sip.views.common import tab_page
from sip.views.common import tab_table
from whippy import registry
from whippy.forms import shown
from whippy.fragments import Steady
from whippy.htmx import AppRequest
from whippy.htmx import render_page
from whippy.rows import check_panel

SIP_USERS = "sip/sip_user_list.html"


def where_they_authenticate(credentials: list[Credential]) -> None:
    """Sets each credential's authenticates ({"calls": [domains], "registrations": [...]}) and
    the domain its Check link fills in, from its list's attachments read with it
    (attached_for: "calls acme.sip.example.com", sorted)."""
    for credential in credentials:
        credential.authenticates = where = {"calls": [], "registrations": []}
        for line in credential.attached_for:
            purpose, domain = line.split(" ", 1)
            where[purpose].append(domain)
        domains = where["calls"] + where["registrations"]
        credential.check_domain = domains[0] if domains else ""


def sip_users_context(
    request: AppRequest, membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    context = account_context(request, membership, account, "sip-users")
    # Made when rendered: a page whose blank form is cached (below) never builds it.
    blank = SimpleLazyObject(lambda: ConnectionCheckForm(account=account))
    table = tab_table(
        request,
        registry.SIP_USERS,
        selects.SIP_USERS.of(account.pk),
        account,
        prepare=where_they_authenticate,
    )
    return {
        **context,
        "table": table,
        "check_url": tab_url("sip:connection-check", account),
        "form": blank,
        # The blank check form is the same for everyone, whatever the setup version; a form
        # that shows values or errors is kept by what it shows (connection_check).
        "form_scope": Steady.of(request, account),
        "form_state": (),
        **extra,
    }


@page_view
def sip_user_list(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    return tab_page(request, account, SIP_USERS, sip_users_context, membership, account)


def run_check(request: AppRequest, account: ProviderAccount, form: ConnectionCheckForm):
    """The verdicts for a valid form and, when asked, a real REGISTER's answer; (None, None)
    when a password test must wait (then the form says so). The password is never kept."""
    username, domain = form.cleaned_data["username"], form.cleaned_data["domain"]
    password = form.cleaned_data["password"]
    if not password:
        return check_connection(account, username, domain), None

    def test() -> tuple[list[Verdict], Activity]:
        verdicts = check_connection(account, username, domain, password)
        return verdicts, password_checks.record_test(request, account, username, domain, verdicts)

    wait, tested = password_checks.throttled(request, account, username, test)
    if wait:  # the tests made meanwhile reached the limit (the form counted them before)
        form.add_error("password", password_checks.too_many(wait))
        return None, None
    verdicts, record = tested
    live = None
    if form.cleaned_data["live"]:
        # After the transaction: its row locks are not held while the network answers.
        live = password_checks.register_for_real(domain, username, password)
        password_checks.record_live(record, domain, live)
    return verdicts, live


@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def connection_check(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    if request.method == "POST":
        form = ConnectionCheckForm(request.POST, account=account, tester=request.user.pk)
    else:
        initial = {key: request.GET.get(key) for key in ("username", "domain")}
        form = ConnectionCheckForm(account=account, initial=initial)
    check: dict[str, Any] = {"form": form, "slot": "check", "verdicts": None}
    verdicts, live = run_check(request, account, form) if form.is_valid() else (None, None)
    if verdicts is not None:
        username, domain = form.cleaned_data["username"], form.cleaned_data["domain"]
        # A fresh form keeps what was asked, without the password.
        initial = {"username": username, "domain": domain.domain}
        check |= {
            "form": ConnectionCheckForm(account=account, initial=initial),
            "verdicts": verdicts,
            "checked_username": username,
            "checked_domain": domain,
            "live": live,
            "live_server": "{}:{}".format(*password_checks.sip_server(domain)),
            "live_timeout": f"{password_checks.LIVE_TIMEOUT:g}",
        }
    # Its form's markup is kept by what it shows: a refused test's answer, what guessing gets
    # over and over, renders none of its fields again while what was typed is the same.
    check |= {"form_scope": Steady.of(request, account), "form_state": shown(check["form"])}
    if request.htmx and not request.htmx.history_restore_request:
        # Only the check panel is swapped: rendered alone (whippy.rows.check_panel), without
        # the SIP users table, the page's template or its context processors.
        csrf_token = get_token(request)
        panel = {**check, "organization": membership.organization, "account": account}
        panel |= {"can_edit": membership.is_admin, "csrf_token": csrf_token}
        return HttpResponse(check_panel(panel))
    context = sip_users_context(request, membership, account, **check)
    return render_page(request, SIP_USERS, "check-form", context)
