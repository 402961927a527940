from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts import two_factor
from accounts.access import get_membership
from accounts.access import require_change
from accounts.activity import of_type
from accounts.decorators import form_view
from accounts.decorators import login_required
from accounts.decorators import page_view
from accounts.decorators import recent_auth
from accounts.forms import OrganizationTwoFactorForm
from accounts.forms import ProviderAccountForm
from accounts.forms import ProviderAccountRenameForm
from accounts.models import Activity
from accounts.models import Membership
from accounts.models import ProviderAccount
from accounts.models import SignInEvent
from accounts.services import joined_counts
from sip.models import CredentialList
from sip.models import SipDomain
from sip.review import cached_reviews
from whippy import registry
from whippy.db import count_of
from whippy.forms import save_or_error
from whippy.htmx import AppRequest
from whippy.htmx import form_data
from whippy.htmx import render_page
from whippy.htmx import saved
from whippy.tables import Table
from whippy.tables import table_partial

TEMPLATE = "accounts/account_list.html"
SAVED = f"{TEMPLATE}#account-saved"


def accounts_of(membership: Membership) -> QuerySet[ProviderAccount]:
    return ProviderAccount.objects.filter(organization_id=membership.organization_id).annotate(
        domain_count=count_of(SipDomain, "account"),
        list_count=count_of(CredentialList, "account"),
    )


def _context(request: AppRequest, membership: Membership, **extra: Any) -> dict[str, Any]:
    table = Table(request, registry.ACCOUNTS, accounts_of(membership), path=_list_url(membership))
    for account in table.rows:
        account.organization = membership.organization
    # Each account's setup review warnings, for this page of accounts at once.
    reviews = cached_reviews(table.rows)
    for account in table.rows:
        account.warning_count = len(reviews[account.pk].findings)
    return {
        "membership": membership,
        "organization": membership.organization,
        "table": table,
        "accounts": table.rows,
        "can_edit": membership.is_admin,
        "slot": None,
        **extra,
    }


def _list_url(membership: Membership) -> str:
    return reverse("accounts:account-list", args=[membership.organization.slug])


def get_account_to_change(request: AppRequest, org_slug: str, account_id: int):
    """Another organization's account is a 404 (for everyone), then the role is checked."""
    membership = get_membership(request, org_slug)
    account = get_object_or_404(
        ProviderAccount, pk=account_id, organization_id=membership.organization_id
    )
    require_change(request, membership)
    account.organization = membership.organization
    return membership, account


@login_required
@require_GET
def session_status(request: AppRequest) -> HttpResponse:
    """Whether the session is alive: the cheapest authenticated page (the benchmark's floor)."""
    return HttpResponse(f"Logged in as {request.user.get_username()}.", content_type="text/plain")


@login_required
@require_GET
def home(request: AppRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user_id=request.user.pk).select_related("organization")
    last = request.session.get("last_org")
    membership = memberships.filter(organization__slug=last).first() if last else None
    membership = membership or memberships.order_by("organization__name").first()
    if membership is None:
        return render(request, "accounts/no_organization.html")
    return redirect("accounts:account-list", org_slug=membership.organization.slug)


@page_view
def account_list(request: AppRequest, org_slug: str) -> HttpResponse:
    membership = get_membership(request, org_slug)
    request.session["last_org"] = org_slug
    partial = table_partial(request, registry.ACCOUNTS.target, "main-content")
    return render_page(request, TEMPLATE, partial, _context(request, membership))


@form_view
def account_create(request: AppRequest, org_slug: str) -> HttpResponse:
    membership = get_membership(request, org_slug, admin=True)
    blank = ProviderAccount(organization=membership.organization)
    form = ProviderAccountForm(form_data(request), instance=blank)
    if form.is_valid():
        data = {"request": request, "organization": membership.organization, **form.cleaned_data}
        account = save_or_error(form, services.account_create, **data)
        if account is not None:
            messages.success(request, f"Account “{account.name}” added.")
            fresh = ProviderAccountForm(
                instance=ProviderAccount(organization=membership.organization)
            )
            url = _list_url(membership)
            return saved(
                request, url, SAVED, _context, membership, form=fresh, slot="create", push=False
            )
    context = _context(request, membership, form=form, slot="create")
    return render_page(request, TEMPLATE, "account-form", context)


