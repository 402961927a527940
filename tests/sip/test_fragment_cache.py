"""Cached fragments (whippy/fragments.py): a tab seen again for the same setup version costs no
query for its rows and is the same page; a change of any origin (the app, the Django admin, a
management command, an import, raw SQL) shows at the next request; nothing of one request or
one role is ever served to another."""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import datetime

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization
from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import one_of_everything
from tests.conftest import rotation
from whippy.fragments import ALIAS

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HEADER_TOKEN = re.compile(r'"x-csrftoken": "([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([0-9a-f]{32})"')


def tab(account: ProviderAccount, name: str, list_id: int | None = None) -> str:
    base = f"/o/{account.organization.slug}/accounts/{account.pk}"
    return f"{base}/credential-lists/{list_id}/" if list_id else f"{base}/{name}/"


TABS = {
    "domains": lambda w, a: tab(a, "domains"),
    "credential-lists": lambda w, a: tab(a, "credential-lists"),
    "list page": lambda w, a: tab(a, "", w["list_id"]),
    "attachments": lambda w, a: tab(a, "attachments"),
    "sip-users": lambda w, a: tab(a, "sip-users"),
}


def get(client, url: str, **headers: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode(), len(captured.captured_queries)


PROGRESS = re.compile(r"/progress/[0-9a-f]{32}/")


def without_tokens(html: str) -> str:
    """The page with its per-request values (CSRF token, one-time key) blanked."""
    html = HEADER_TOKEN.sub('"x-csrftoken": ""', TOKEN.sub('value=""', html))
    return PROGRESS.sub("/progress//", NONCE.sub('name="nonce" value=""', html))


def cached_entries(kind: str = "") -> list[str]:
    """Every fragment the cache holds, as stored; of one kind ("fragment", "page"), if given."""
    kept = caches[ALIAS]._cache.items()
    return [html for key, (html, _stand_ins) in kept if f":{kind}" in key]


@pytest.mark.parametrize("name", sorted(TABS))
@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
def test_a_tab_seen_again_reads_no_rows_and_is_the_same_page(
    name, headers, admin_client, account, domain
):
    world = one_of_everything(account, domain)
    url = TABS[name](world, account)
    first, first_queries = get(admin_client, url, **headers)
    again, again_queries = get(admin_client, url, **headers)
    # Session, user, memberships with the account: nothing else (a list page's list neither).
    assert again_queries == 3 < first_queries
    assert without_tokens(again) == without_tokens(first)
    if name in ("list page", "sip-users"):
        assert "desk" in again


def change_with_sql(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


RAW_CHANGES = {
    "domain renamed": (
        "domains",
        "UPDATE sip_sipdomain SET name = 'Renamed by SQL' WHERE id = %s",
        "domain_id",
        "Renamed by SQL",
    ),
    "domain added": (
        "domains",
        "INSERT INTO sip_sipdomain (account_id, name, prefix, domain, created_at, sync_state,"
        " sync_error, remote_sid, voice_url, voice_method, sip_registration, secure)"
        " VALUES (%s, 'Added by SQL', 'by-sql', 'by-sql.sip.twilio.com', '2026-01-01', 'local',"
        " '', '', '', 'POST', FALSE, FALSE)",
        "account_id",
        "by-sql.sip.twilio.com",
    ),
    "list renamed": (
        "credential-lists",
        "UPDATE sip_credentiallist SET name = 'Renamed by SQL' WHERE id = %s",
        "list_id",
        "Renamed by SQL",
    ),
    "credential renamed": (
        "list page",
        "UPDATE sip_credential SET username = 'renamed-by-sql' WHERE id = %s",
        "credential_id",
        "renamed-by-sql",
    ),
    "credential deleted": (
        "sip-users",
        "DELETE FROM sip_credential WHERE id = %s",
        "credential_id",
        "No SIP Users Found",
    ),
    "attachment deleted": (
        "attachments",
        "DELETE FROM sip_credentialattachment WHERE id = %s",
        "attachment_id",
        "No Credential Attachments Found",
    ),
    "account renamed": (
        "domains",
        "UPDATE accounts_provideraccount SET name = 'Renamed by SQL' WHERE id = %s",
        "account_id",
        "Renamed by SQL",
    ),
}


@pytest.mark.parametrize("change", sorted(RAW_CHANGES))
def test_a_change_made_with_raw_sql_shows_at_the_next_request(
    change, admin_client, account, domain
):
    name, sql, key, expected = RAW_CHANGES[change]
    world = one_of_everything(account, domain)
    url = TABS[name](world, account)
    before, _ = get(admin_client, url)
    assert expected not in before
    get(admin_client, url)  # served from the cache
    change_with_sql(sql, world[key])
    after, queries = get(admin_client, url)
    assert expected in after
    assert queries > 3  # read again


def test_the_blank_check_form_is_kept_across_setup_versions(
    admin_client, support_client, account, domain
):
    """It shows nothing of the setup: a change renders the tables again, not the form; and it is
    the same form for every role."""
    world = one_of_everything(account, domain)
    url = TABS["sip-users"](world, account)

    def forms() -> list[str]:
        return [html for html in cached_entries("fragment") if 'name="username"' in html]

    get(admin_client, url)
    assert len(forms()) == 1
    change_with_sql(
        "UPDATE sip_credential SET username = 'renamed' WHERE id = %s", world["credential_id"]
    )
    after, _ = get(admin_client, url)
    seen_by_support, _ = get(support_client, url)
    assert "renamed" in after and "renamed" in seen_by_support
    assert len(forms()) == 1
    assert 'id="id_username"' in after and 'id="id_username"' in seen_by_support


def test_every_table_and_the_account_move_the_version_on_every_kind_of_change(account, domain):
    """The triggers themselves, table by table and event by event, with raw SQL."""
    world = one_of_everything(account, domain)

    def version() -> int:
        return ProviderAccount.objects.values_list("setup_version", flat=True).get(pk=account.pk)

    statements = [
        ("UPDATE sip_sipdomain SET voice_url = 'https://a.example' WHERE id = %s", "domain_id"),
        ("UPDATE sip_credentiallist SET sync_error = 'x' WHERE id = %s", "list_id"),
        ("UPDATE sip_credential SET sync_error = 'x' WHERE id = %s", "credential_id"),
        ("UPDATE sip_credentialattachment SET legacy = TRUE WHERE id = %s", "attachment_id"),
        ("DELETE FROM sip_credentialattachment WHERE id = %s", "attachment_id"),
        ("DELETE FROM sip_credential WHERE id = %s", "credential_id"),
        ("DELETE FROM sip_credentiallist WHERE id = %s", "list_id"),
        ("DELETE FROM sip_sipdomain WHERE id = %s", "domain_id"),
        (
            "UPDATE accounts_provideraccount SET twilio_account_sid = 'AC1' WHERE id = %s",
            "account_id",
        ),
    ]
    for sql, key in statements:
        seen = version()
        change_with_sql(sql, world[key])
        assert version() > seen, sql
    # Inserts, through the ORM this time (the same triggers).
    seen = version()
    CredentialList.objects.create(account=account, name="New")
    assert version() > seen


def test_one_statement_over_several_accounts_moves_each_version(account, empty_account, domain):
    """PostgreSQL moves versions once per statement (sip/migrations/0014): one statement over
    two accounts' rows moves both, and a statement that changes nothing moves none."""
    world = one_of_everything(account, domain)
    SipDomain.objects.create(account=empty_account, name="Spare", prefix="spare")

    def versions() -> tuple[int, int]:
        rows = ProviderAccount.objects.filter(pk__in=[account.pk, empty_account.pk])
        found = dict(rows.values_list("pk", "setup_version"))
        return found[account.pk], found[empty_account.pk]

    seen = versions()
    change_with_sql(
        "UPDATE sip_sipdomain SET name = 'Both' WHERE account_id IN (%s, %s)",
        account.pk,
        empty_account.pk,
    )
    after = versions()
    assert after[0] > seen[0] and after[1] > seen[1]
    change_with_sql("UPDATE sip_sipdomain SET name = 'None' WHERE id = 0")
    assert versions() == after
    change_with_sql("DELETE FROM sip_credentialattachment WHERE id = %s", world["attachment_id"])
    moved = versions()
    assert moved[0] > after[0] and moved[1] == after[1]  # through the attachment's domain


def test_the_version_never_goes_back(account):
    """A save() of an account read before a change writes back the old version: the database
    moves it past the newer one instead, so a version once seen never comes back."""
    stale = ProviderAccount.objects.get(pk=account.pk)
    CredentialList.objects.create(account=account, name="Moves it on")
    current = ProviderAccount.objects.get(pk=account.pk).setup_version
    assert current > stale.setup_version
    stale.name = "Saved from an old read"
    stale.save()
    assert ProviderAccount.objects.get(pk=account.pk).setup_version > current


def test_changes_through_the_app_the_admin_and_a_command_show_at_once(
    admin_client, account, domain, superuser, tmp_path
):
    from tests.conftest import logged_in

    world = one_of_everything(account, domain)
    lists_url = tab(account, "credential-lists")
    get(admin_client, lists_url)
    # The app: a rename through its form.
    admin_client.post(f"{lists_url}{world['list_id']}/edit/", {"name": "Renamed here"})
    assert "Renamed here" in get(admin_client, lists_url)[0]
    # The Django admin.
    logged_in(superuser).post(
        f"/django-admin/sip/credentiallist/{world['list_id']}/change/", {"name": "By the admin"}
    )
    assert "By the admin" in get(admin_client, lists_url)[0]
    # A management command: loaddata writes rows with plain saves, past every service.
    fixture = [
        {
            "model": "sip.credentiallist",
            "pk": 9001,
            "fields": {"account": account.pk, "name": "Loaded", "created_at": "2026-01-01T00:00Z"},
        }
    ]
    path = tmp_path / "lists.json"
    path.write_text(json.dumps(fixture))
    call_command("loaddata", path, verbosity=0)
    assert "Loaded" in get(admin_client, lists_url)[0]


def test_nothing_of_one_request_is_kept_in_a_shared_fragment(
    admin_client, account, domain, admin_user
):
    """The CSRF token and the rotation form's one-time key are the viewer's own on every
    response; the cache holds neither, only stand-ins."""
    from tests.conftest import logged_in

    world = one_of_everything(account, domain)
    url = tab(account, "", world["list_id"])
    first, _ = get(admin_client, url)
    other = logged_in(admin_user)  # another session of the same admin
    second, queries = get(other, url)
    assert queries == 3  # the page came from the cache
    tokens = [set(TOKEN.findall(page)) for page in (first, second)]
    nonces = [NONCE.findall(page) for page in (first, second)]
    assert all(nonces) and nonces[0] != nonces[1]
    assert tokens[0] and tokens[1] and not tokens[0] & tokens[1]
    kept = "".join(cached_entries())
    for value in (*tokens[0], *tokens[1], *nonces[0], *nonces[1]):
        assert value not in kept
    for cookie in (admin_client.cookies.get("csrftoken"), other.cookies.get("csrftoken")):
        assert cookie is None or cookie.value not in kept
    # Each page's forms carry that page's token: the one its session accepts.
    assert set(TOKEN.findall(second)) <= tokens[1]


def topbar(page: str) -> str:
    return page.split('<header class="topbar">')[1].split("</header>")[0]


def sidebar(page: str) -> str:
    return page.split('<nav class="sidebar"')[1].split("</nav>")[0]


def frames() -> list[str]:
    return [html for html in cached_entries("fragment") if 'class="topbar"' in html]


def test_the_frame_is_each_persons_own_and_follows_their_memberships_at_once(
    admin_client, support_client, admin_user, account, other_org
):
    """The top bar and sidebar are cached per person and everything they show: a membership,
    a role or an organization's name changed is on the next page."""
    from accounts.models import Membership
    from accounts.models import Role

    url = tab(account, "domains")
    get(admin_client, url)
    page, _ = get(admin_client, url)
    assert len(frames()) == 1  # the second page's frame came from the cache
    assert "alice" in topbar(page) and "Admin" in topbar(page) and "Globex" not in page
    support = topbar(get(support_client, url)[0])
    assert "sam" in support and "Support" in support and "alice" not in support
    assert len(frames()) == 2
    # The page's section is part of the key: the sidebar marks the current one.
    activity = admin_client.get("/o/acme/activity/").content.decode()
    assert '<a href="/o/acme/activity/" aria-current="page">Activity' in sidebar(activity)
    accounts = sidebar(get(admin_client, url)[0])
    assert '<a href="/o/acme/accounts/" aria-current="page">Accounts' in accounts

    Membership.objects.create(user=admin_user, organization=other_org, role=Role.SUPPORT)
    switcher = topbar(get(admin_client, url)[0])
    assert 'href="/o/globex/accounts/"' in switcher and "Globex" in switcher
    Organization.objects.filter(pk=account.organization_id).update(name="Acme Renamed")
    assert "Acme Renamed" in topbar(get(admin_client, url)[0])
    type(admin_user).objects.filter(pk=admin_user.pk).update(username="alice.b")
    assert "alice.b" in topbar(get(admin_client, url)[0])
    Membership.objects.filter(user=admin_user, organization=account.organization).update(
        role=Role.SUPPORT
    )
    page = get(admin_client, url)[0]
    assert "Admin" not in topbar(page) and "Read-only" in page


def test_a_once_shown_password_is_never_kept(admin_client, account, domain):
    world = one_of_everything(account, domain)
    url = tab(account, "", world["list_id"])
    get(admin_client, url)
    password = "Brand-New-Pass-9876"
    rotate = f"{url}credentials/{world['credential_id']}/password/"
    response = admin_client.post(
        rotate,
        rotation(world["credential_id"], password_choice="type", password=password),
        headers={"HX-Request": "true"},
    )
    assert password in response.content.decode()  # shown once, in the answer to the change
    page, _ = get(admin_client, url)
    assert password not in page
    assert password not in "".join(cached_entries())


def test_support_staff_never_get_an_admins_controls(admin_client, support_client, account, domain):
    world = one_of_everything(account, domain)
    for name in sorted(TABS):
        url = TABS[name](world, account)
        admin_page, _ = get(admin_client, url)
        support_page, _ = get(support_client, url)
        # The admin's page was cached first; support staff get their own.
        panels = [page.split('id="tab-panel"')[1] for page in (admin_page, support_page)]
        controls = ("Delete", "Rotate password", 'name="credentials"', "Rename", "Detach")
        assert any(control in panels[0] for control in controls) or name == "sip-users", name
        for control in controls:
            assert control not in panels[1], (name, control)


def test_times_follow_the_organization_time_zone_at_once(admin_client, account, domain):
    one_of_everything(account, domain)
    SipDomain.objects.filter(pk=domain.pk).update(
        created_at=datetime(2026, 6, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    )
    url = tab(account, "domains")
    assert "Jun 1, 2026 12:00" in get(admin_client, url)[0]
    Organization.objects.filter(pk=account.organization_id).update(time_zone="Asia/Tokyo")
    assert "Jun 1, 2026 21:00" in get(admin_client, url)[0]


@pytest.mark.parametrize("name", TABS)
def test_every_tables_times_are_in_the_organization_zone(admin_client, account, domain, name):
    """Each table's rows are given the organization's zone once (whippy.rows.render): every
    time they show, its password changes included, is in it."""
    world = one_of_everything(account, domain)
    noon = datetime(2026, 6, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    for model in (SipDomain, CredentialList, Credential, CredentialAttachment):
        model.objects.update(created_at=noon)
    Credential.objects.update(password_changed_at=noon)
    Organization.objects.filter(pk=account.organization_id).update(time_zone="Asia/Tokyo")
    page = get(admin_client, TABS[name](world, account))[0]
    shown = re.findall(r'title="([^"]*)">([^<]*)</time>', page)
    assert shown and set(shown) == {("2026-06-01 21:00:00 JST", "Jun 1, 2026 21:00")}, shown
    if name == "list page":
        assert len(shown) == 2  # created, and the password changed


def test_a_change_answers_with_what_it_wrote(admin_client, account, domain):
    """A write's own answer (HTMX: the table out of band) is rendered fresh, never cached."""
    one_of_everything(account, domain)
    url = tab(account, "credential-lists")
    get(admin_client, url)
    response = admin_client.post(
        f"{url}new/", {"name": "Brand new"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Brand new" in response.content.decode()
    assert CredentialList.objects.filter(account=account, name="Brand new").exists()
    assert "Brand new" in get(admin_client, url)[0]


def test_the_fragments_cache_keeps_values_as_they_are_and_no_more_than_its_size():
    from whippy.fragments import FragmentCache

    cache = FragmentCache("fragments-test", {"OPTIONS": {"MAX_ENTRIES": 3, "CULL_FREQUENCY": 3}})
    cache.clear()
    entry = ("<p>html</p>", (("csrf_token", "stand-in"),))
    cache.set("fragment:a", entry)
    assert cache.get("fragment:a") is entry  # not a copy: nothing was pickled
    assert cache.get("fragment:missing", "default") == "default"
    cache.set("fragment:b", ("b", ()))
    cache.set("fragment:c", ("c", ()))
    assert cache.get("fragment:a") is entry  # now the latest used
    cache.set("fragment:d", ("d", ()))  # full: the least recently used goes
    assert cache.get("fragment:b") is None
    assert [cache.get(f"fragment:{name}") for name in "acd"] == [entry, ("c", ()), ("d", ())]
    cache.set("fragment:gone", entry, timeout=0)  # expired at once
    assert cache.get("fragment:gone") is None
    with pytest.raises(NotImplementedError):
        cache.add("fragment:e", entry)
    with pytest.raises(NotImplementedError):
        cache.incr("fragment:a")
    cache.clear()
    assert not cache._cache


def test_a_fragment_is_kept_until_room_is_needed(monkeypatch):
    """Its key holds all it shows (the setup version the database moves on every change, the
    table's state, role, zone, language): it never expires; only the cache's size bounds it."""
    import time

    from whippy.fragments import cached

    caches[ALIAS].clear()
    rendered = []

    def render(stand_ins: dict[str, str]) -> str:
        rendered.append(stand_ins)
        return "<p>rows</p>"

    assert cached("fragment:kept", render, {}) == "<p>rows</p>"
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 30 * 24 * 60 * 60)
    assert cached("fragment:kept", render, {}) == "<p>rows</p>"
    assert len(rendered) == 1


def test_the_cache_can_be_turned_off(admin_client, account, domain, settings):
    one_of_everything(account, domain)
    url = tab(account, "domains")
    get(admin_client, url)
    _, cached = get(admin_client, url)
    settings.FRAGMENT_CACHE = False
    caches[ALIAS].clear()
    get(admin_client, url)
    _, again = get(admin_client, url)
    assert again > cached  # the rows are read every time
    assert not caches[ALIAS]._cache


def test_the_setup_fragments_alone_can_be_turned_off(admin_client, account, domain, settings):
    """What the first view after a change renders (the benchmark's cold pages): the account's
    fragments every time; the frame and the blank check form, which no change touches, kept."""
    world = one_of_everything(account, domain)
    url = TABS["sip-users"](world, account)
    get(admin_client, url)
    _, cached = get(admin_client, url)
    settings.SETUP_FRAGMENT_CACHE = False
    caches[ALIAS].clear()
    first, _ = get(admin_client, url)  # the setup review too, cached on its own
    again, again_queries = get(admin_client, url)
    assert again_queries > cached  # the rows are read every time
    assert without_tokens(again) == without_tokens(first)
    kept = cached_entries()
    # The head links, the frame, the page around its tab area and the blank check form: no
    # page, no row, tab strip or table.
    assert len(kept) == 4
    assert any('class="topbar"' in html for html in kept)
    assert any('name="username"' in html for html in kept)
    assert len(cached_entries("shell")) == 1
    assert not any("desk" in html or 'role="tablist"' in html for html in kept)


@pytest.mark.django_db(transaction=True)
def test_an_import_shows_at_the_next_request(admin_client, admin_request, account, fake_twilio):
    from sip import services
    from sip.twilio_api import Connection
    from sip.twilio_api import Twilio
    from tests.conftest import connect_directly
    from tests.twilio.test_import import work

    connected = connect_directly(account.pk, fake_twilio)
    url = tab(connected, "domains")
    assert "No SIP Domains Found" in get(admin_client, url)[0]
    assert "No SIP Domains Found" in get(admin_client, url)[0]  # cached
    api = Twilio(Connection(fake_twilio.account_sid, fake_twilio.key_sid, fake_twilio.key_secret))
    api.create_domain("imported.sip.twilio.com", FriendlyName="Imported")
    services.import_start(request=admin_request, account=connected)
    work()
    assert "imported.sip.twilio.com" in get(admin_client, url)[0]
    assert Credential.objects.count() == CredentialAttachment.objects.count() == 0


def test_the_scope_holds_the_language_role_time_zone_and_version(rf, admin_user, account):
    from django.utils import timezone
    from django.utils import translation

    from accounts.models import Membership
    from whippy.fragments import Scope

    request = rf.get("/")
    request.membership = Membership.objects.get(user=admin_user)
    english = Scope.of(request, account)
    with translation.override("de"):
        assert Scope.of(request, account).language != english.language
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        assert Scope.of(request, account).time_zone == "Asia/Tokyo" != english.time_zone
    account.setup_version += 1
    assert Scope.of(request, account).setup_version == english.setup_version + 1
    assert Scope.of(rf.post("/"), account) is None  # a change answers with what it wrote


def test_a_page_is_kept_per_person(admin_client, django_user_model, org, account, domain):
    """Two admins of one organization: the same tab, each with their own name in the top bar,
    each seen again from the cache."""
    from accounts.models import Role
    from tests.conftest import logged_in
    from tests.conftest import make_user

    world = one_of_everything(account, domain)
    bob = logged_in(make_user(django_user_model, "bob", org, Role.ADMIN))
    for name in sorted(TABS):
        url = TABS[name](world, account)
        for client, person, other in ((admin_client, "alice", "bob"), (bob, "bob", "alice")):
            get(client, url)
            page, queries = get(client, url)
            assert queries == 3, name  # kept
            assert person in topbar(page) and other not in topbar(page), name
    assert len(cached_entries("page")) == 2 * len(TABS)


def test_each_part_of_a_page_is_kept_on_its_own(admin_client, account, domain):
    """The same address is a whole page, its tab area (a tab switch), its table alone (a table
    swap) and a whole page again for htmx's history: each kept, and served, as itself."""
    from whippy.registry import TABLES

    world = one_of_everything(account, domain)
    views = {
        "list page": "sip:credentiallist-detail",
        "credential-lists": "sip:credentiallist-list",
    }
    for name in sorted(TABS):
        caches[ALIAS].clear()
        url = TABS[name](world, account)
        target = TABLES[views.get(name, f"sip:{name.removesuffix('s')}-list")].target
        parts = {
            "page": {},
            "tab area": {"HX-Request": "true"},
            "table": {"HX-Request": "true", "HX-Target": target},
            "history": {"HX-Request": "true", "HX-History-Restore-Request": "true"},
        }
        seen = {part: get(admin_client, url, **headers)[0] for part, headers in parts.items()}
        for part, headers in parts.items():
            again, queries = get(admin_client, url, **headers)
            assert queries == 3 and without_tokens(again) == without_tokens(seen[part]), (
                name,
                part,
            )
        assert len(cached_entries("page")) == 4, name
        assert seen["page"].startswith("<!doctype html>")
        assert without_tokens(seen["history"]) == without_tokens(seen["page"])
        assert 'id="tab-panel"' in seen["tab area"] and "<!doctype" not in seen["tab area"]
        assert seen["table"].lstrip().startswith(f'<div id="{target}"'), name
        assert 'id="tab-panel"' not in seen["table"]


def test_a_kept_list_page_follows_its_list(admin_client, account, domain):
    """A list page seen again reads no list: it is kept for the setup version, which deleting
    or renaming the list (here with raw SQL) moves; the next request reads it, or is a 404."""
    world = one_of_everything(account, domain)
    url = tab(account, "", world["list_id"])
    get(admin_client, url)
    assert get(admin_client, url)[1] == 3
    change_with_sql(
        "UPDATE sip_credentiallist SET name = 'Night desk' WHERE id = %s", world["list_id"]
    )
    assert "Night desk" in get(admin_client, url)[0]
    change_with_sql("DELETE FROM sip_credential WHERE credential_list_id = %s", world["list_id"])
    change_with_sql(
        "DELETE FROM sip_credentialattachment WHERE credential_list_id = %s", world["list_id"]
    )
    change_with_sql("DELETE FROM sip_credentiallist WHERE id = %s", world["list_id"])
    assert admin_client.get(url).status_code == 404


def test_a_page_with_a_message_is_shown_once_and_never_kept(
    admin_client, account, domain, monkeypatch
):
    """A message belongs to the response that shows it: a page with one to show is rendered and
    not kept, and so is a page that made one while it was rendered."""
    from django.contrib import messages

    from sip.views import domains

    world = one_of_everything(account, domain)
    url = TABS["credential-lists"](world, account)
    get(admin_client, url)  # kept, without a message
    page = admin_client.post(f"{url}new/", {"name": "Night shift"}, follow=True)
    assert "“Night shift” added" in page.content.decode()
    assert "“Night shift” added" not in get(admin_client, url)[0]
    assert not any("message-success" in html for html in cached_entries())

    context = domains.domains_context

    def with_a_message(request, *args, **kwargs):
        messages.info(request, "Made while rendering")
        return context(request, *args, **kwargs)

    url = TABS["domains"](world, account)
    monkeypatch.setattr(domains, "domains_context", with_a_message)
    assert "Made while rendering" in get(admin_client, url)[0]
    assert not any("Made while rendering" in html for html in cached_entries())
    monkeypatch.setattr(domains, "domains_context", context)
    assert "Made while rendering" not in get(admin_client, url)[0]


def shells() -> list[str]:
    return cached_entries("shell")


@pytest.mark.parametrize("name", sorted(TABS))
def test_the_first_view_after_a_change_renders_its_tab_area_alone(
    admin_client, account, domain, settings, name
):
    """An account page around its tab area (whippy.fragments.Shell) shows nothing of the SIP
    setup: kept across setup versions, a page after a change renders its tab area and puts it
    in the kept shell (the cache keeps what it was given: the same string, not rendered
    again); the same page as one rendered whole, with the change in it."""
    world = one_of_everything(account, domain)
    url = TABS[name](world, account)
    first, _ = get(admin_client, url)
    for setup_cache in (True, False):  # a change before a view; the benchmark's cold pages
        settings.SETUP_FRAGMENT_CACHE = setup_cache
        (shell,) = shells()
        n = int(setup_cache)
        SipDomain.objects.create(
            account=account, name=f"Site {n}", prefix=f"s-{n}", domain=f"s-{n}.example"
        )
        kept, _ = get(admin_client, url)
        assert len(shells()) == 1 and shells()[0] is shell  # kept, not rendered again
        assert f"Site {n}" in kept or name != "domains"
        # A stand-in in the shell; each request's own token in its page.
        tokens = {HEADER_TOKEN.search(page).group(1) for page in (first, kept)}
        assert len(tokens) == 2 and not any(token in shell for token in tokens)
        caches[ALIAS].clear()
        whole, _ = get(admin_client, url)
        assert without_tokens(kept) == without_tokens(whole)
        first = whole
    assert 'role="tablist"' not in shell and "desk" not in shell  # no tab area in it


def test_the_kept_shell_follows_the_account_the_list_and_the_viewer(
    admin_client, support_client, account, domain, settings
):
    """What the shell shows is its key: the account's name, its connection and Twilio account,
    the list's name in a list page's title, and the viewer's role; a change of any is on the
    next page, made with raw SQL too (which moves no key of the shell's but its own fields)."""
    settings.SETUP_FRAGMENT_CACHE = False  # every tab area rendered: only the shell is kept
    world = one_of_everything(account, domain)
    lists, list_page = TABS["credential-lists"](world, account), TABS["list page"](world, account)
    for url in (lists, list_page):  # each kept
        get(admin_client, url)
        assert "Export CSV" in get(admin_client, url)[0]
    assert len(shells()) == 2
    change_with_sql(
        "UPDATE sip_credentiallist SET name = 'Night desk' WHERE id = %s", world["list_id"]
    )
    assert "<title>Night desk · Twilio main · Whippy</title>" in get(admin_client, list_page)[0]
    change_with_sql(
        "UPDATE accounts_provideraccount SET name = 'Renamed' WHERE id = %s", account.pk
    )
    page = get(admin_client, lists)[0]
    assert "<title>Renamed · Whippy</title>" in page and "<h1>Renamed</h1>" in page

    def header(page: str) -> str:
        return page.split('<header class="page-header">')[1].split("</header>")[0]

    assert "Connect to Twilio" in header(get(admin_client, lists)[0])
    change_with_sql(
        "UPDATE accounts_provideraccount SET provider = 'telnyx' WHERE id = %s", account.pk
    )
    telnyx = header(get(admin_client, lists)[0])
    assert "Telnyx provider account" in telnyx and "Connect to Twilio" not in telnyx
    change_with_sql(
        "UPDATE accounts_provideraccount SET provider = 'twilio' WHERE id = %s", account.pk
    )
    assert "Connect to Twilio" in header(get(admin_client, lists)[0])
    change_with_sql(  # connected: an API key's secret kept (encrypted; not read here)
        "UPDATE accounts_provideraccount SET twilio_key_secret = 'kept' WHERE id = %s",
        account.pk,
    )
    connected = header(get(admin_client, lists)[0])
    assert "Connected</span> to Twilio account <code></code>" in connected
    assert "Reconcile" in connected and "Connect to Twilio" not in connected
    change_with_sql(
        "UPDATE accounts_provideraccount SET twilio_account_sid = 'AC42' WHERE id = %s",
        account.pk,
    )
    assert "<code>AC42</code>" in header(get(admin_client, lists)[0])
    support = get(support_client, lists)[0]
    assert "Read-only" in support and "Reconcile" not in header(support)
    assert "Read-only" not in get(admin_client, lists)[0]


def test_a_page_with_a_message_keeps_no_shell(admin_client, account, domain, settings):
    """The messages are in the page around the tab area: a page that shows one is rendered
    whole and its shell not kept; the next page shows none."""
    settings.SETUP_FRAGMENT_CACHE = False
    world = one_of_everything(account, domain)
    url = TABS["credential-lists"](world, account)
    page = admin_client.post(f"{url}new/", {"name": "Night shift"}, follow=True)
    assert "“Night shift” added" in page.content.decode()
    assert not shells()
    assert "“Night shift” added" not in get(admin_client, url)[0]
    assert len(shells()) == 1 and "message-" not in shells()[0]
