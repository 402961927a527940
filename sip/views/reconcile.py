"""Reconcile: what differs between a connected account here and in Twilio, with an action for
each difference (admins only: reading it asks Twilio)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.urls import reverse

from accounts.access import get_account
from accounts.decorators import form_view
from accounts.models import ProviderAccount
from sip import reconcile
from sip import services
from sip.forms import ReconcileForm
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from whippy.htmx import AppRequest
from whippy.htmx import render_page

PAGE = "sip/reconcile.html"
MODELS: dict[str, type[Model]] = {
    "domain": SipDomain,
    "list": CredentialList,
    "credential": Credential,
    "attachment": CredentialAttachment,
}
DONE = {
    "push": "Pushed to Twilio.",
    "take": "Twilio's values are now used here.",
    "remote_delete": "Deleted in Twilio.",
    "import": "The import starts in the background: the Connection page shows its progress.",
}


@form_view
def reconcile_view(request: AppRequest, org_slug: str, account_id: int) -> HttpResponse:
    membership, account = get_account(request, org_slug, account_id, admin=True)
    form = ReconcileForm(request.POST if request.method == "POST" else None)
    if form.is_valid() and account.connected:
        try:
            act(request, account, form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, DONE[form.cleaned_data["action"]])
        return redirect(reverse("sip:reconcile", args=[org_slug, account.pk]))
    found, problem = [], ""
    if account.connected:
        try:
            found = reconcile.differences(account)
        except ValidationError as error:  # Twilio unreachable or refusing: say so
            problem = " ".join(error.messages)
    context = {"organization": membership.organization, "membership": membership}
    context |= {"account": account, "differences": found, "problem": problem, "form": form}
    return render_page(request, PAGE, "reconcile", context)


def act(request: AppRequest, account: ProviderAccount, data: dict) -> None:
    action, kind, target = data["action"], data["kind"], data["target"]
    if action == "import":
        services.import_start(request=request, account=account)
    elif action == "remote_delete" and kind in ("domain", "list") and target[:2] in ("SD", "CL"):
        services.remote_delete(
            request=request, account=account, kind=kind, sid=target, label=data["label"] or target
        )
    elif action in ("push", "take") and kind in MODELS and target.isdigit():
        row = the_row(account, kind, int(target))
        service = services.row_push if action == "push" else services.row_take
        if action == "take" and kind not in ("domain", "list"):
            raise ValidationError(
                "Only a SIP domain or a credential list can take Twilio's values."
            )
        service(request=request, row=row)
    else:
        raise ValidationError("That action does not apply to this difference.")


def the_row(account: ProviderAccount, kind: str, pk: int) -> Model:
    """The account's row (another account's is a 404), its account set."""
    model = MODELS[kind]
    owner = "domain__account" if model is CredentialAttachment else "account"
    return get_object_or_404(model, pk=pk, **{owner: account})
