from __future__ import annotations

from django.db import models

from accounts.models import Activity
from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import HTMX
from tests.conftest import one_of_everything


def test_list_shows_accounts_with_counts(admin_client, account, empty_account, domain):
    CredentialList.objects.create(account=account, name="Office phones")
    page = admin_client.get("/o/acme/accounts/").content.decode()
    assert "Twilio main" in page and "Telnyx spare" in page
    row = page[page.index(f'id="account-{account.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">1</td>' in row  # one domain
    assert row.count('<td class="num">1</td>') == 2  # and one credential list
    assert "Add account" in page
    assert f"/o/acme/accounts/{account.pk}/delete/" in page


def test_empty_list_explains_and_offers_add(admin_client):
    page = admin_client.get("/o/acme/accounts/").content.decode()
    assert "No Accounts Found" in page
    assert "Add account" in page


def test_htmx_list_is_a_partial_with_vary(admin_client, account):
    response = admin_client.get("/o/acme/accounts/", headers=HTMX)
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Twilio main" in response.content
    assert "HX-Request" in response["Vary"]
    full = admin_client.get("/o/acme/accounts/")
    assert b"<html" in full.content
    assert "HX-Request" in full["Vary"]


def test_create_plain_redirects_with_message(admin_client, org):
    response = admin_client.post(
        "/o/acme/accounts/new/", {"name": "New one", "provider": "telnyx"}, follow=True
    )
    assert response.redirect_chain == [("/o/acme/accounts/", 302)]
    assert "Account “New one” added." in response.content.decode()
    assert ProviderAccount.objects.get(name="New one").organization == org


def test_create_htmx_returns_fresh_form_table_and_message(admin_client):
    response = admin_client.post(
        "/o/acme/accounts/new/", {"name": "New one", "provider": "twilio"}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="account-table" hx-swap-oob="true"' in page
    assert 'id="messages" class="messages" aria-live="polite" hx-swap-oob="true"' in page
    assert "Account “New one” added." in page
    assert 'name="name" value="New one"' not in page  # the form is blank for the next entry
    assert "New one</a>" in page


def test_create_invalid_keeps_values_and_shows_error_in_place(admin_client, account):
    response = admin_client.post(
        "/o/acme/accounts/new/", {"name": "twilio MAIN", "provider": "twilio"}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "An account with this name already exists." in page
    assert 'value="twilio MAIN"' in page
    assert ProviderAccount.objects.count() == 1


def test_rename(admin_client, account):
    response = admin_client.post(
        f"/o/acme/accounts/{account.pk}/edit/", {"name": "Renamed", "provider": "telnyx"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.provider) == ("Renamed", "twilio")  # provider is not editable


def test_rename_htmx_pushes_list_url(admin_client, account):
    response = admin_client.post(
        f"/o/acme/accounts/{account.pk}/edit/", {"name": "Renamed"}, headers=HTMX
    )
    assert response["HX-Push-Url"] == "/o/acme/accounts/"
    assert "Account renamed to “Renamed”." in response.content.decode()


def test_delete_refused_while_account_has_domains(admin_client, account, domain):
    page = admin_client.get(f"/o/acme/accounts/{account.pk}/delete/").content.decode()
    # Only the kinds it has: no "0 credential lists".
    assert "cannot be deleted while it still has 1 SIP domain. Delete them first" in page
    assert "Delete account</button>" not in page
    response = admin_client.post(f"/o/acme/accounts/{account.pk}/delete/")
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert ProviderAccount.objects.filter(pk=account.pk).exists()


def test_delete_refused_while_account_has_credential_lists(admin_client, account):
    CredentialList.objects.create(account=account, name="Phones")
    response = admin_client.post(f"/o/acme/accounts/{account.pk}/delete/")
    assert "1 credential list" in response.content.decode()
    assert ProviderAccount.objects.filter(pk=account.pk).exists()


def test_delete_refusal_names_every_kind_it_still_has(admin_client, account, domain):
    one_of_everything(account, domain)
    credential = Credential(credential_list=CredentialList.objects.get(), username="desk-2")
    credential.set_password("Desk-Phone-Pass-1234")
    credential.save()
    response = admin_client.post(f"/o/acme/accounts/{account.pk}/delete/", headers=HTMX)
    assert (
        "still has 1 SIP domain, 1 credential list and 2 credentials. Delete them first"
        in response.content.decode()
    )
    assert ProviderAccount.objects.filter(pk=account.pk).exists()
    assert not Activity.objects.exists()


def test_every_relation_of_an_account_but_its_history_blocks_its_delete(account, domain):
    """contents() reads the relations: an account with one of everything counts every model
    that points at accounts, except the history that outlives it (SET_NULL) and what says
    it is not setup (counts_as_content = False: the record of imports and bulk work, deleted
    with it)."""
    one_of_everything(account, domain)
    relations = [
        relation
        for relation in ProviderAccount._meta.get_fields(include_hidden=True)
        if relation.one_to_many and relation.auto_created
    ]
    kept = {r.related_model for r in relations if r.on_delete is models.SET_NULL}
    assert kept == {Activity}
    history = {
        r.related_model for r in relations if r.related_model.__name__ in ("ImportRun", "BulkRun")
    }
    assert len(history) == 2 and not any(model.counts_as_content for model in history)
    kept |= history
    # Counted with what they belong to: an attachment's account is its domain's, copied.
    copies = {
        r.related_model for r in relations if getattr(r.related_model, "copies_account_of", None)
    }
    assert {model.__name__ for model in copies} == {"CredentialAttachment"}
    kept |= copies
    counted = {name for _count, name in account.contents()}
    expected = {
        str(r.related_model._meta.verbose_name) for r in relations if r.related_model not in kept
    }
    # A model added later without an object in one_of_everything fails here, as it should.
    assert counted == expected == {"SIP domain", "credential list", "credential"}


def test_delete_empty_account(admin_client, empty_account):
    page = admin_client.get(f"/o/acme/accounts/{empty_account.pk}/delete/").content.decode()
    assert "Delete account</button>" in page
    response = admin_client.post(f"/o/acme/accounts/{empty_account.pk}/delete/", headers=HTMX)
    assert response.status_code == 200
    assert "Account “Telnyx spare” deleted." in response.content.decode()
    assert not ProviderAccount.objects.filter(pk=empty_account.pk).exists()


def test_support_sees_no_controls(support_client, account):
    page = support_client.get("/o/acme/accounts/").content.decode()
    assert "Twilio main" in page
    assert "Add account" not in page
    assert "/edit/" not in page and "/delete/" not in page
    assert "Read-only" in page


def test_support_cannot_write(support_client, account, empty_account):
    for headers in ({}, HTMX):
        assert support_client.get("/o/acme/accounts/new/", headers=headers).status_code == 403
        assert (
            support_client.post(
                "/o/acme/accounts/new/", {"name": "X", "provider": "twilio"}, headers=headers
            ).status_code
            == 403
        )
        assert (
            support_client.post(
                f"/o/acme/accounts/{account.pk}/edit/", {"name": "X"}, headers=headers
            ).status_code
            == 403
        )
        assert (
            support_client.post(
                f"/o/acme/accounts/{empty_account.pk}/delete/", headers=headers
            ).status_code
            == 403
        )
    assert sorted(ProviderAccount.objects.values_list("name", flat=True)) == [
        "Telnyx spare",
        "Twilio main",
    ]


def test_other_organization_account_is_404(outsider_client, admin_client, account, other_org):
    theirs = ProviderAccount.objects.create(
        organization=other_org, name="Theirs", provider="twilio"
    )
    assert (
        outsider_client.post(f"/o/acme/accounts/{account.pk}/edit/", {"name": "X"}).status_code
        == 404
    )
    # An admin of acme cannot reach globex's account through acme's URL either.
    assert (
        admin_client.post(f"/o/acme/accounts/{theirs.pk}/edit/", {"name": "X"}).status_code == 404
    )
    assert admin_client.post(f"/o/acme/accounts/{theirs.pk}/delete/").status_code == 404
    theirs.refresh_from_db()
    account.refresh_from_db()
    assert (theirs.name, account.name) == ("Theirs", "Twilio main")
    assert SipDomain.objects.count() == 0
