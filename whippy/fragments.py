"""Page fragments, cached: an account page's header, tab strip and tables, rendered once for
the account's setup version, are served again without reading or rendering anything; and a
tab's whole page (Page), kept for its address and viewer too, is served again as it was
answered, its context not even built: what a page seen again costs is the membership that
authorizes it. Around its tab area, an account page's frame, title and header (Shell) show
nothing of the setup: kept for what they show, the first view after a change renders its tab
area alone.

Correct whatever changes the data: the key holds the account's setup_version, which the
database itself moves forward on every change to the account's SIP setup, in the change's
transaction (sip/migrations/0011_setup_version_triggers.py), however the change is made. A page
reads the version with its account, before its rows; so a fragment is never served for a
version older than the data it shows, and a new version is a new key.

What else a fragment depends on is in its key too: the table's state (search, sort, page and
filter), the viewer's role (an admin's rows have controls support staff must not see), the
time zone its times are shown in and the language. Nothing of one request is ever kept: the
values that differ per request (PER_REQUEST: the CSRF token, a form's one-time key) are rendered
as random stand-ins, and each response puts its own values in their place.

Only GET and HEAD requests use the fragments of a setup version: a change answers with what it
just wrote. The connection check's form (Steady) reads nothing stored: kept by what it shows
(the values typed and its errors), it serves any method's answer, a refused test's too. Each
process keeps its own fragments (settings.CACHES["fragments"], in memory); FRAGMENT_CACHE=false
turns it off, and SETUP_FRAGMENT_CACHE=false only the fragments kept per setup version (the
benchmark's cold pages: what the first view after a change renders).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone
from django.utils.translation import get_language

if TYPE_CHECKING:
    from accounts.models import ProviderAccount
    from whippy.htmx import AppRequest

ALIAS = "fragments"
# The values that differ per request, rendered as stand-ins: the CSRF token, a form's one-time
# key, and the tab area of an account page kept around it (Shell).
PER_REQUEST = ("csrf_token", "rotate_nonce", "tab_area")
CACHED = ("GET", "HEAD")  # the methods whose answers use the cache


class Keyed:
    """Fragments keyed by the dataclass's own fields (its repr, with its class's name)."""

    kind = "fragment"  # the cache keys' prefix

    def fragment(
        self,
        name: str,
        render: Callable[[dict[str, str]], str],
        context: Any,
        *state: Any,
        keep: Callable[[], bool] = lambda: True,
    ) -> str:
        """The fragment called name, for these fields and this state (the page's tab, a table's
        search, sort and page), with this request's own values; render(stand_ins) makes it
        when the cache does not have it (cached())."""
        digest = hashlib.blake2b(repr((self, name, state)).encode(), digest_size=20)
        return cached(f"{self.kind}:{digest.hexdigest()}", render, context, keep)


@dataclass(frozen=True)
class Scope(Keyed):
    """What an account page's fragments depend on beyond their own state (a table's search, sort
    and page; the tab)."""

    account_id: int
    setup_version: int
    organization: str  # its slug, in every link
    role: str
    time_zone: str
    language: str

    @classmethod
    def of(cls, request: AppRequest, account: ProviderAccount) -> Scope | None:
        """The scope of a request's tables, or None where nothing is cached."""
        if not (settings.FRAGMENT_CACHE and settings.SETUP_FRAGMENT_CACHE):
            return None
        if request.method not in CACHED:
            return None
        return cls(
            account.pk,
            account.setup_version,
            account.organization.slug,
            request.membership.role,
            timezone.get_current_timezone_name(),
            get_language(),
        )


@dataclass(frozen=True)
class Steady(Keyed):
    """What an account page's markup that shows nothing of the setup (the connection-check
    form: its fields, and the account's address to send it to) depends on besides its own
    state (what the form shows: whippy.forms.shown): kept across setup versions, so the first
    view after a change does not render it again. It reads nothing stored, so it is kept for
    the answers to a POST too: the form of a refused password test, the answer that guessing
    gets over and over, is not rendered again while what it shows is the same."""

    account_id: int
    organization: str  # its slug, in the form's address
    language: str

    @classmethod
    def of(cls, request: AppRequest, account: ProviderAccount) -> Steady | None:
        if not settings.FRAGMENT_CACHE:
            return None
        return cls(account.pk, account.organization.slug, get_language())


@dataclass(frozen=True)
class Frame(Keyed):
    """What the page's frame (the top bar and the sidebar) shows, on every page of an
    organization: the person, all of their memberships (the organization switcher) and the
    current one. The page has read all of it already (accounts.access.find_membership): a new
    membership, a new role or a renamed organization is a new key."""

    user: tuple[int, str]  # id and username
    memberships: tuple[tuple[int, str, str, str], ...]  # id, organization slug and name, role
    current: int
    language: str

    @classmethod
    def of(cls, request: AppRequest) -> Frame | None:
        membership = getattr(request, "membership", None)
        if membership is None or not settings.FRAGMENT_CACHE or request.method not in CACHED:
            return None
        memberships = tuple(
            (m.pk, m.organization.slug, m.organization.name, m.role) for m in request.memberships
        )
        user = (request.user.pk, request.user.get_username())
        return cls(user, memberships, membership.pk, get_language())


