"""Every URL of the project, for every persona, plain and HTMX, GET, POST and wrong methods.

The URL list comes from the URL conf: a URL without an expectation here fails
test_every_url_has_an_expectation, so no future view can skip its access check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern
from django.urls import URLResolver
from django.urls import get_resolver
from django.urls import reverse

from accounts.models import Membership
from accounts.models import ProviderAccount
from accounts.models import Role
from sip.models import SipDomain
from tests.conftest import HTMX
from tests.conftest import logged_in
from tests.conftest import one_of_everything

READ = "read"  # any member may GET; nothing to POST
WRITE = "write"  # admins only, GET (the form or confirmation) and POST
CHECK = "check"  # any member may GET and POST: it computes, it changes nothing
REDIRECT = "redirect"  # any member may GET; it redirects within the organization
POLL = "poll"  # any member may GET a fragment a page asks for while it waits; nothing to POST
EXPORT = "export"  # any member may GET a file (streamed); it records the export, nothing else

EXPECTATIONS = {
    "accounts:account-list": READ,
    "accounts:account-create": WRITE,
    "accounts:account-update": WRITE,
    "accounts:account-delete": WRITE,
    "org-activity": READ,
    "org-security": WRITE,
    "sip:account-detail": REDIRECT,
    "sip:account-nav": READ,
    "sip:connection": WRITE,
    "sip:connection-delete": WRITE,
    "sip:reconcile": WRITE,
    "sip:review": READ,
    "sip:domain-list": READ,
    "sip:domain-create": WRITE,
    "sip:domain-update": WRITE,
    "sip:domain-delete": WRITE,
    "sip:credentiallist-list": READ,
    "sip:credentiallist-create": WRITE,
    "sip:credentiallist-detail": READ,
    "sip:credentiallist-update": WRITE,
    "sip:credentiallist-delete": WRITE,
    "sip:credential-create": WRITE,
    "sip:credential-rotate": WRITE,
    "sip:credential-delete": WRITE,
    "sip:credential-import": WRITE,
    "sip:credential-rotate-many": WRITE,
    "sip:bulk-progress": POLL,
    "sip:attachment-list": READ,
    "sip:attachment-create": WRITE,
    "sip:attachment-delete": WRITE,
    "sip:sip-user-list": READ,
    "sip:connection-check": CHECK,
    "sip:activity-list": READ,
    "sip:export-csv": EXPORT,
    "sip:export-json": EXPORT,
}
GET_ONLY = (READ, REDIRECT, POLL, EXPORT)
# Outside an organization; each has its own test below.
OTHERS = {"home", "login", "logout", "session-status"}
# A person's own sign-in security: any signed-in person, their own only (tests/accounts/
# test_two_factor.py); anonymous, the login page.
PERSONAL = {
    "reauth",
    "security",
    "sign-out-others",
    "two-factor-verify",
    "two-factor-setup",
    "two-factor-remove",
    "recovery-codes-renew",
}


def url_names(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's admin: its own staff check, tested below
            yield from url_names(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                pattern.namespace or namespace,
            )
        elif isinstance(pattern, URLPattern):
            yield (
                (f"{namespace}:{pattern.name}" if namespace else pattern.name),
                prefix + str(pattern.pattern),
            )


def test_every_url_has_an_expectation():
    found = {name for name, _route in url_names()}
    assert found == set(EXPECTATIONS) | OTHERS | PERSONAL


def every_page(ids: dict) -> list[str]:
    """Every page of the URL conf that answers a GET with HTML, for the given ids: the lists of
    pages other tests scan come from here, so a new page is scanned without anyone adding it."""
    return [
        url_for(name, ids)
        for name in sorted(EXPECTATIONS)
        if EXPECTATIONS[name] not in (REDIRECT, EXPORT)
    ]


def url_for(name: str, world: dict) -> str:
    route = dict(url_names())[name]
    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    return reverse(name, kwargs={param: world[param] for param in params})


def state() -> dict[str, list[dict]]:
    """Every row of the project's own tables (and sessions aside), to prove nothing changed.
    The sign-in history and the list of sessions are left out: they record each test client's
    own sign-in."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in ("accounts", "sip")
        for model in apps.get_app_config(app).get_models()
        if model._meta.label not in ("accounts.SignInEvent", "accounts.UserSession")
    }


