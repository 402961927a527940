from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch, ProtectedError, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from accounts.access import get_account, require_change
from accounts.activity import Action, ObjectType, record
from accounts.decorators import login_required
from accounts.models import Activity, Membership, Organization, ProviderAccount
from sip import password_checks, services
from sip.diagnosis import check_connection
from sip.forms import (
    AttachmentForm,
    ConnectionCheckForm,
    CredentialForm,
    CredentialListForm,
    RotatePasswordForm,
    SipDomainForm,
    SipDomainRenameForm,
    already_attached,
    joined,
    password_version,
)
from sip.models import (
    DOMAIN_IN_USE,
    LIST_NAME_TAKEN,
    USERNAME_TAKEN,
    Credential,
    CredentialAttachment,
    CredentialList,
    Purpose,
    SipDomain,
)
from sip.review import cached_review
from whippy.db import count_of, lock
from whippy.forms import save_or_error
from whippy.htmx import render_page
from whippy.tables import Column, Table, table_partial

DOMAINS = "sip/domain_list.html"


def lock_parent(model: type, pk: int) -> None:
    if not lock(model, pk):
        raise Http404("It was deleted a moment ago.")


def _tab_url(name: str, account: ProviderAccount) -> str:
    return reverse(f"sip:{name}", args=[account.organization.slug, account.pk])


def _account_context(membership: Membership, account: ProviderAccount, tab: str) -> dict[str, Any]:
    return {
        "membership": membership,
        "organization": membership.organization,
        "account": account,
        "provider": account.provider_info,
        "lists_url": _tab_url("credentiallist-list", account),
        "can_edit": membership.is_admin,
        "tab": tab,
        "slot": None,
        # Lazy: only pages that show the tabs pay for it (after a change, it is recomputed).
        "review": SimpleLazyObject(lambda: cached_review(account)),
    }


TABS = ("domains", "credential-lists", "attachments", "sip-users", "activity")


