"""Setup review: what in an account's SIP setup will keep SIP users from connecting.

Works on many accounts at once in a fixed number of queries, for the accounts page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count
from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import Subquery
from django.urls import reverse

from accounts.models import ProviderAccount
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.tabs import REVIEWED
from whippy.db import count_of

# A cached review is keyed by its account's setup version, which the database moves forward on
# every change to the account's SIP setup, whoever makes it (the app, the Django admin, a shell,
# raw SQL: sip/migrations/0011_setup_version_triggers.py), so it never needs to expire to catch
# up with a change. Until the triggers it expired after five minutes for changes made outside
# the app, and the next view computed it again: 60 to 130 ms on an account of 100,000 SIP users,
# a p99 of its own for whichever page came first. A day only bounds how long reviews of old
# versions stay in a shared cache.
REVIEW_TTL = 24 * 60 * 60


# The kinds of warning, in the order the review shows them, and how a group of them is named.
KINDS = {
    "domain": "SIP domains phones cannot fully use (no credential list for calls or registrations)",
    "unattached": "credential lists attached to no SIP domain",
    "empty": "credential lists without credentials",
    "ambiguous": "usernames with more than one password on a domain",
}
# How many of each kind the panel on every tab shows; the review page has them all.
FIRST = 3


@dataclass(frozen=True)
class Finding:
    tab: str
    text: str
    fix_url: str
    fix_label: str
    kind: str  # a key of KINDS

    @property
    def rank(self) -> int:
        """Where its kind comes in the review (sorting by it keeps the review's order)."""
        return list(KINDS).index(self.kind)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class Group:
    kind: str
    label: str
    count: int
    first: list[Finding]

    @property
    def more(self) -> int:
        return self.count - len(self.first)


@dataclass
class Review:
    findings: list[Finding]

    def count(self, tab: str) -> int:
        return sum(1 for finding in self.findings if finding.tab == tab)

    @property
    def by_tab(self) -> dict[str, int]:
        return {tab: self.count(tab) for tab in REVIEWED}

    @property
    def groups(self) -> list[Group]:
        """Each kind of warning found: how many, and the first few (the panel's size does not
        grow with the number of warnings)."""
        found: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            found[finding.kind].append(finding)
        return [
            Group(kind, label, len(found[kind]), found[kind][:FIRST])
            for kind, label in KINDS.items()
            if found[kind]
        ]


def _attached_for(purpose: Purpose) -> Exists:
    return Exists(CredentialAttachment.objects.filter(domain=OuterRef("pk"), purpose=purpose))


def review_accounts(accounts: list[ProviderAccount]) -> dict[int, Review]:
    by_id = {account.pk: account for account in accounts}
    findings: dict[int, list[Finding]] = defaultdict(list)

    def url(account_id: int, name: str, *args: int, **query: object) -> str:
        account = by_id[account_id]
        path = reverse(f"sip:{name}", args=[account.organization.slug, account_id, *args])
        return f"{path}?{urlencode(query)}" if query else path

    domains = (
        SipDomain.objects.filter(account_id__in=by_id)
        .annotate(calls=_attached_for(Purpose.CALLS), regs=_attached_for(Purpose.REGISTRATIONS))
        .filter(Q(calls=False) | Q(regs=False))
        .order_by("domain")
        .values_list("pk", "account_id", "domain", "calls", "regs")
    )
    for pk, account_id, domain, calls, regs in domains:
        missing = [
            p.label.lower()
            for p, ok in ((Purpose.CALLS, calls), (Purpose.REGISTRATIONS, regs))
            if not ok
        ]
        consequence = {
            ("calls",): "it refuses all calls",
            ("registrations",): "phones cannot register on it",
        }.get(tuple(missing), "it refuses all calls and registrations")
        findings[account_id].append(
            Finding(
                "domains",
                f"{domain} has no credential list for {' or '.join(missing)}: {consequence}.",
                url(account_id, "attachment-create", domain=pk),
                "Attach a credential list",
                "domain",
            )
        )

    lists = (
        CredentialList.objects.filter(account_id__in=by_id)
        .annotate(
            n=count_of(Credential, "credential_list"),
            attached=Exists(CredentialAttachment.objects.filter(credential_list=OuterRef("pk"))),
        )
        .filter(Q(n=0) | Q(attached=False))
        .order_by("name")
        .values_list("pk", "account_id", "name", "n", "attached")
    )
    for pk, account_id, name, n, attached in lists:
        if not attached:
            findings[account_id].append(
                Finding(
                    "credential-lists",
                    f"“{name}” is attached to no SIP domain: its SIP users cannot connect.",
                    url(account_id, "attachment-create", credential_list=pk),
                    "Attach it to a domain",
                    "unattached",
                )
            )
        if n == 0:
            findings[account_id].append(
                Finding(
                    "credential-lists",
                    f"“{name}” has no credentials.",
                    url(account_id, "credential-create", pk),
                    "Add a credential",
                    "empty",
                )
            )

    # Only usernames found in two or more lists of an account can have several passwords:
    # finding those first keeps this to a small join on accounts with 100,000 credentials. A
    # username is in a list at most once (credential_username_unique_ci), so its rows are its
    # lists: counted as rows, the index of the account's usernames answers alone, without
    # reading each row for its list (100,000 SIP users: 37 -> 25 ms on PostgreSQL, 36 -> 21
    # on SQLite).
    repeated = (
        Credential.objects.filter(account_id__in=by_id)
        .values("username")
        .annotate(lists=Count("*"))
        .filter(lists__gt=1)
        .values("username")
    )
    ambiguous = (
        CredentialAttachment.objects.filter(
            domain__account_id__in=by_id,
            credential_list__credentials__username__in=Subquery(repeated),
        )
        .values(
            "domain__account_id",
            "domain__domain",
            "purpose",
            "credential_list__credentials__username",
        )
        .annotate(lists=Count("credential_list", distinct=True))
        .filter(lists__gt=1)
        .order_by("domain__domain", "credential_list__credentials__username", "purpose")
    )
    for row in ambiguous:
        account_id = row["domain__account_id"]
        username = row["credential_list__credentials__username"]
        findings[account_id].append(
            Finding(
                "attachments",
                f"“{username}” is in {row['lists']} lists attached to {row['domain__domain']} "
                f"for {Purpose(row['purpose']).label.lower()}: the password of each of them "
                "works for it there, which is rarely intended.",
                url(account_id, "sip-user-list", q=username),
                "See this SIP user",
                "ambiguous",
            )
        )
    return {account_id: Review(findings[account_id]) for account_id in by_id}


def review_account(account: ProviderAccount) -> Review:
    return review_accounts([account])[account.pk]


def _cache_key(account: ProviderAccount) -> str:
    # v2: findings have a kind (a shared cache may hold reviews pickled before). The
    # organization's slug is in the fix links.
    slug = account.organization.slug
    return f"setup-review:v2:{account.pk}:{account.setup_version}:{slug}"


def cached_reviews(accounts: list[ProviderAccount]) -> dict[int, Review]:
    """Reviews from the cache, computed for the accounts that changed since.

    Every change to an account's SIP setup, of any origin, bumps its setup_version (a
    trigger), so a cached review is never stale; each process keeps its own copy.
    """
    keys = {_cache_key(account): account for account in accounts}
    found = cache.get_many(list(keys))
    reviews = {keys[key].pk: review for key, review in found.items()}
    missing = [account for key, account in keys.items() if key not in found]
    if missing:
        computed = review_accounts(missing)
        cache.set_many({_cache_key(a): computed[a.pk] for a in missing}, timeout=REVIEW_TTL)
        reviews.update(computed)
    return reviews


def cached_review(account: ProviderAccount) -> Review:
    return cached_reviews([account])[account.pk]
