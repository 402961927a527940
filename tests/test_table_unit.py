"""whippy.tables.Table on its own: sorting every column, reversing, ties, links that keep their
state, search over every listed field, and page numbers however they are typed."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory

from sip.models import SipDomain
from whippy.tables import PER_PAGE
from whippy.tables import Column
from whippy.tables import Table
from whippy.tables import TableSpec

COLUMNS = [
    Column("name", "Name", "name"),
    Column("domain", "Domain", "domain"),
    Column("notes", "Notes"),  # shown, not sortable
    Column("created", "Created", "created_at"),
]
PATH = "/t/"
SPEC = TableSpec("t", "t", COLUMNS, ["name", "domain"])


def table(account, _extra: bool = False, **params) -> Table:
    request = RequestFactory().get(PATH, {k: v for k, v in params.items() if v is not None})
    return Table(
        request,
        SPEC,
        SipDomain.objects.filter(account=account),
        path=PATH,
        extra={"type": "x"} if _extra else {},
    )


def make(account, names: list[str], *, same_time: bool = False) -> list[SipDomain]:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    return SipDomain.objects.bulk_create(
        SipDomain(
            account=account,
            name=name,
            prefix=f"p{i}-{account.pk}",
            domain=f"p{i}-{account.pk}.sip.twilio.com",
            **({"created_at": stamp} if same_time else {}),
        )
        for i, name in enumerate(names)
    )


def state(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.mark.parametrize("key", [c.key for c in COLUMNS] + ["nonsense", "-", ""])
def test_every_column_key_sorts_or_falls_back(account, key):
    make(account, ["b", "c", "a"])
    for sort in (key, f"-{key}"):
        t = table(account, sort=sort)
        names = [row.name for row in t.rows]
        column = next((c for c in COLUMNS if c.key == key and c.order), None)
        if column is None:  # not sortable, or unknown: the default, newest first
            assert t.sort == "-created"
            assert names == ["a", "c", "b"]
        else:
            # Made in the order b, c, a, with domains p0, p1, p2.
            ascending = {
                "name": ["a", "b", "c"],
                "domain": ["b", "c", "a"],
                "created": ["b", "c", "a"],
            }
            expected = ascending[key] if sort == key else ascending[key][::-1]
            assert (names, t.sort) == (expected, sort)


def test_second_click_reverses_and_non_sortable_has_no_link(account):
    make(account, ["a", "b"])
    headers = {h["label"]: h for h in table(account).headers}
    assert "url" not in headers["Notes"]
    first = state(headers["Name"]["url"])
    assert first["sort"] == ["name"]
    clicked = {h["label"]: h for h in table(account, sort="name").headers}
    assert clicked["Name"]["active"] and clicked["Name"]["aria_sort"] == "ascending"
    assert state(clicked["Name"]["url"])["sort"] == ["-name"]
    again = {h["label"]: h for h in table(account, sort="-name").headers}
    assert again["Name"]["aria_sort"] == "descending"
    assert state(again["Name"]["url"])["sort"] == ["name"]
    # Created starts newest first, the way people want it; it is the default, so no parameter.
    assert "sort" not in state(clicked["Created"]["url"])


def test_every_link_keeps_the_state(account):
    make(account, [f"item {i}" for i in range(PER_PAGE * 3)])
    t = table(account, q="ITEM", sort="-name", page="2", _extra=True)
    links = [t.previous_url, t.next_url, t.clear_url]
    links += [link["url"] for link in t.page_links if link]
    links += [h["url"] for h in t.headers if "url" in h]
    for url in links:
        kept = state(url)
        assert kept["type"] == ["x"], url
        if url != t.clear_url:
            assert kept["q"] == ["ITEM"], url
        if url not in [h["url"] for h in t.headers if "url" in h]:
            assert kept["sort"] == ["-name"], url
    assert state(t.previous_url).get("page") is None  # page 1 is the bare URL
    assert state(t.next_url)["page"] == ["3"]
    assert "page" not in state(t.clear_url) and "q" not in state(t.clear_url)
    assert [link["number"] if link else None for link in t.page_links] == [1, 2, 3]


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created"])
def test_pages_with_equal_sort_keys_list_every_row_once(account, sort):
    rows = make(account, ["same"] * (PER_PAGE * 2 + 7), same_time=True)
    seen = []
    for page in (1, 2, 3):
        seen += [row.pk for row in table(account, sort=sort, page=str(page)).rows]
    assert sorted(seen) == sorted(row.pk for row in rows)
    assert len(seen) == len(set(seen))
    # Ties are broken by the key, in the direction of the sort: newest first when descending.
    pks = [row.pk for row in rows]
    assert seen == (sorted(pks, reverse=True) if sort.startswith("-") else sorted(pks))


def test_search_covers_every_listed_field_case_insensitively(account):
    make(account, ["Reception desk", "Warehouse"])
    assert [r.name for r in table(account, q="RECEPTION").rows] == ["Reception desk"]
    assert [r.name for r in table(account, q="wareHOUSE").rows] == ["Warehouse"]
    by_domain = table(account, q=f"P1-{account.pk}.SIP").rows  # only in the domain field
    assert [r.name for r in by_domain] == ["Warehouse"]
    assert table(account, q="  Warehouse  ").query == "Warehouse"
    long = table(account, q="x" * 65)
    assert long.search_error and long.query == "" and len(long.rows) == 2


@pytest.mark.parametrize(
    ("typed", "number", "beyond"),
    [
        ("1", 1, False),
        ("2", 2, False),
        ("3", 3, False),
        ("4", 3, True),
        ("999999999999", 3, True),
        ("0", 1, False),
        ("-1", 1, False),
        ("²", 1, False),
        ("①", 1, False),
        ("٣", 1, False),
        ("abc", 1, False),
        ("", 1, False),
        (None, 1, False),
    ],
)
def test_page_numbers_however_typed(account, typed, number, beyond):
    make(account, [f"n{i}" for i in range(PER_PAGE * 2 + 1)])
    t = table(account, page=typed)
    assert (t.page.number, t.out_of_range) == (number, beyond)
    assert len(t.rows) == (1 if number == 3 else PER_PAGE)


def test_page_links_show_gaps_around_the_current_page(account):
    make(account, [f"n{i}" for i in range(PER_PAGE * 10)])
    links = table(account, page="5").page_links
    assert [link["number"] if link else None for link in links] == [
        1,
        None,
        3,
        4,
        5,
        6,
        7,
        None,
        10,
    ]
    assert [link["current"] for link in links if link] == [
        False,
        False,
        False,
        True,
        False,
        False,
        False,
    ]
    assert table(account, page="1").previous_url is None
    assert table(account, page="10").next_url is None


def test_a_mangled_parameter_drops_only_itself(account):
    make(account, ["Reception", "Warehouse"])
    t = table(account, q="WARE", sort="name", page="9" * 13)  # the page is too long to read
    assert (t.query, t.sort, t.page.number) == ("WARE", "name", 1)
    assert [r.name for r in t.rows] == ["Warehouse"]
    t = table(account, q="ware", sort="x" * 41)  # the sort is too long: the default instead
    assert (t.query, t.sort) == ("ware", "-created")


def test_url_of_the_current_state(account):
    make(account, [f"n{i}" for i in range(PER_PAGE + 1)])
    assert table(account).url() == PATH  # the default state is the bare path
    assert table(account).clear_url == PATH
    assert table(account, q="n", sort="name", page="2").url() == f"{PATH}?q=n&sort=name&page=2"
    assert table(account, page="2", _extra=True).url(page=1) == f"{PATH}?type=x"


def test_a_list_table_searches_sorts_and_pages_rows_computed_in_python():
    from dataclasses import dataclass

    from whippy.tables import ListTable
    from whippy.tables import RowLink

    @dataclass(frozen=True)
    class Item:
        text: str
        rank: int

    items = [Item(f"Item {n:03d}", n % 3) for n in range(120)]
    spec = TableSpec(
        "l", "l", [Column("rank", "Rank", "rank"), Column("text", "Text", "text")], ["text"]
    )

    def listed(**params) -> ListTable:
        request = RequestFactory().get(PATH, params)
        return ListTable(request, spec, items, path=PATH, default_sort="rank")

    first = listed()
    assert [item.rank for item in first.rows[:3]] == [0, 0, 0]  # sorted, ties in given order
    assert first.rows[:2] == [items[0], items[3]]
    assert first.paginator.count == 120 and len(first.rows) == PER_PAGE
    assert [item.text for item in listed(sort="-text").rows[:2]] == ["Item 119", "Item 118"]
    found = listed(q="ITEM 11", page="2")
    assert found.paginator.count == 10 and found.page.number == 1  # page 2 of 1: the last
    assert found.url(page=1) == "/t/?q=ITEM+11"
    with pytest.raises(ValueError, match="carry their own links"):
        ListTable(
            RequestFactory().get(PATH),
            TableSpec("l", "l", spec.columns, ["text"], {"x": RowLink("x", "{path}")}),
            items,
            path=PATH,
            default_sort="rank",
        )