@dataclass(frozen=True)
class Shell(Keyed):
    """A whole account page around its tab area (whippy.htmx.AccountPageResponse): the frame,
    the title, the read-only banner and the account's header. None of it shows the account's
    SIP setup, so it is kept for what it shows rather than for the setup version: the first
    view of a page after a change renders its tab area alone, and puts it in the kept shell.

    What it shows is its frame's (the person, their memberships and role, the language), the
    page's template (its title), the sidebar's section and the account's own fields that the
    title and header show (its name, provider, Twilio account and whether it is connected)
    and the name of the page's credential list, if it has one. Its tab area and CSRF token are
    stand-ins. A request with messages to show renders its whole page (the messages are in
    the shell), and keeps nothing."""

    kind = "shell"

    frame: Frame
    template: str
    shown: tuple[Any, ...]

    @classmethod
    def of(cls, request: AppRequest, template: str, context: dict[str, Any]) -> Shell | None:
        frame = Frame.of(request)
        if frame is None or messages.get_messages(request):
            return None
        account, listed = context["account"], context.get("credential_list")
        shown = (
            context.get("section"),
            account.pk,
            account.name,
            account.provider,
            account.twilio_account_sid,
            account.connected,
            (listed.pk, listed.name) if listed is not None else None,
        )
        return cls(frame, template, shown)


# The request headers that choose what an account page renders: the whole page, its tab area
# (a tab switch) or its table alone (whippy.htmx.render_page, whippy.tables.table_partial).
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-History-Restore-Request")


@dataclass(frozen=True)
class Page(Keyed):
    """A whole tab page, or the part of it an HTMX request swaps, as it was answered: kept for
    everything it shows, so that a page seen again, nothing changed, renders nothing and reads
    nothing but the membership that authorizes it (sip.views.common.tab_page).

    What the page shows is its scope's (the account's setup version, the viewer's role, the
    time zone and the language), its frame's (the person and their memberships: a page is
    kept per person) and its address's (the path, which names its view, and the query string:
    the table's search, sort and page), and the HTMX headers choose the part. Its
    per-request values are stand-ins as in every fragment. Messages are not kept: a request
    that has messages to show renders its page, and a page that made a message while it was
    rendered is not kept."""

    kind = "page"

    scope: Scope
    frame: Frame
    path: str
    htmx: tuple[str | None, ...]

    @classmethod
    def of(cls, request: AppRequest, account: ProviderAccount) -> Page | None:
        """The page a request asks for, or None where it is not kept (no cache, another
        method than GET or HEAD, messages to show)."""
        scope, frame = Scope.of(request, account), Frame.of(request)
        if scope is None or frame is None or messages.get_messages(request):
            return None  # never a page without its person in the key
        headers = tuple(request.headers.get(name) for name in HTMX_HEADERS)
        return cls(scope, frame, request.get_full_path(), headers)

    @staticmethod
    def no_messages(request: AppRequest) -> Callable[[], bool]:
        """keep for a page: true if rendering it made no message."""
        return lambda: not messages.get_messages(request)


def cached(
    key: str,
    render: Callable[[dict[str, str]], str],
    context: Any,
    keep: Callable[[], bool] = lambda: True,
) -> str:
    """The markup kept under key, with this request's values (context's PER_REQUEST) in place
    of its stand-ins; render(stand_ins) makes it when the cache does not have it, and it is kept
    if keep() says so once it is rendered."""
    cache = caches[ALIAS]
    entry = cache.get(key)
    if entry is None:
        stand_ins = {name: secrets.token_hex(16) for name in PER_REQUEST if name in context}
        html = render(stand_ins)
        entry = (html, tuple((name, value) for name, value in stand_ins.items() if value in html))
        if keep():
            cache.set(key, entry)
    html, stand_ins = entry
    for name, stand_in in stand_ins:
        html = html.replace(stand_in, str(context[name]))
    return html


class FragmentCache(LocMemCache):
    """The fragments' cache (settings.CACHES["fragments"]): Django's in-memory cache, keeping
    each value as it is instead of pickled. LocMemCache pickles what it keeps, so that a
    caller cannot change it, and unpickles it on every get (a 40 KB fragment: 12 µs, and a
    warm page gets seven); a fragment is a pair of strings and a tuple of pairs of strings
    (cached()), which nothing can change. Its keys are this module's (a prefix and a hex
    digest): the checks meant for memcached keys are left out. Only what the fragments use:
    get, set and clear (and LocMemCache's delete, has_key and touch, which read no value)."""

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        key = self.make_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                return default
            value = self._cache[key]
            self._cache.move_to_end(key, last=False)
        return value

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        key = self.make_key(key, version=version)
        with self._lock:
            self._set(key, value, timeout)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        raise NotImplementedError("The fragments' cache only gets and sets.")

    def incr(self, *args: Any, **kwargs: Any) -> int:
        raise NotImplementedError("The fragments' cache only gets and sets.")
