from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from accounts import activity, services
from accounts.access import get_membership, require_change
from accounts.activity import Action, ObjectType
from accounts.decorators import login_required
from accounts.forms import ProviderAccountForm, ProviderAccountRenameForm
from accounts.models import (
    ACCOUNT_NAME_TAKEN,
    Activity,
    Membership,
    Organization,
    ProviderAccount,
)
from sip.models import CredentialList, SipDomain
from sip.review import cached_reviews
from whippy.db import count_of, lock
from whippy.forms import save_or_error
from whippy.htmx import render_page
from whippy.tables import Column, Table, table_partial

TEMPLATE = "accounts/account_list.html"


def accounts_of(membership: Membership) -> QuerySet[ProviderAccount]:
    return ProviderAccount.objects.filter(organization_id=membership.organization_id).annotate(
        domain_count=count_of(SipDomain, "account"),
        list_count=count_of(CredentialList, "account"),
    )


ACCOUNT_COLUMNS = [
    Column("name", "Name", "name"),
    Column("provider", "Provider", "provider"),
    Column("domains", "SIP domains", "domain_count", numeric=True),
    Column("lists", "Credential lists", "list_count", numeric=True),
    Column("review", "Setup review"),
    Column("created", "Created", "created_at"),
]


def _context(request: HttpRequest, membership: Membership, **extra: Any) -> dict[str, Any]:
    table = Table(
        request,
        accounts_of(membership),
        path=_list_url(membership),
        target="account-table",
        columns=ACCOUNT_COLUMNS,
        search=["name"],
    )
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


@login_required
@require_GET
def session_status(request: HttpRequest) -> HttpResponse:
    """Whether the session is alive: the cheapest authenticated page (the benchmark's floor)."""
    return HttpResponse(f"Logged in as {request.user.get_username()}.", content_type="text/plain")


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user_id=request.user.pk).select_related("organization")
    last = request.session.get("last_org")
    membership = memberships.filter(organization__slug=last).first() if last else None
    membership = membership or memberships.order_by("organization__name").first()
    if membership is None:
        return render(request, "accounts/no_organization.html")
    return redirect("accounts:account-list", org_slug=membership.organization.slug)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def account_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = get_membership(request, org_slug)
    request.session["last_org"] = org_slug
    partial = table_partial(request, "account-table", "main-content")
    return render_page(request, TEMPLATE, partial, _context(request, membership))


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def account_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = get_membership(request, org_slug, admin=True)
    if request.method == "POST":
        lock(Organization, membership.organization_id)  # the account limit sees a settled count
    blank = ProviderAccount(organization=membership.organization)
    form = ProviderAccountForm(request.POST if request.method == "POST" else None, instance=blank)
    if request.method == "POST" and form.is_valid():
        account = save_or_error(form, "name", ACCOUNT_NAME_TAKEN)
        if account is not None:
            activity.record(
                request,
                account=account,
                action=Action.CREATED,
                object_type=ObjectType.ACCOUNT,
                obj=account,
                summary=f"Added {account.get_provider_display()} account “{account.name}”.",
            )
            messages.success(request, f"Account “{account.name}” added.")
            if not request.htmx:
                return redirect(_list_url(membership))
            fresh = ProviderAccountForm(
                instance=ProviderAccount(organization=membership.organization)
            )
            context = _context(request, membership, form=fresh, slot="create")
            return TemplateResponse(request, f"{TEMPLATE}#account-saved", context)
    context = _context(request, membership, form=form, slot="create")
    return render_page(request, TEMPLATE, "account-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def account_update(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership = get_membership(request, org_slug)
    account = get_object_or_404(
        ProviderAccount, pk=account_id, organization_id=membership.organization_id
    )
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    form = ProviderAccountRenameForm(
        request.POST if request.method == "POST" else None, instance=account
    )
    if request.method == "POST" and form.is_valid():
        saved = save_or_error(
            form,
            "name",
            ACCOUNT_NAME_TAKEN,
            save=lambda: services.account_rename(
                request=request, account=account, name=form.cleaned_data["name"]
            ),
        )
        if saved is not None:
            messages.success(request, f"Account renamed to “{saved.name}”.")
            if not request.htmx:
                return redirect(_list_url(membership))
            response = TemplateResponse(
                request, f"{TEMPLATE}#account-saved", _context(request, membership)
            )
            return push_url(response, _list_url(membership))
    context = _context(request, membership, form=form, slot="update", target=account)
    return render_page(request, TEMPLATE, "account-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def account_delete(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership = get_membership(request, org_slug)
    get_object_or_404(ProviderAccount, pk=account_id, organization_id=membership.organization_id)
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    if request.method == "POST" and not lock(ProviderAccount, account_id):
        raise Http404("No such account.")
    # Read after the lock: a domain or list created meanwhile blocks the delete.
    account = get_object_or_404(accounts_of(membership), pk=account_id)
    blocked = account.domain_count > 0 or account.list_count > 0
    if request.method == "POST" and not blocked:
        try:
            with transaction.atomic():
                activity.record(
                    request,
                    account=account,
                    action=Action.DELETED,
                    object_type=ObjectType.ACCOUNT,
                    obj=account,
                    summary=f"Deleted account “{account.name}”.",
                )
                account.delete()
        except ProtectedError:
            # A domain or list was added since the counts were read: refuse, as shown.
            blocked = True
        else:
            messages.success(request, f"Account “{account.name}” deleted.")
            if not request.htmx:
                return redirect(_list_url(membership))
            response = TemplateResponse(
                request, f"{TEMPLATE}#account-saved", _context(request, membership)
            )
            return push_url(response, _list_url(membership))
    context = _context(request, membership, slot="delete", target=account, blocked=blocked)
    return render_page(request, TEMPLATE, "account-delete", context)


# The organization's Activity: every change of every account, deleted accounts included.

ACTIVITY = "accounts/activity_list.html"
ACTIVITY_COLUMNS = [
    Column("created", "When", "created_at"),
    Column("actor", "Who", "actor_name"),
    Column("account", "Account", "account_name"),
    Column("what", "What", "object_type"),
    Column("change", "Change"),
]


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


@login_required
@require_GET
@vary_on_headers("HX-Request")
def activity_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = get_membership(request, org_slug)
    records = Activity.objects.filter(organization_id=membership.organization_id)
    choices = _account_choices(membership)
    account_key = request.GET.get("account", "")
    if account_key in {key for key, _name in choices}:
        records = records.filter(account_key=int(account_key))
    else:
        account_key = ""
    object_type = request.GET.get("type", "")
    if object_type in Activity.ObjectType.values:
        records = records.filter(object_type=object_type)
    else:
        object_type = ""
    table = Table(
        request,
        records,
        path=reverse("org-activity", args=[membership.organization.slug]),
        target="activity-table",
        columns=ACTIVITY_COLUMNS,
        search=["summary", "actor_name", "account_name"],
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
    partial = table_partial(request, "activity-table", "main-content")
    return render_page(request, ACTIVITY, partial, context)
