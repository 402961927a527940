"""Search, sort and pagination on every table, plain and HTMX, with fixed query counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from accounts.models import Activity
from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import HTMX
from whippy.registry import TABLES as REGISTERED


@dataclass
class Case:
    url: Callable[[dict], str]
    target: str
    row: str  # the id prefix of a row
    build: Callable[[dict, int], None]  # makes n rows whose searchable text is "item-<i>"
    noun: str


def build_accounts(ctx, n):
    ProviderAccount.objects.bulk_create(
        ProviderAccount(organization=ctx["org"], name=f"item-{i:03}", provider="telnyx")
        for i in range(n)
    )


def build_domains(ctx, n):
    SipDomain.objects.bulk_create(
        SipDomain(
            account=ctx["account"],
            name=f"item-{i:03}",
            prefix=f"d{i}",
            domain=f"d{i}.sip.telnyx.com",
        )
        for i in range(n)
    )


def build_lists(ctx, n):
    CredentialList.objects.bulk_create(
        CredentialList(account=ctx["account"], name=f"item-{i:03}", name_key=f"item{i:03}")
        for i in range(n)
    )


def build_credentials(ctx, n):
    Credential.objects.bulk_create(
        Credential(
            credential_list=ctx["list"],
            account=ctx["account"],
            username=f"item-{i:03}",
            ha1_md5="x",
            ha1_sha256="y",
        )
        for i in range(n)
    )


def build_attachments(ctx, n):
    SipDomain.objects.bulk_create(
        SipDomain(
            account=ctx["account"],
            name=f"n{i}",
            prefix=f"item-{i:03}",
            domain=f"item-{i:03}.sip.telnyx.com",
        )
        for i in range(n)
    )
    CredentialAttachment.objects.bulk_create(
        CredentialAttachment(domain=d, credential_list=ctx["list"], purpose="calls")
        for d in SipDomain.objects.filter(account=ctx["account"])
    )


def build_activity(ctx, n):
    Activity.objects.bulk_create(
        Activity(
            organization=ctx["org"],
            account=ctx["account"],
            account_name="A",
            actor_name="alice",
            action="created",
            object_type="domain",
            object_repr="x",
            summary=f"Added item-{i:03}.",
        )
        for i in range(n)
    )


def account_url(ctx, path):
    return f"/o/acme/accounts/{ctx['account'].pk}/{path}"


CASES = {
    "accounts": Case(
        lambda c: "/o/acme/accounts/", "account-table", "account-", build_accounts, "account"
    ),
    "domains": Case(
        lambda c: account_url(c, "domains/"), "domain-table", "domain-", build_domains, "SIP domain"
    ),
    "lists": Case(
        lambda c: account_url(c, "credential-lists/"),
        "list-table",
        "list-",
        build_lists,
        "credential list",
    ),
    "credentials": Case(
        lambda c: account_url(c, f"credential-lists/{c['list'].pk}/"),
        "credential-table",
        "credential-",
        build_credentials,
        "credential",
    ),
    "attachments": Case(
        lambda c: account_url(c, "attachments/"),
        "attachment-table",
        "attachment-",
        build_attachments,
        "attachment",
    ),
    "sip-users": Case(
        lambda c: account_url(c, "sip-users/"),
        "sip-user-table",
        "sip-user-",
        build_credentials,
        "SIP user",
    ),
    "org-activity": Case(
        lambda c: "/o/acme/activity/", "activity-table", "activity-", build_activity, "change"
    ),
    "activity": Case(
        lambda c: account_url(c, "activity/"),
        "activity-table",
        "activity-",
        build_activity,
        "change",
    ),
}


def test_every_registered_table_is_walked(ctx):
    walked = {resolve(case.url(ctx)).view_name for case in CASES.values()}
    assert len(walked) == len(CASES)
    assert walked == set(REGISTERED)
    assert {case.target for case in CASES.values()} == {s.target for s in REGISTERED.values()}


@pytest.fixture
def ctx(org, admin_user):
    account = ProviderAccount.objects.create(
        organization=org, name="The account", provider="telnyx"
    )
    holder = CredentialList.objects.create(account=account, name="Holder")
    return {"org": org, "account": account, "list": holder}


def rows(html: str, case: Case) -> list[str]:
    return re.findall(rf'<tr id="{case.row}(\d+)"', html)


def texts(html: str, case: Case) -> list[str]:
    table = html[html.index(f'<div id="{case.target}"') :]
    return re.findall(r"item-\d{3}", table)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pages_of_fifty_with_total_and_links(name, admin_client, ctx):
    case = CASES[name]
    case.build(ctx, 120)
    url = case.url(ctx)
    first = admin_client.get(url).content.decode()
    assert len(rows(first, case)) == 50
    assert re.search(rf"\d+ {case.noun}s: page 1 of 3\.", first)
    assert f'href="{url}?page=2"' in first and 'rel="next"' in first
    third = admin_client.get(url, {"page": 3}, headers={**HTMX, "HX-Target": case.target})
    html = third.content.decode()
    assert html.lstrip().startswith(f'<div id="{case.target}"')
    assert "<html" not in html
    total = int(re.search(r'class="total">(\d+) ', html).group(1))
    assert total >= 120
    assert len(rows(html, case)) == total - 100
    beyond = admin_client.get(url, {"page": 99}).content.decode()
    assert "That page does not exist: showing the last page." in beyond
    assert "page 3 of 3" in beyond
    junk = admin_client.get(url, {"page": "abc"}).content.decode()
    assert "page 1 of 3" in junk


@pytest.mark.parametrize("name", sorted(CASES))
def test_search_plain_and_htmx(name, admin_client, ctx):
    case = CASES[name]
    case.build(ctx, 60)
    url = case.url(ctx)
    plain = admin_client.get(url, {"q": "ITEM-042"}).content.decode()
    assert len(rows(plain, case)) == 1 and "item-042" in plain
    assert 'value="ITEM-042"' in plain  # the search box keeps it
    partial = admin_client.get(url, {"q": "item-04"}, headers={**HTMX, "HX-Target": case.target})
    assert len(rows(partial.content.decode(), case)) == 10
    none = admin_client.get(url, {"q": "no-such-thing"}).content.decode()
    assert f"No {case.noun}s match “no-such-thing”" in none
    assert "Clear the search" in none


@pytest.mark.parametrize("name", sorted(set(CASES) - {"activity", "org-activity"}))
def test_sort_by_name_both_ways(name, admin_client, ctx):
    case = CASES[name]
    case.build(ctx, 60)
    url = case.url(ctx)
    key = {"credentials": "username", "sip-users": "username", "attachments": "domain"}.get(
        name, "name"
    )
    ascending = admin_client.get(url, {"sort": key}).content.decode()
    descending = admin_client.get(url, {"sort": f"-{key}"}).content.decode()
    assert texts(ascending, case)[0] == "item-000"
    assert texts(descending, case)[0] == "item-059"
    assert 'aria-sort="ascending"' in ascending and 'aria-sort="descending"' in descending
    bad = admin_client.get(url, {"sort": "password; drop"})
    assert bad.status_code == 200


def test_default_sort_is_newest_first(admin_client, ctx):
    build_domains(ctx, 3)
    html = admin_client.get(CASES["domains"].url(ctx)).content.decode()
    assert texts(html, CASES["domains"])[:3] == [
        "item-002",
        "item-001",
        "item-000",
    ]  # created in order, same time: by pk


def test_activity_filter_is_kept_by_search_and_pages(admin_client, ctx):
    build_activity(ctx, 60)
    url = CASES["activity"].url(ctx)
    html = admin_client.get(url, {"type": "domain"}).content.decode()
    assert f'href="{url}?type=domain&amp;page=2"' in html
    assert '<input type="hidden" name="type" value="domain">' in html


def queries(client, url, params=None) -> int:
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()  # the same work every time: the review and the fragments are computed
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", sorted(CASES))
def test_query_count_does_not_grow(name, admin_client, ctx, org):
    case = CASES[name]
    case.build(ctx, 1)
    small = queries(admin_client, case.url(ctx))
    big_account = ProviderAccount.objects.create(organization=org, name="Big", provider="telnyx")
    big = {
        "org": org,
        "account": big_account,
        "list": CredentialList.objects.create(account=big_account, name="H"),
    }
    if name == "accounts":
        ProviderAccount.objects.bulk_create(
            ProviderAccount(organization=org, name=f"big-{i}", provider="twilio")
            for i in range(170)
        )
    else:
        SipDomain.objects.filter(account=ctx["account"]).delete()  # prefixes are global
        case.build(big, 170)
    assert queries(admin_client, case.url(big)) == small
    assert queries(admin_client, case.url(big), {"page": 3}) == small
    # On SQLite a username search first asks the index of trigrams (whippy/sql_tables.py).
    asks = connection.vendor == "sqlite" and name == "sip-users"
    searched = queries(admin_client, case.url(big), {"q": "item", "sort": "-created"})
    assert searched == small + asks


SORT_KEYS = {
    "accounts": ["name", "provider", "domains", "lists", "review", "created"],
    "domains": ["name", "domain", "created"],
    "lists": ["name", "credentials", "attached", "created"],
    "credentials": ["username", "created", "changed"],
    "attachments": ["domain", "list", "purpose", "created"],
    "sip-users": ["username", "list", "calls", "registrations", "created"],
    "activity": ["created", "actor", "what", "change"],
    "org-activity": ["created", "actor", "account", "what", "change"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_search_sort_and_page_fuzzed_keep_their_state(name, admin_client, ctx):
    from urllib.parse import parse_qs
    from urllib.parse import urlsplit

    from hypothesis import given
    from hypothesis import strategies as st

    from tests.test_fuzz_forms import FUZZ
    from tests.test_fuzz_forms import numbers

    case = CASES[name]
    case.build(ctx, 120)
    url = case.url(ctx)
    keys = SORT_KEYS[name]
    sorts = st.one_of(
        st.sampled_from(keys + [f"-{k}" for k in keys]), st.text(max_size=45), st.just("")
    )
    queries = st.one_of(
        st.sampled_from(["", "item", "ITEM-0", "item-11", "zzz"]), st.text(max_size=70)
    )

    @FUZZ
    @given(q=queries, sort=sorts, page=numbers)
    def get(q, sort, page):
        response = admin_client.get(
            url, {"q": q, "sort": sort, "page": page}, headers={**HTMX, "HX-Target": case.target}
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert len(rows(html, case)) <= 50
        kept_q = q.strip() if len(q) <= 64 and "\x00" not in q else None
        for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]*)', html):
            href = href.replace("&amp;", "&")
            if not href.startswith(url) or ("sort=" not in href and "page=" not in href):
                continue
            state = parse_qs(urlsplit(href).query)
            if kept_q and text != "Clear the search":
                # Sorting and paging keep the search; only "Clear the search" drops it.
                assert state.get("q") == [kept_q], href
            assert all(len(v) == 1 for v in state.values()), href

    get()
