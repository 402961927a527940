"""A rename that loses a race for its name: validation passed, then another request took the
name before the save. The database constraint refuses it; the person sees the field error that
validation would have given, and nothing changed (no rename, no Activity, same setup version)."""

from __future__ import annotations

from accounts import services as account_services
from accounts.forms import ProviderAccountRenameForm
from accounts.models import ACCOUNT_NAME_TAKEN
from accounts.models import Activity
from accounts.models import ProviderAccount
from sip import services as sip_services
from sip.forms import CredentialListForm
from sip.models import LIST_NAME_TAKEN
from sip.models import CredentialList
from whippy.forms import save_or_error


def test_an_account_rename_that_loses_the_name(org, account, admin_request):
    request = admin_request
    stored = ProviderAccount.objects.values_list("name", "setup_version")
    before = stored.get(pk=account.pk)
    form = ProviderAccountRenameForm({"name": "Sales"}, instance=account)
    assert form.is_valid()
    ProviderAccount.objects.create(organization=org, name="sales", provider="twilio")

    saved = save_or_error(
        form,
        account_services.account_rename,
        request=request,
        account=account,
        name=form.cleaned_data["name"],
    )

    assert saved is None
    assert form.errors["name"] == [ACCOUNT_NAME_TAKEN]
    assert stored.get(pk=account.pk) == before
    assert not Activity.objects.exists()


def test_a_list_rename_that_loses_the_name_and_one_that_wins(account, admin_request):
    request = admin_request
    phones = CredentialList.objects.create(account=account, name="Phones")
    form = CredentialListForm({"name": "Desks"}, instance=phones)
    assert form.is_valid()
    CredentialList.objects.create(account=account, name="DESKS")

    def rename(form: CredentialListForm, name: str) -> CredentialList | None:
        return save_or_error(
            form,
            sip_services.credential_list_rename,
            request=request,
            credential_list=phones,
            name=name,
        )

    assert rename(form, "Desks") is None
    assert form.errors["name"] == [LIST_NAME_TAKEN]
    assert CredentialList.objects.get(pk=phones.pk).name == "Phones"
    assert not Activity.objects.exists()

    # The transaction is still usable after the refused save: the next rename goes through.
    form = CredentialListForm({"name": "Lobby"}, instance=phones)
    assert form.is_valid()
    assert rename(form, "Lobby") == phones
    assert CredentialList.objects.get(pk=phones.pk).name == "Lobby"
    assert list(Activity.objects.values_list("summary", flat=True)) == [
        "Renamed credential list “Phones” to “Lobby”."
    ]