@login_required
@require_GET
def account_nav(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    """The tabs and the setup review alone: the page reloads them after a change."""
    membership, account = get_account(request, org_slug, account_id)
    request.keeps_messages = True  # a background refresh: the change's message stays
    tab = request.GET.get("tab", "")
    context = _account_context(membership, account, tab if tab in TABS else "domains")
    return TemplateResponse(request, "sip/_tabs.html", context)


@login_required
@require_GET
def account_detail(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    _membership, account = get_account(request, org_slug, account_id)
    return redirect(_tab_url("domain-list", account))


# Domains tab


DOMAIN_COLUMNS = [
    Column("name", "Name", "name"),
    Column("domain", "Domain", "domain"),
    Column("created", "Created", "created_at"),
]


def domains_of(account: ProviderAccount) -> QuerySet[SipDomain]:
    return account.sip_domains.annotate(
        attached_list_count=count_of(CredentialAttachment, "domain", "credential_list")
    )


def _domains_context(
    request: HttpRequest, membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    table = Table(
        request,
        domains_of(account),
        path=_tab_url("domain-list", account),
        target="domain-table",
        columns=DOMAIN_COLUMNS,
        search=["name", "domain"],
    )
    return {
        **_account_context(membership, account, "domains"),
        "table": table,
        "domains": table.rows,
        **extra,
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def domain_list(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    context = _domains_context(request, membership, account)
    return render_page(
        request, DOMAINS, table_partial(request, "domain-table", "tab-area"), context
    )


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def domain_create(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    if request.method == "POST":
        # Limits (the provider's and the organization's share) and deletes see settled counts.
        lock(Organization, account.organization_id)
        lock_parent(ProviderAccount, account.pk)
    form = SipDomainForm(
        request.POST if request.method == "POST" else None, instance=SipDomain(account=account)
    )
    if request.method == "POST" and form.is_valid():
        domain = save_or_error(form, "prefix", DOMAIN_IN_USE)
        if domain is not None:
            record(
                request,
                account=account,
                action=Action.CREATED,
                object_type=ObjectType.DOMAIN,
                obj=domain,
                summary=f"Added SIP domain {domain.domain} (“{domain.name}”).",
            )
            messages.success(request, f"SIP domain “{domain.name}” added: {domain.domain}")
            if not request.htmx:
                return redirect(_tab_url("domain-list", account))
            # Ready for the next entry: a blank form, the table updated out of band.
            blank = SipDomainForm(instance=SipDomain(account=account))
            context = _domains_context(request, membership, account, form=blank, slot="create")
            return TemplateResponse(request, f"{DOMAINS}#domain-saved", context)
    context = _domains_context(request, membership, account, form=form, slot="create")
    return render_page(request, DOMAINS, "domain-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def domain_update(
    request: HttpRequest, org_slug: str, account_id: int, domain_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    domain = get_object_or_404(SipDomain, pk=domain_id, account=account)
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    domain.account = account
    form = SipDomainRenameForm(request.POST if request.method == "POST" else None, instance=domain)
    if request.method == "POST" and form.is_valid():
        services.domain_rename(request=request, domain=domain, name=form.cleaned_data["name"])
        messages.success(request, f"SIP domain renamed to “{domain.name}”.")
        if not request.htmx:
            return redirect(_tab_url("domain-list", account))
        response = TemplateResponse(
            request, f"{DOMAINS}#domain-saved", _domains_context(request, membership, account)
        )
        return push_url(response, _tab_url("domain-list", account))
    context = _domains_context(
        request, membership, account, form=form, slot="update", target=domain
    )
    return render_page(request, DOMAINS, "domain-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def domain_delete(
    request: HttpRequest, org_slug: str, account_id: int, domain_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    domain = get_object_or_404(SipDomain, pk=domain_id, account=account)
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    if request.method == "POST":
        lock_parent(SipDomain, domain.pk)  # no attachment can be added to it meanwhile
        removed = [
            f"{a.credential_list.name}: {a.get_purpose_display().lower()}"
            for a in domain.attachments.select_related("credential_list")
        ]
        record(
            request,
            account=account,
            action=Action.DELETED,
            object_type=ObjectType.DOMAIN,
            obj=domain,
            summary=f"Deleted SIP domain {domain.domain} (“{domain.name}”)"
            + (f" and its attachments: {', '.join(removed)}." if removed else "."),
            changes={"attachments removed": removed} if removed else None,
        )
        domain.delete()  # its attachments go with it (listed on the confirmation)
        messages.success(request, f"SIP domain “{domain.name}” ({domain.domain}) deleted.")
        if not request.htmx:
            return redirect(_tab_url("domain-list", account))
        response = TemplateResponse(
            request, f"{DOMAINS}#domain-saved", _domains_context(request, membership, account)
        )
        return push_url(response, _tab_url("domain-list", account))
    attachments = domain.attachments.select_related("credential_list").order_by(
        "credential_list__name", "purpose"
    )
    context = _domains_context(
        request, membership, account, slot="delete", target=domain, attachments=attachments
    )
    return render_page(request, DOMAINS, "domain-delete", context)


# Credential Lists tab

LISTS = "sip/credentiallist_list.html"


LIST_COLUMNS = [
    Column("name", "Name", "name"),
    Column("credentials", "Credentials", "credential_count", numeric=True),
    Column("attached", "Attached to", "attached_domain_count"),
    Column("created", "Created", "created_at"),
]


def lists_of(account: ProviderAccount) -> QuerySet[CredentialList]:
    return account.credential_lists.annotate(
        credential_count=count_of(Credential, "credential_list"),
        attached_domain_count=count_of(CredentialAttachment, "credential_list", "domain"),
    ).prefetch_related(
        Prefetch(
            "attachments",
            queryset=CredentialAttachment.objects.select_related("domain").order_by(
                "domain__domain"
            ),
        )
    )


def attached_domains(credential_list: CredentialList) -> list[SipDomain]:
    """The distinct domains a list is attached to (an attachment exists per purpose)."""
    attachments = (
        credential_list.attachments.all()
        if "attachments" in getattr(credential_list, "_prefetched_objects_cache", {})
        else credential_list.attachments.select_related("domain").order_by("domain__domain")
    )
    seen: dict[int, SipDomain] = {}
    for attachment in attachments:
        seen.setdefault(attachment.domain_id, attachment.domain)
    return list(seen.values())


def _lists_context(
    request: HttpRequest, membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    table = Table(
        request,
        lists_of(account),
        path=_tab_url("credentiallist-list", account),
        target="list-table",
        columns=LIST_COLUMNS,
        search=["name"],
    )
    for credential_list in table.rows:
        credential_list.attached_domains = attached_domains(credential_list)
        credential_list.attached_names = ", ".join(
            d.domain for d in credential_list.attached_domains
        )
    return {
        **_account_context(membership, account, "credential-lists"),
        "table": table,
        "lists": table.rows,
        **extra,
    }


def _get_list(account: ProviderAccount, list_id: int) -> CredentialList:
    credential_list = get_object_or_404(CredentialList, pk=list_id, account=account)
    credential_list.account = account
    return credential_list


@login_required
@require_GET
@vary_on_headers("HX-Request")
def credential_list_list(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    context = _lists_context(request, membership, account)
    return render_page(request, LISTS, table_partial(request, "list-table", "tab-area"), context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def credential_list_create(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    if request.method == "POST":
        lock_parent(ProviderAccount, account.pk)
    form = CredentialListForm(
        request.POST if request.method == "POST" else None,
        instance=CredentialList(account=account),
    )
    if request.method == "POST" and form.is_valid():
        created = save_or_error(form, "name", LIST_NAME_TAKEN)
        if created is not None:
            record(
                request,
                account=account,
                action=Action.CREATED,
                object_type=ObjectType.CREDENTIAL_LIST,
                obj=created,
                summary=f"Added credential list “{created.name}”.",
            )
            messages.success(request, f"Credential list “{created.name}” added.")
            if not request.htmx:
                return redirect(_tab_url("credentiallist-list", account))
            blank = CredentialListForm(instance=CredentialList(account=account))
            context = _lists_context(request, membership, account, form=blank, slot="create")
            return TemplateResponse(request, f"{LISTS}#list-saved", context)
    context = _lists_context(request, membership, account, form=form, slot="create")
    return render_page(request, LISTS, "list-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def credential_list_update(
    request: HttpRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    credential_list = _get_list(account, list_id)
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    form = CredentialListForm(
        request.POST if request.method == "POST" else None, instance=credential_list
    )
    if request.method == "POST" and form.is_valid():
        saved = save_or_error(
            form,
            "name",
            LIST_NAME_TAKEN,
            save=lambda: services.credential_list_rename(
                request=request, credential_list=credential_list, name=form.cleaned_data["name"]
            ),
        )
        if saved is not None:
            messages.success(request, f"Credential list renamed to “{saved.name}”.")
            if not request.htmx:
                return redirect(_tab_url("credentiallist-list", account))
            response = TemplateResponse(
                request, f"{LISTS}#list-saved", _lists_context(request, membership, account)
            )
            return push_url(response, _tab_url("credentiallist-list", account))
    context = _lists_context(
        request, membership, account, form=form, slot="update", target=credential_list
    )
    return render_page(request, LISTS, "list-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def credential_list_delete(
    request: HttpRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    credential_list = _get_list(account, list_id)
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    if request.method == "POST":
        # Attachments are read after the lock: one added meanwhile refuses the delete.
        lock_parent(CredentialList, credential_list.pk)
    domains = attached_domains(credential_list)
    if request.method == "POST" and not domains:
        try:
            with transaction.atomic():
                count = credential_list.credentials.count()
                record(
                    request,
                    account=account,
                    action=Action.DELETED,
                    object_type=ObjectType.CREDENTIAL_LIST,
                    obj=credential_list,
                    summary=f"Deleted credential list “{credential_list.name}” "
                    f"and its {count} credential{pluralize(count)}.",
                )
                credential_list.delete()
        except ProtectedError:
            # Attached by another request since the page was read: refuse, as shown.
            domains = attached_domains(credential_list)
        else:
            messages.success(request, f"Credential list “{credential_list.name}” deleted.")
            if not request.htmx:
                return redirect(_tab_url("credentiallist-list", account))
            response = TemplateResponse(
                request, f"{LISTS}#list-saved", _lists_context(request, membership, account)
            )
            return push_url(response, _tab_url("credentiallist-list", account))
    context = _lists_context(
        request,
        membership,
        account,
        slot="delete",
        target=credential_list,
        attached=domains,
        # A refusal links each attachment to its own Detach.
        blocking=credential_list.attachments.select_related("domain").order_by(
            "domain__domain", "purpose"
        )
        if domains
        else [],
        credential_count=credential_list.credentials.count(),
    )
    return render_page(request, LISTS, "list-delete", context)


# A credential list's page: its SIP users (credentials)

LIST_PAGE = "sip/credentiallist_detail.html"


CREDENTIAL_COLUMNS = [
    Column("username", "Username", "username"),
    Column("created", "Created", "created_at"),
    Column("changed", "Password last changed", "password_changed_at"),
]


def _list_page_context(
    request: HttpRequest,
    membership: Membership,
    account: ProviderAccount,
    credential_list: CredentialList,
    **extra: Any,
) -> dict[str, Any]:
    table = Table(
        request,
        credential_list.credentials.all(),
        path=_list_url(account, credential_list),
        target="credential-table",
        columns=CREDENTIAL_COLUMNS,
        search=["username"],
    )
    return {
        **_account_context(membership, account, "credential-lists"),
        "credential_list": credential_list,
        "table": table,
        "credentials": table.rows,
        "attached": attached_domains(credential_list),
        **extra,
    }


def _list_url(account: ProviderAccount, credential_list: CredentialList) -> str:
    return reverse(
        "sip:credentiallist-detail",
        args=[account.organization.slug, account.pk, credential_list.pk],
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def credential_list_detail(
    request: HttpRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    credential_list = _get_list(account, list_id)
    context = _list_page_context(request, membership, account, credential_list)
    partial = table_partial(request, "credential-table", "tab-area")
    return render_page(request, LIST_PAGE, partial, context)


@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def credential_create(
    request: HttpRequest, org_slug: str, account_id: int, list_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    credential_list = _get_list(account, list_id)
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    if request.method == "POST":
        lock_parent(CredentialList, credential_list.pk)
    form = CredentialForm(
        request.POST if request.method == "POST" else None,
        instance=Credential(credential_list=credential_list),
    )
    if request.method == "POST" and form.is_valid():
        credential = save_or_error(form, "username", USERNAME_TAKEN)
        if credential is not None:
            record(
                request,
                account=account,
                action=Action.CREATED,
                object_type=ObjectType.CREDENTIAL,
                obj=credential,
                summary=f"Added SIP user “{credential.username}” to “{credential_list.name}”.",
            )
            messages.success(
                request, f"SIP user “{credential.username}” added to “{credential_list.name}”."
            )
            # The password is shown now, once, in this response: there is no redirect, since
            # carrying it to another request would mean storing it.
            blank = CredentialForm(instance=Credential(credential_list=credential_list))
            context = _list_page_context(
                request,
                membership,
                account,
                credential_list,
                form=blank,
                slot="create",
                revealed=credential,
                secret=form.cleaned_data["password"],
            )
            return render_page(request, LIST_PAGE, "credential-saved", context)
    context = _list_page_context(
        request, membership, account, credential_list, form=form, slot="create"
    )
    return render_page(request, LIST_PAGE, "credential-form", context)


@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def credential_rotate(
    request: HttpRequest, org_slug: str, account_id: int, list_id: int, credential_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    credential_list = _get_list(account, list_id)
    # Locked for a POST: two submissions of one form are settled one after the other.
    rows = Credential.objects.select_for_update() if request.method == "POST" else Credential
    credential = get_object_or_404(rows, pk=credential_id, credential_list=credential_list)
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    credential.credential_list = credential_list
    current = password_version(credential)
    form = RotatePasswordForm(
        request.POST if request.method == "POST" else None, initial={"version": current}
    )
    if request.method == "POST" and form.is_valid() and form.cleaned_data["version"] != current:
        # Rotated since this form was opened: most likely the same form sent twice. The
        # password shown then is the one in use; a second, silent rotation would lose it.
        data = request.POST.copy()
        data["version"] = current  # submitting again now is a deliberate second rotation
        form = RotatePasswordForm(data)
        form.is_valid()
        form.add_error(None, _already_rotated(account, credential))
    elif request.method == "POST" and form.is_valid():
        credential.set_password(form.cleaned_data["password"])
        credential.save(update_fields=["ha1_md5", "ha1_sha256", "password_changed_at"])
        record(
            request,
            account=account,
            action=Action.PASSWORD_ROTATED,
            object_type=ObjectType.CREDENTIAL,
            obj=credential,
            summary=f"Rotated the password of SIP user “{credential.username}” "
            f"in “{credential_list.name}”.",
            changes={"password": "rotated"},
        )
        messages.success(request, f"Password of SIP user “{credential.username}” rotated.")
        context = _list_page_context(
            request,
            membership,
            account,
            credential_list,
            revealed=credential,
            secret=form.cleaned_data["password"],
        )
        return render_page(request, LIST_PAGE, "credential-saved", context)
    context = _list_page_context(
        request, membership, account, credential_list, form=form, slot="rotate", target=credential
    )
    return render_page(request, LIST_PAGE, "rotate-form", context)


def _already_rotated(account: ProviderAccount, credential: Credential) -> str:
    last = (
        Activity.objects.filter(
            account=account,
            action=Action.PASSWORD_ROTATED,
            object_type=ObjectType.CREDENTIAL,
            object_id=credential.pk,
        )
        .values_list("actor_name", flat=True)
        .first()
    )
    when = timezone.localtime(credential.password_changed_at)
    return (
        f"Nothing was changed: the password of “{credential.username}” was already rotated at "
        f"{when:%H:%M:%S}{f' by {last}' if last else ''}, after this form was opened (was it "
        "sent twice?). The password shown then is the one in use. To replace it, submit this "
        "form again."
    )


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def credential_delete(
    request: HttpRequest, org_slug: str, account_id: int, list_id: int, credential_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    credential_list = _get_list(account, list_id)
    credential = get_object_or_404(Credential, pk=credential_id, credential_list=credential_list)
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    if request.method == "POST":
        record(
            request,
            account=account,
            action=Action.DELETED,
            object_type=ObjectType.CREDENTIAL,
            obj=credential,
            summary=f"Deleted SIP user “{credential.username}” from “{credential_list.name}”.",
        )
        credential.delete()
        messages.success(request, f"SIP user “{credential.username}” deleted.")
        if not request.htmx:
            return redirect(_list_url(account, credential_list))
        context = _list_page_context(request, membership, account, credential_list)
        response = TemplateResponse(request, f"{LIST_PAGE}#credential-saved", context)
        return push_url(response, _list_url(account, credential_list))
    attachments = credential_list.attachments.select_related("domain").order_by(
        "domain__domain", "purpose"
    )
    context = _list_page_context(
        request,
        membership,
        account,
        credential_list,
        slot="delete",
        target=credential,
        attachments=attachments,
    )
    return render_page(request, LIST_PAGE, "credential-delete", context)


# Credential Attachments tab

ATTACHMENTS = "sip/attachment_list.html"
PREREQUISITES = "Create a SIP domain and a credential list before adding an attachment."


ATTACHMENT_COLUMNS = [
    Column("domain", "Domain", "domain__domain"),
    Column("list", "Credential list", "credential_list__name"),
    Column("purpose", "Authenticates", "purpose"),
    Column("created", "Created", "created_at"),
]


def _attachments_context(
    request: HttpRequest, membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    attachments = CredentialAttachment.objects.filter(domain__account=account).select_related(
        "domain", "credential_list"
    )
    table = Table(
        request,
        attachments,
        path=_tab_url("attachment-list", account),
        target="attachment-table",
        columns=ATTACHMENT_COLUMNS,
        search=["domain__domain", "credential_list__name"],
    )
    # SIP users per list, for this page's lists only: one grouped query.
    counts = dict(
        Credential.objects.filter(
            credential_list_id__in={row.credential_list_id for row in table.rows}
        )
        .values("credential_list_id")
        .annotate(n=Count("pk"))
        .values_list("credential_list_id", "n")
    )
    for row in table.rows:
        row.credential_count = counts.get(row.credential_list_id, 0)
    return {
        **_account_context(membership, account, "attachments"),
        "table": table,
        "attachments": table.rows,
        "has_domains": SipDomain.objects.filter(account=account).exists(),
        "has_lists": CredentialList.objects.filter(account=account).exists(),
        "prerequisites": PREREQUISITES,
        **extra,
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def attachment_list(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    context = _attachments_context(request, membership, account)
    partial = table_partial(request, "attachment-table", "tab-area")
    return render_page(request, ATTACHMENTS, partial, context)


GONE = "That SIP domain or credential list was deleted a moment ago. Reload the page and try again."


def _record_attached(
    request: HttpRequest, account: ProviderAccount, added: list[CredentialAttachment]
) -> None:
    for attachment in added:
        record(
            request,
            account=account,
            action=Action.ATTACHED,
            object_type=ObjectType.ATTACHMENT,
            obj=attachment,
            summary=f"Attached “{attachment.credential_list.name}” to {attachment.domain} for "
            f"{attachment.get_purpose_display().lower()}.",
        )


def _attached_message(added: list[CredentialAttachment], existing: list[Purpose]) -> str:
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


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def attachment_create(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    # Links from the setup review and the connection check preselect the domain or list.
    initial = {key: request.GET.get(key) for key in ("domain", "credential_list")}
    form = AttachmentForm(
        request.POST if request.method == "POST" else None, account=account, initial=initial
    )
    context = _attachments_context(request, membership, account, form=form, slot="create")
    if not (context["has_domains"] and context["has_lists"]):
        # Nothing to link yet: the form explains instead (a POST is refused the same way).
        return render_page(request, ATTACHMENTS, "attachment-form", context)
    if request.method == "POST" and form.is_valid():
        domain = form.cleaned_data["domain"]
        credential_list = form.cleaned_data["credential_list"]
        try:
            added, existing = services.attachment_create(
                domain=domain, credential_list=credential_list, purposes=form.purposes()
            )
        except services.Gone:
            form.add_error(None, GONE)
        else:
            if added:
                _record_attached(request, account, added)
                messages.success(request, _attached_message(added, existing))
                if not request.htmx:
                    return redirect(_tab_url("attachment-list", account))
                blank = AttachmentForm(account=account)
                context = _attachments_context(
                    request, membership, account, form=blank, slot="create"
                )
                return TemplateResponse(request, f"{ATTACHMENTS}#attachment-saved", context)
            # Another request attached the same link between validation and saving.
            form.add_error(None, already_attached(credential_list, domain, existing))
    return render_page(request, ATTACHMENTS, "attachment-form", context)
    if request.method == "POST" and form.is_valid():
        domain = form.cleaned_data["domain"]
        credential_list = form.cleaned_data["credential_list"]
        added, existing = services.attachment_create(
            domain=domain, credential_list=credential_list, purposes=form.purposes()
        )
    if request.method == "POST" and form.is_valid() and not added:
        # Another request attached the same link between validation and saving.
        form.add_error(None, already_attached(credential_list, domain, existing))
    elif request.method == "POST" and form.is_valid():
        message = (
            f"“{credential_list.name}” now authenticates "
            f"{' and '.join(p.label.lower() for p in added)} on {domain.domain}."
        )
        if existing:
            message += (
                f" It was already attached for {' and '.join(p.label.lower() for p in existing)}"
                ", so only the missing purpose was added."
            )
        messages.success(request, message)
        if not request.htmx:
            return redirect(_tab_url("attachment-list", account))
        blank = AttachmentForm(account=account)
        context = _attachments_context(request, membership, account, form=blank, slot="create")
        return TemplateResponse(request, f"{ATTACHMENTS}#attachment-saved", context)
    return render_page(request, ATTACHMENTS, "attachment-form", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@transaction.atomic
def attachment_delete(
    request: HttpRequest, org_slug: str, account_id: int, attachment_id: int
) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    attachment = get_object_or_404(
        CredentialAttachment.objects.select_related("domain", "credential_list"),
        pk=attachment_id,
        domain__account=account,
    )
    require_change(request, membership)  # after the lookup: a foreign id is a 404
    if request.method == "POST":
        record(
            request,
            account=account,
            action=Action.DETACHED,
            object_type=ObjectType.ATTACHMENT,
            obj=attachment,
            summary=f"Detached “{attachment.credential_list.name}” from {attachment.domain} for "
            f"{attachment.get_purpose_display().lower()}.",
        )
        attachment.delete()
        messages.success(
            request,
            f"“{attachment.credential_list.name}” no longer authenticates "
            f"{attachment.get_purpose_display().lower()} on {attachment.domain.domain}.",
        )
        if not request.htmx:
            return redirect(_tab_url("attachment-list", account))
        response = TemplateResponse(
            request,
            f"{ATTACHMENTS}#attachment-saved",
            _attachments_context(request, membership, account),
        )
        return push_url(response, _tab_url("attachment-list", account))
    other_purposes = CredentialAttachment.objects.filter(
        domain=attachment.domain, credential_list=attachment.credential_list
    ).exclude(pk=attachment.pk)
    context = _attachments_context(
        request,
        membership,
        account,
        slot="delete",
        target=attachment,
        affected=attachment.credential_list.credentials.count(),
        remaining=[a.get_purpose_display().lower() for a in other_purposes],
    )
    return render_page(request, ATTACHMENTS, "attachment-delete", context)


# SIP Users tab and the connection check

SIP_USERS = "sip/sip_user_list.html"


SIP_USER_COLUMNS = [
    Column("username", "Username", "username"),
    Column("list", "Credential list", "credential_list__name"),
    Column("calls", "Calls on"),
    Column("registrations", "Registrations on"),
    Column("created", "Created", "created_at"),
]


def _sip_users_context(
    request: HttpRequest, membership: Membership, account: ProviderAccount, **extra: Any
) -> dict[str, Any]:
    table = Table(
        request,
        Credential.objects.filter(account=account).select_related("credential_list"),
        path=_tab_url("sip-user-list", account),
        target="sip-user-table",
        columns=SIP_USER_COLUMNS,
        search=["username"],
    )
    # Where the lists on this page authenticate, from one query over their attachments.
    where: dict[int, dict[str, list[str]]] = {}
    attachments = CredentialAttachment.objects.filter(
        credential_list_id__in={credential.credential_list_id for credential in table.rows}
    ).select_related("domain")
    for attachment in attachments.order_by("domain__domain"):
        purposes = where.setdefault(
            attachment.credential_list_id, {"calls": [], "registrations": []}
        )
        purposes[attachment.purpose].append(attachment.domain.domain)
    for credential in table.rows:
        credential.authenticates = where.get(
            credential.credential_list_id, {"calls": [], "registrations": []}
        )
        # The row's Check link fills in a domain where the SIP user is expected to connect.
        domains = credential.authenticates["calls"] + credential.authenticates["registrations"]
        credential.check_domain = domains[0] if domains else ""
    return {
        **_account_context(membership, account, "sip-users"),
        "table": table,
        "sip_users": table.rows,
        "form": ConnectionCheckForm(account=account),
        **extra,
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def sip_user_list(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    context = _sip_users_context(request, membership, account)
    partial = table_partial(request, "sip-user-table", "tab-area")
    return render_page(request, SIP_USERS, partial, context)


@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def connection_check(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    """Read-only, so support staff may run it; the typed password is compared, never kept."""
    membership, account = get_account(request, org_slug, account_id)
    if request.method == "POST":
        form = ConnectionCheckForm(request.POST, account=account)
    else:
        initial = {key: request.GET.get(key) for key in ("username", "domain")}
        form = ConnectionCheckForm(account=account, initial=initial)
    verdicts = checked_username = checked_domain = None
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        domain = form.cleaned_data["domain"]
        password = form.cleaned_data["password"]
        if not password:
            verdicts = check_connection(account, username, domain)
        else:
            with transaction.atomic():
                wait = password_checks.wait_seconds(request, account, username)
                if wait:
                    form.add_error("password", password_checks.too_many(wait))
                else:
                    verdicts = check_connection(account, username, domain, password)
                    password_checks.record_test(request, account, username, domain, verdicts)
    if verdicts is not None:
        checked_username, checked_domain = username, domain
        # A fresh form keeps what was asked, without the password.
        form = ConnectionCheckForm(
            account=account,
            initial={"username": checked_username, "domain": checked_domain.domain},
        )
    check = {
        "form": form,
        "slot": "check",
        "verdicts": verdicts,
        "checked_username": checked_username,
        "checked_domain": checked_domain,
    }
    if request.htmx:
        # Only the check panel is swapped: the SIP users table is not needed.
        context = {**_account_context(membership, account, "sip-users"), **check}
    else:
        context = _sip_users_context(request, membership, account, **check)
    return render_page(request, SIP_USERS, "check-form", context)


# Activity tab

ACTIVITY = "sip/activity_list.html"
ACTIVITY_COLUMNS = [
    Column("created", "When", "created_at"),
    Column("actor", "Who", "actor_name"),
    Column("what", "What", "object_type"),
    Column("change", "Change"),
]


@login_required
@require_GET
@vary_on_headers("HX-Request")
def activity_list(request: HttpRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id)
    object_type = request.GET.get("type", "")
    records = Activity.objects.filter(account=account)
    if object_type in Activity.ObjectType.values:
        records = records.filter(object_type=object_type)
    else:
        object_type = ""
    table = Table(
        request,
        records,
        path=_tab_url("activity-list", account),
        target="activity-table",
        columns=ACTIVITY_COLUMNS,
        search=["summary", "actor_name"],
        extra={"type": object_type} if object_type else {},
    )
    context = {
        **_account_context(membership, account, "activity"),
        "table": table,
        "records": table.rows,
        "object_type": object_type,
        "object_types": Activity.ObjectType.choices,
    }
    partial = table_partial(request, "activity-table", "tab-area")
    return render_page(request, ACTIVITY, partial, context)