def pk_of(label: str, row: dict):
    """A row's primary key, by its model's own name for it (a count's is its account)."""
    return row[apps.get_model(label)._meta.pk.attname]


def client_for(user) -> Client:
    return Client() if user is None else logged_in(user)


HEADERS = pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
NAMES = pytest.mark.parametrize("name", sorted(EXPECTATIONS))


@NAMES
@HEADERS
def test_anonymous_goes_to_login(name, headers, world):
    url = url_for(name, world)
    before = state()
    for method in ("get", "post"):
        response = getattr(Client(), method)(url, headers=headers)
        if headers:
            assert response.status_code == 200
            assert response["HX-Redirect"].startswith("/login/?next=")
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/login/?next=")
    assert state() == before


@NAMES
@HEADERS
def test_member_of_another_organization_gets_404(name, headers, world, outsider):
    url = url_for(name, world)
    client = client_for(outsider)
    before = state()
    for method in ("get", "post"):
        response = getattr(client, method)(url, headers=headers)
        expected = 405 if (method == "post" and EXPECTATIONS[name] in GET_ONLY) else 404
        assert response.status_code == expected, (method, url)
    assert state() == before


@NAMES
@HEADERS
def test_support(name, headers, world, support_user):
    url = url_for(name, world)
    client = client_for(support_user)
    kind = EXPECTATIONS[name]
    before = state()
    get = client.get(url, headers=headers)
    post = client.post(url, headers=headers)
    expected = {
        READ: (200, 405),
        REDIRECT: (302, 405),
        POLL: (200, 405),
        EXPORT: (200, 405),
        WRITE: (403, 403),
        CHECK: (200, 200),
    }[kind]
    assert (get.status_code, post.status_code) == expected, url
    assert_only_exports_recorded(kind, before, state())


def assert_only_exports_recorded(kind: str, before: dict, after: dict) -> None:
    """Nothing changed; an export's GET adds its one Activity record, and only that."""
    if kind == EXPORT:
        added = [
            row for row in after["accounts.Activity"] if row not in before["accounts.Activity"]
        ]
        assert [row["action"] for row in added] == ["exported"]
        after = {**after, "accounts.Activity": before["accounts.Activity"]}
    assert after == before


@NAMES
@HEADERS
def test_admin(name, headers, world, admin_user):
    url = url_for(name, world)
    client = client_for(admin_user)
    kind = EXPECTATIONS[name]
    get = client.get(url, headers=headers)
    assert get.status_code == (302 if kind == REDIRECT else 200), url
    if headers and kind not in (REDIRECT, EXPORT):
        assert b"<html" not in get.content
    before = state()
    post = client.post(url, headers=headers)
    if kind in GET_ONLY:
        assert post.status_code == 405
    else:
        assert post.status_code in (200, 302), url
    # An empty POST changes exactly what it should: a delete removes its object (and what goes
    # with it) and records it; a form without data, or a refused delete, changes nothing.
    after = state()
    changed = {label for label in before if before[label] != after[label]}
    assert changed == EMPTY_POST_CHANGES.get(name, set()), name
    gone = {(label, pk_of(label, row)) for label in before for row in before[label]} - {
        (label, pk_of(label, row)) for label in after for row in after[label]
    }
    assert gone == {(label, world[key]) for label, key in EMPTY_POST_REMOVES.get(name, [])} | (
        {("sip.CredentialAttachment", world["attachment_id"])}
        if name == "sip:domain-delete"
        else set()
    ), name


# What an admin's empty POST changes (the world's account has a domain and an attached list, so
# deleting the account or the list is refused).
RECORDED = {"accounts.Activity", "accounts.ProviderAccount"}  # the record and the setup version
EMPTY_POST_CHANGES = {
    "sip:domain-delete": {
        "sip.SipDomain",
        "sip.CredentialAttachment",
        "sip.AttachmentCount",
        "sip.DomainCount",
    }
    | RECORDED,
    "sip:credential-delete": {"sip.Credential", "sip.SipUserCount", "sip.CredentialCount"}
    | RECORDED,
    "sip:attachment-delete": {"sip.CredentialAttachment", "sip.AttachmentCount"} | RECORDED,
}
# (A count kept by the database goes when it comes down to zero: sip/migrations/0016, 0020.)
EMPTY_POST_REMOVES = {
    "sip:domain-delete": [
        ("sip.SipDomain", "domain_id"),
        ("sip.AttachmentCount", "account_id"),
        ("sip.DomainCount", "account_id"),
    ],
    "sip:credential-delete": [
        ("sip.Credential", "credential_id"),
        ("sip.CredentialCount", "list_id"),
    ],
    "sip:attachment-delete": [
        ("sip.CredentialAttachment", "attachment_id"),
        ("sip.AttachmentCount", "account_id"),
    ],
}


