"""The tabs of a provider account's page, in order: the one list the tab strip, the setup
review's badges, the tests and the benchmark read. A tab's page must register its table
(whippy.tables.register) on the tab's URL name; tests/test_tabs.py checks both ways."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from typing import NamedTuple

from whippy.links import url_of


@dataclass(frozen=True)
class Tab:
    key: str  # the tab's id (tab-<key>) and what a page passes as its current tab
    label: str
    url_name: str
    reviewed: bool = False  # whether the setup review finds problems here (a badge counts them)


TABS = (
    Tab("domains", "Domains", "sip:domain-list", reviewed=True),
    Tab("credential-lists", "Credential Lists", "sip:credentiallist-list", reviewed=True),
    Tab("attachments", "Credential Attachments", "sip:attachment-list", reviewed=True),
    Tab("sip-users", "SIP Users", "sip:sip-user-list"),
    Tab("activity", "Activity", "sip:activity-list"),
)
KEYS = tuple(tab.key for tab in TABS)
REVIEWED = tuple(tab.key for tab in TABS if tab.reviewed)


def tab_url(url_name: str, account: Any) -> str:
    return url_of(url_name, account.organization.slug, account.pk)


class ShownTab(NamedTuple):
    """A tab as the strip shows it (attributes: Jinja2 reads a dict's keys only after an
    attribute lookup has failed)."""

    key: str
    label: str
    url: str
    selected: bool
    warnings: int


class TabStrip:
    """The tab strip of one page; built when a template iterates it, so a response without
    the tabs (a table swap) computes neither the URLs nor the review behind the badges."""

    def __init__(self, account: Any, current: str, review: Any) -> None:
        self.account, self.current, self.review = account, current, review

    def __iter__(self) -> Iterator[ShownTab]:
        for tab in TABS:
            yield ShownTab(
                tab.key,
                tab.label,
                tab_url(tab.url_name, self.account),
                tab.key == self.current,
                self.review.count(tab.key) if tab.reviewed else 0,
            )
