"""Pages run a fixed number of SQL queries whatever the data size."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ProviderAccount
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from whippy.registry import TABLES


def add_domains(account, count: int) -> None:
    SipDomain.objects.bulk_create(
        SipDomain(
            account=account,
            name=f"D{i}",
            prefix=f"a{account.pk}-{i}",
            domain=f"a{account.pk}-{i}.sip.telnyx.com",
        )
        for i in range(count)
    )
    phones = CredentialList.objects.create(account=account, name=f"L{count}")
    CredentialAttachment.objects.bulk_create(
        CredentialAttachment(domain=d, credential_list=phones, purpose=Purpose.CALLS)
        for d in account.sip_domains.all()
    )


def count_queries(client, url: str, headers=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_domains_tab_same_queries_for_1_and_60_domains(
    admin_client, org, django_assert_num_queries
):
    small = ProviderAccount.objects.create(organization=org, name="Small", provider="telnyx")
    big = ProviderAccount.objects.create(organization=org, name="Big", provider="telnyx")
    add_domains(small, 1)
    add_domains(big, 60)
    expected = count_queries(admin_client, f"/o/acme/accounts/{small.pk}/domains/")
    with django_assert_num_queries(expected):
        response = admin_client.get(f"/o/acme/accounts/{big.pk}/domains/")
    html = response.content.decode()
    assert html.count('<tr id="domain-') == 50  # a page
    assert "60 SIP domains: page 1 of 2." in html
    htmx = count_queries(
        admin_client, f"/o/acme/accounts/{small.pk}/domains/", {"HX-Request": "true"}
    )
    with django_assert_num_queries(htmx):
        admin_client.get(f"/o/acme/accounts/{big.pk}/domains/", headers={"HX-Request": "true"})


def test_accounts_page_same_queries_for_1_and_30_accounts(
    admin_client, org, other_org, django_assert_num_queries
):
    one = ProviderAccount.objects.create(organization=other_org, name="Only", provider="twilio")
    add_domains(one, 2)
    from accounts.models import Membership
    from accounts.models import Role

    Membership.objects.create(
        user=org.memberships.get().user, organization=other_org, role=Role.ADMIN
    )
    expected = count_queries(admin_client, "/o/globex/accounts/")
    for i in range(30):
        account = ProviderAccount.objects.create(organization=org, name=f"A{i}", provider="telnyx")
        CredentialList.objects.create(account=account, name="L")
    with django_assert_num_queries(expected):
        response = admin_client.get("/o/acme/accounts/")
    assert response.content.decode().count('<tr id="account-') == 30


def test_other_tabs_fixed_queries(admin_client, org, django_assert_num_queries):
    small = ProviderAccount.objects.create(organization=org, name="Small", provider="telnyx")
    big = ProviderAccount.objects.create(organization=org, name="Big", provider="telnyx")
    add_domains(small, 1)
    add_domains(big, 50)
    for i in range(49):
        CredentialList.objects.create(account=big, name=f"Extra {i}")
    for path in ("credential-lists/", "attachments/"):
        expected = count_queries(admin_client, f"/o/acme/accounts/{small.pk}/{path}")
        with django_assert_num_queries(expected):
            admin_client.get(f"/o/acme/accounts/{big.pk}/{path}")


def fill_lists(account, lists: int, credentials: int) -> CredentialList:
    domain = SipDomain.objects.create(account=account, name="D", prefix=f"q{account.pk}")
    created = CredentialList.objects.bulk_create(
        CredentialList(account=account, name=f"List {i}", name_key=f"list{i}") for i in range(lists)
    )
    CredentialAttachment.objects.bulk_create(
        CredentialAttachment(domain=domain, credential_list=cl, purpose=Purpose.CALLS)
        for cl in created
    )
    from sip.models import Credential

    Credential.objects.bulk_create(
        Credential(
            credential_list=created[0],
            account=account,
            username=f"u{i}",
            ha1_md5="x",
            ha1_sha256="y",
        )
        for i in range(credentials)
    )
    return created[0]


def test_credential_lists_tab_and_list_page_fixed_queries(
    admin_client, org, django_assert_num_queries
):
    small = ProviderAccount.objects.create(organization=org, name="Small", provider="telnyx")
    big = ProviderAccount.objects.create(organization=org, name="Big", provider="telnyx")
    small_list = fill_lists(small, 1, 1)
    big_list = fill_lists(big, 50, 50)
    for headers in ({}, {"HX-Request": "true"}):
        tab = count_queries(admin_client, f"/o/acme/accounts/{small.pk}/credential-lists/", headers)
        with django_assert_num_queries(tab):
            response = admin_client.get(
                f"/o/acme/accounts/{big.pk}/credential-lists/", headers=headers
            )
        assert response.content.decode().count('<tr id="list-') == 50
        page = count_queries(
            admin_client,
            f"/o/acme/accounts/{small.pk}/credential-lists/{small_list.pk}/",
            headers,
        )
        with django_assert_num_queries(page):
            response = admin_client.get(
                f"/o/acme/accounts/{big.pk}/credential-lists/{big_list.pk}/", headers=headers
            )
        assert response.content.decode().count('<tr id="credential-') == 50


def test_support_tools_fixed_queries(admin_client, org, django_assert_num_queries):
    from sip.models import Credential

    small = ProviderAccount.objects.create(organization=org, name="Small", provider="telnyx")
    big = ProviderAccount.objects.create(organization=org, name="Big", provider="telnyx")
    for account, size in ((small, 1), (big, 40)):
        add_domains(account, size)
        lists = CredentialList.objects.filter(account=account)
        for cl in lists:
            Credential.objects.bulk_create(
                Credential(
                    credential_list=cl,
                    account=account,
                    username=f"u{i}",
                    ha1_md5="x",
                    ha1_sha256="y",
                )
                for i in range(size)
            )
        for i in range(size):
            admin_client.post(
                f"/o/acme/accounts/{account.pk}/credential-lists/new/", {"name": f"Made {i}"}
            )
    for path in ("sip-users/", "sip-users/?q=u", "activity/", "activity/?type=credential_list"):
        expected = count_queries(admin_client, f"/o/acme/accounts/{small.pk}/{path}")
        with django_assert_num_queries(expected):
            admin_client.get(f"/o/acme/accounts/{big.pk}/{path}")

    def check(account) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        domain = account.sip_domains.first()
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.post(
                f"/o/acme/accounts/{account.pk}/sip-users/check/",
                {"username": "u0", "domain": domain.prefix, "password": "Some-Pass-1234"},
            )
        assert "cannot authenticate" in response.content.decode() or "can authenticate" in (
            response.content.decode()
        )
        return len(ctx.captured_queries)

    assert check(small) == check(big)


# Every page's SQL queries, pinned: (first view, nothing cached; the same page again; its
# table swap). Each includes the session and the user; an account's page reads the user's
# memberships and the account in one query (accounts.access.find_membership). Once a tab's
# page is kept (whippy/fragments.py), a tab costs those three queries: its list (a list page),
# the review, counts and rows are not read again. Its table swap, a part not seen yet, is
# rendered from the kept fragments (and reads a list page's list). A page missing here fails
# test_every_page_has_a_pinned_count.
PINNED = {
    "accounts:account-list": (12, 9, 9),
    "org-activity": (7, 7, 7),
    "sip:account-nav": (6, 3, 3),
    "sip:activity-list": (8, 5, 5),  # not cached: the table is read every time
    "sip:attachment-list": (7, 3, 3),
    "sip:credentiallist-detail": (8, 3, 4),
    "sip:credentiallist-list": (7, 3, 3),
    "sip:domain-list": (7, 3, 3),
    "sip:review": (6, 3, 3),
    "sip:sip-user-list": (7, 3, 3),
}
# The element each page's table swap targets, from the table registry.
TABLE_OF = {name: spec.target for name, spec in TABLES.items()}


def read_pages() -> list[str]:
    from tests.test_authorization_matrix import EXPECTATIONS
    from tests.test_authorization_matrix import READ

    return sorted(name for name, kind in EXPECTATIONS.items() if kind == READ)


def test_every_page_has_a_pinned_count():
    assert sorted(PINNED) == read_pages()


def test_pinned_query_counts(world, admin_user):
    from django.core.cache import caches

    from tests.test_authorization_matrix import client_for
    from tests.test_authorization_matrix import url_for

    client = client_for(admin_user)
    measured = {}
    for name in read_pages():
        url = url_for(name, world)
        for cache in caches.all():
            cache.clear()  # cold: no review, no fragment cached
        cold = count_queries(client, url)
        warm = count_queries(client, url)
        swap = count_queries(
            client, url, {"HX-Request": "true", "HX-Target": TABLE_OF.get(name, "x")}
        )
        measured[name] = (cold, warm, swap)
    assert measured == PINNED


def test_connection_check_pinned_queries(world, admin_client, settings):
    settings.PASSWORD_CHECKS_PER_MINUTE = 1
    url = f"/o/acme/accounts/{world['account_id']}/sip-users/check/"
    data = {"username": "desk", "domain": "acme-hq"}
    counts = []
    for password in ("", "Wrong-Pass-0000", "Wrong-Pass-0000"):
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.post(
                url, {**data, "password": password}, headers={"HX-Request": "true"}
            )
        counts.append(len(captured.captured_queries))
    assert "Too many password tests" in response.content.decode()
    # Without a password: session, user, memberships with the account, the typed domain, the
    # user's credentials and the attachments. A password test finds the domain and counts the
    # tests made in one query, then, in a savepoint, locks the user's and the account's rows
    # (PostgreSQL; SQLite's write transaction is the lock), counts them again, finds the
    # credential and records the test. The next, refused, counts them once, with the domain,
    # and no savepoint or lock: session, user, memberships, domain and count.
    lock = 1 if connection.features.has_select_for_update else 0
    assert counts == [6, 6 + 1 + lock + 1 + 1 + 1 + 1, 4]


def test_sync_states_of_a_connected_account_cost_no_query_per_row(admin_client, org, fake_twilio):
    """Rows out of sync show their reason and a Retry: from the row itself, no extra query."""
    from sip.models import Credential
    from tests.conftest import connect_directly

    def account_with(rows: int) -> ProviderAccount:
        account = ProviderAccount.objects.create(
            organization=org, name=f"Twilio {rows}", provider="twilio"
        )
        connect_directly(account.pk, fake_twilio)
        phones = CredentialList.objects.create(
            account=account, name=f"L{rows}", sync_state="failed", sync_error="Lost."
        )
        for i in range(rows):
            domain = SipDomain.objects.create(
                account=account, name=f"D{i}", prefix=f"t{rows}-{i}", sync_state="pending"
            )
            CredentialAttachment.objects.create(
                domain=domain, credential_list=phones, purpose=Purpose.CALLS, sync_state="failed"
            )
            Credential.objects.create(
                credential_list=phones, username=f"u{i}", sync_state="pending"
            )
        return account

    small, big = account_with(1), account_with(6)
    phones = {a.pk: a.credential_lists.get().pk for a in (small, big)}
    for tab in ("domains/", "credential-lists/", "attachments/", "sip-users/", "list"):
        urls = [
            f"/o/acme/accounts/{a.pk}/"
            + (f"credential-lists/{phones[a.pk]}/" if tab == "list" else tab)
            for a in (small, big)
        ]
        assert count_queries(admin_client, urls[0]) == count_queries(admin_client, urls[1]), tab
    page = admin_client.get(f"/o/acme/accounts/{big.pk}/attachments/").content.decode()
    assert page.count(">Retry</button>") == 6