@NAMES
def test_wrong_methods_are_405(name, world, admin_user, support_user):
    url = url_for(name, world)
    before = state()
    for user in (admin_user, support_user):
        client = client_for(user)
        for method in ("put", "patch", "delete"):
            assert getattr(client, method)(url).status_code == 405, (method, url)
    assert state() == before


def test_home_login_logout(world, admin_user):
    assert Client().get("/").status_code == 302
    assert Client().get("/login/").status_code == 200
    assert Client().get("/logout/").status_code == 405
    client = client_for(admin_user)
    assert client.get("/").status_code == 302
    assert client.get("/login/").status_code == 302  # already logged in
    assert client.get("/session/").content == b"Logged in as alice."
    assert client.post("/session/").status_code == 405
    assert Client().get("/session/").status_code == 302
    assert client.post("/logout/").status_code == 302


def test_django_admin_is_for_staff_only(world, admin_user):
    response = client_for(admin_user).get("/django-admin/sip/sipdomain/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response["Location"]


def test_support_member_of_two_organizations_keeps_roles_apart(world, support_user, other_org):
    Membership.objects.create(user=support_user, organization=other_org, role=Role.ADMIN)
    client = client_for(support_user)
    response = client.post(url_for("sip:domain-create", world), {"name": "x", "prefix": "x"})
    assert response.status_code == 403


@pytest.fixture
def foreign(org, other_org):
    """One of everything in a sibling account of the same organization, and in another
    organization: ids that must not be reachable through the user's own URLs."""

    def build(organization, name: str) -> dict[str, int]:
        account = ProviderAccount.objects.create(
            organization=organization, name=name, provider="telnyx"
        )
        domain = SipDomain.objects.create(account=account, name="F", prefix=f"f-{name.lower()}")
        return one_of_everything(account, domain, list_name="Foreign")

    return {
        "sibling account": build(org, "Sibling"),
        "other organization": build(other_org, "Theirs"),
    }


@NAMES
@pytest.mark.parametrize("where", ["sibling account", "other organization"])
def test_foreign_ids_through_own_urls_are_404_for_everyone(
    name, where, world, foreign, admin_user, support_user
):
    route = dict(url_names())[name]
    every = re.findall(r"<(?:\w+:)?(\w+)>", route)
    # The ids of objects (a bulk work's key is no object: it is the same everywhere).
    params = [p for p in every if p not in ("org_slug", "nonce")]
    before = state()
    tried = 0
    for param in params:
        if where == "sibling account" and params == ["account_id"]:
            continue  # a sibling account of one's own organization is not foreign
        ids = {**world, param: foreign[where][param]}
        url = reverse(name, kwargs={p: ids[p] for p in every})
        for user in (admin_user, support_user):
            client = client_for(user)
            for method in ("get", "post"):
                expected = 405 if method == "post" and EXPECTATIONS[name] in GET_ONLY else 404
                for headers in ({}, HTMX):
                    response = getattr(client, method)(url, headers=headers)
                    assert response.status_code == expected, (user.username, method, url)
                    tried += 1
    assert state() == before
    if params and not (where == "sibling account" and params == ["account_id"]):
        assert tried


@pytest.mark.parametrize("name", sorted(PERSONAL))
@HEADERS
def test_personal_pages_send_anonymous_to_login(name, headers):
    response = Client().get(reverse(name), headers=headers)
    if headers:
        assert response["HX-Redirect"].startswith("/login/?next=")
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("name", sorted(PERSONAL))
def test_personal_pages_refuse_a_post_without_csrf(name, admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(reverse(name), {"code": "123456"}).status_code == 403