@form_view
def account_update(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account_to_change(request, org_slug, account_id)
    form = ProviderAccountRenameForm(form_data(request), instance=account)
    if form.is_valid():
        data = {"request": request, "account": account, **form.cleaned_data}
        renamed = save_or_error(form, services.account_rename, **data)
        if renamed is not None:
            messages.success(request, f"Account renamed to “{renamed.name}”.")
            return saved(request, _list_url(membership), SAVED, _context, membership)
    context = _context(request, membership, form=form, slot="update", target=account)
    return render_page(request, TEMPLATE, "account-form", context)


@form_view
@recent_auth
def account_delete(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account_to_change(request, org_slug, account_id)
    contents = account.contents()
    if request.method == "POST" and not contents:
        try:
            services.account_delete(request=request, account=account)
        except services.StillHas as refusal:
            contents = refusal.contents  # something was added since the page was read
        else:
            messages.success(request, f"Account “{account.name}” deleted.")
            return saved(request, _list_url(membership), SAVED, _context, membership)
    context = _context(
        request,
        membership,
        slot="delete",
        target=account,
        blocked=joined_counts(contents) if contents else "",
    )
    return render_page(request, TEMPLATE, "account-delete", context)


# The organization's Activity: every change of every account, deleted accounts included.

ACTIVITY = "accounts/activity_list.html"


def _account_choices(membership: Membership) -> list[tuple[str, str]]:
    """Every account that has a history here: today's, then deleted ones by their last name."""
    current = list(
        ProviderAccount.objects.filter(organization_id=membership.organization_id)
        .order_by("name")
        .values_list("pk", "name")
    )
    deleted = (
        Activity.objects.filter(
            organization_id=membership.organization_id,
            account__isnull=True,
            account_key__isnull=False,
            action=Activity.Action.DELETED,
            object_type=Activity.ObjectType.ACCOUNT,
        )
        .order_by("account_name")
        .values_list("account_key", "account_name")
    )
    return [(str(pk), name) for pk, name in current] + [
        (str(key), f"{name} (deleted)") for key, name in deleted
    ]


@page_view
def activity_list(request: AppRequest, org_slug: str) -> HttpResponse:
    membership = get_membership(request, org_slug)
    records = Activity.objects.filter(organization_id=membership.organization_id)
    choices = _account_choices(membership)
    account_key = request.GET.get("account", "")
    if account_key in {key for key, _name in choices}:
        records = records.filter(account_key=int(account_key))
    else:
        account_key = ""
    records, object_type = of_type(request, records)
    table = Table(
        request,
        registry.ORG_ACTIVITY,
        records,
        path=reverse("org-activity", args=[membership.organization.slug]),
        bases={"accounts": _list_url(membership)},
        extra={
            name: value
            for name, value in (("account", account_key), ("type", object_type))
            if value
        },
    )
    context = {
        "membership": membership,
        "organization": membership.organization,
        "section": "activity",
        "table": table,
        "records": table.rows,
        "account_choices": choices,
        "account_key": account_key,
        "object_type": object_type,
        "object_types": Activity.ObjectType.choices,
    }
    partial = table_partial(request, registry.ORG_ACTIVITY.target, "main-content")
    return render_page(request, ACTIVITY, partial, context)


MEMBERS_HISTORY = 100  # the latest sign-in events of the members an admin sees


@form_view
def organization_security(request: AppRequest, org_slug: str) -> HttpResponse:
    """Who must sign in with a second factor, and the members' sign-in history: admins only."""
    membership = get_membership(request, org_slug, admin=True)
    organization = membership.organization
    enrolled = two_factor.is_enrolled(request.user)
    form = OrganizationTwoFactorForm(
        form_data(request), instance=organization, membership=membership, enrolled=enrolled
    )
    if form.is_valid():
        rule = form.cleaned_data["two_factor"]
        services.organization_two_factor(request=request, organization=organization, rule=rule)
        messages.success(
            request, f"Two-factor authentication: {organization.get_two_factor_display()}."
        )
        return redirect("org-security", org_slug=organization.slug)
    # Each member's needs_two_factor reads the organization: joined, not read once a row.
    members = Membership.objects.filter(organization=organization)
    members = (
        members.select_related("user", "organization")
        .annotate(enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)))
        .order_by("user__username")
    )
    events = SignInEvent.objects.filter(user__memberships__organization=organization)
    context = {
        "membership": membership,
        "organization": organization,
        "form": form,
        "members": members,
        "events": events.order_by("-created_at")[:MEMBERS_HISTORY],
        "section": "security",
    }
    return render_page(request, "accounts/organization_security.html", "main-content", context)
