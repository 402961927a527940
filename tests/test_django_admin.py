"""The Django admin is for superusers, never shows a digest, and changes what it allows through
the app's own services."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import Activity
from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import logged_in


@pytest.fixture
def staff(django_user_model, world):
    # Staff with every view permission, but not a superuser.
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("stan", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    return user


def admin_urls(world) -> list[str]:
    """Every registered model's list, and its change and add pages, from the admin registry."""
    credential = Credential.objects.get(pk=world["credential_id"])
    objects = {
        Credential: credential,
        CredentialList: credential.credential_list,
        SipDomain: SipDomain.objects.get(pk=world["domain_id"]),
        ProviderAccount: ProviderAccount.objects.get(pk=world["account_id"]),
    }
    urls = ["/django-admin/"]
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append(reverse(f"{base}_changelist"))
        urls.append(reverse(f"{base}_add"))
        obj = objects.get(model) or model.objects.first()
        if obj is not None:
            urls.append(reverse(f"{base}_change", args=[obj.pk]))
            urls.append(reverse(f"{base}_history", args=[obj.pk]))
    return urls


def client_for(user) -> Client:
    return logged_in(user)  # the superuser with their second factor given


def test_staff_without_superuser_gets_no_admin_page(staff, world):
    client = client_for(staff)
    for url in admin_urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/django-admin/login/"), url
    page = client.get("/django-admin/login/").content.decode()
    assert "not authorized to access this page" in page
    assert "acme-hq" not in page and "desk" not in page


def test_no_admin_page_shows_a_digest(superuser, world):
    credential = Credential.objects.get(pk=world["credential_id"])
    client = client_for(superuser)
    seen = 0
    for url in admin_urls(world):
        response = client.get(url)
        assert response.status_code in (200, 403), url  # 403: adding is refused
        html = response.content.decode()
        assert credential.ha1_md5 not in html and credential.ha1_sha256 not in html, url
        # Tokens are random (CSRF, CSP nonces) and may hold "ha1" by chance: left out.
        words = re.sub(r'(value=|nonce=|"x-csrftoken": )"[A-Za-z0-9+/=_-]{16,}"', "", html)
        assert "ha1" not in words.lower(), url
        seen += response.status_code == 200
    assert seen > 10
    change = client.get(reverse("admin:sip_credential_change", args=[credential.pk]))
    assert "desk" in change.content.decode()  # the page is real, just without secrets


def test_credential_identity_cannot_be_changed_in_the_admin(superuser, world):
    credential = Credential.objects.get(pk=world["credential_id"])
    other = CredentialList.objects.create(account=credential.account, name="Other")
    client = client_for(superuser)
    url = reverse("admin:sip_credential_change", args=[credential.pk])
    response = client.post(
        url,
        {
            "username": "hijacked",
            "credential_list": other.pk,
            "ha1_md5": "0" * 32,
            "ha1_sha256": "0" * 64,
        },
    )
    assert response.status_code == 403
    after = Credential.objects.get(pk=credential.pk)
    assert (after.username, after.credential_list_id, after.ha1_md5) == (
        credential.username,
        credential.credential_list_id,
        credential.ha1_md5,
    )
    delete = client.post(
        reverse("admin:sip_credential_delete", args=[credential.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert Credential.objects.filter(pk=credential.pk).exists()


@pytest.mark.parametrize(
    ("model", "key", "summary"),
    [
        (SipDomain, "domain_id", "Renamed SIP domain acme-hq.sip.twilio.com from “Head office” "),
        (CredentialList, "list_id", "Renamed credential list “Phones” to “Renamed here”."),
        (ProviderAccount, "account_id", "Renamed account “Twilio main” to “Renamed here”."),
    ],
)
def test_admin_renames_go_through_the_app_services(superuser, world, model, key, summary):
    obj = model.objects.get(pk=world[key])
    account = ProviderAccount.objects.get(pk=world["account_id"])
    version = account.setup_version
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    response = client_for(superuser).post(url, {"name": "Renamed here", "prefix": "hijack"})
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.name == "Renamed here"
    if model is SipDomain:
        assert obj.prefix == "acme-hq"  # only the name changes
    record = Activity.objects.get(action="renamed")
    assert record.summary.startswith(summary) and record.actor_name == "root"
    account.refresh_from_db()
    assert account.setup_version > version  # cached reviews and tables are read again


def test_admin_change_pages_list_only_safe_fields(superuser, world):
    html = (
        client_for(superuser)
        .get(reverse("admin:sip_credential_change", args=[world["credential_id"]]))
        .content.decode()
    )
    assert not re.search(r'<input[^>]+name="(username|credential_list|ha1_\w+)"', html)


def test_the_attachments_changelist_searches_as_the_tab_does(superuser, world, account):
    """By the domain's address and the list's name, as the Credential Attachments tab."""
    from sip.models import CredentialAttachment

    other_domain = SipDomain.objects.create(account=account, name="Branch", prefix="branch")
    other_list = CredentialList.objects.create(account=account, name="Lobby")
    CredentialAttachment.objects.create(
        domain=other_domain, credential_list=other_list, purpose="registrations"
    )
    client = client_for(superuser)
    url = reverse("admin:sip_credentialattachment_changelist")

    def shown(term: str) -> set[str]:
        html = client.get(url, {"q": term}).content.decode()
        return set(re.findall(r"(acme-hq|branch)\.sip\.twilio\.com", html))

    assert shown("") == {"acme-hq", "branch"}
    assert shown("branch.sip") == {"branch"}  # the domain's address
    assert shown("lobb") == {"branch"}  # the list's name
    assert shown("phones") == {"acme-hq"}
    assert shown("nowhere") == set()


@pytest.mark.parametrize("model", ["credential", "credentialattachment"])
def test_the_changelists_of_the_big_tables_show_50_rows_a_page(superuser, world, model):
    # The tabs show 50 rows a page, as every changelist of the SIP setup now does.
    response = client_for(superuser).get(reverse(f"admin:sip_{model}_changelist"))
    assert response.context["cl"].list_per_page == 50
