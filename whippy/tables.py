"""Search, sort and pagination for every table, kept in the query string.

Each state has a URL (?q=&sort=&page=), so links work without JavaScript; with HTMX only the
table swaps and the URL is pushed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from functools import cached_property
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Page
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode
from django.http import HttpRequest

from whippy.fragments import Scope

PER_PAGE = 50
_DIGITS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    order: str | None = None  # what to order by; None: not sortable
    numeric: bool = False


@dataclass(frozen=True)
class RowLink:
    """A row's link, built by string from a path reversed once per table: reverse() for every
    row of a page costs 2.0 ms for 50 rows, formatting 0.8 ms. tests/test_tables.py resolves
    every built link to the view named here."""

    url_name: str
    template: str  # str.format with path (the table's page), row, and the table's bases


@dataclass(frozen=True)
class TableSpec:
    """One table of the app: the page it is on (url_name), the element its swaps target, its
    columns, what its search looks in and its rows' links. The app's are in whippy/registry.py."""

    url_name: str
    target: str
    columns: list[Column]
    search: list[str]
    links: dict[str, RowLink] = field(default_factory=dict)


class TableForm(forms.Form):
    q = forms.CharField(required=False, max_length=64)
    sort = forms.CharField(required=False, max_length=40)
    page = forms.CharField(required=False, max_length=12)


class Table:
    def __init__(
        self,
        request: HttpRequest,
        spec: TableSpec,
        queryset: QuerySet | Callable[[], QuerySet],
        *,
        path: str,
        bases: dict[str, str] | None = None,
        default_sort: str = "-created",
        per_page: int = PER_PAGE,
        extra: dict[str, str] | None = None,
        prepare: Callable[[list], None] | None = None,
        fragments: Scope | None = None,
    ) -> None:
        self.spec = spec
        self.target = spec.target
        self.columns = columns = spec.columns
        self.default_sort = default_sort
        self.extra = extra or {}  # other query parameters a page keeps (a filter)
        # The table's own page: forms and links of a page that shows it (a create form, say)
        # search and sort the table there, not at their own URL.
        self.path = path
        form = TableForm(request.GET)
        # Each parameter on its own: a mangled page number must not drop the search or sort.
        form.is_valid()
        data = form.cleaned_data
        self.search_error = form.errors.get("q")
        self.query = (data.get("q") or "").strip()
        self.by_key = {column.key: column for column in columns if column.order}
        sort = data.get("sort") or default_sort
        if sort.lstrip("-") not in self.by_key:
            sort = default_sort
        self.sort = sort
        self.source = queryset
        self.per_page = per_page
        requested = data.get("page") or "1"
        # ASCII digits only: str.isdigit() accepts "²" and "①", which int() refuses.
        self.number = max(1, int(requested)) if _DIGITS.fullmatch(requested) else 1
        self.bases = bases or {}
        self.prepare = prepare
        # Nothing is read yet: a table whose fragments are cached (whippy/fragments.py) is
        # shown without its rows ever being read.
        self.fragments = fragments

    @cached_property
    def queryset(self) -> QuerySet:
        """The rows searched and sorted. The source may be a function that makes the query:
        building one with annotations costs a millisecond, which a cached table saves."""
        queryset = self.source() if callable(self.source) else self.source
        if self.query:
            queryset = self.matching(queryset, self.spec.search)
        order = self.by_key[self.sort.lstrip("-")].order
        return self.ordered(queryset, order, self.sort.startswith("-"))

    @cached_property
    def paginator(self) -> Paginator:
        return Paginator(self.queryset, self.per_page)

    @cached_property
    def page(self) -> Page:
        return self.paginator.get_page(self.number)

    @property
    def out_of_range(self) -> bool:
        return self.number > self.paginator.num_pages

    @cached_property
    def rows(self) -> list:
        rows = self.page_rows(self.queryset, self.per_page)
        self.link_rows(rows)
        if self.prepare is not None:
            self.prepare(rows)  # what the rows show beyond their query (per-page lookups)
        return rows

    def fragment(self, name: str, render: Callable[[dict[str, str]], str], context: Any) -> str:
        """One of the table's fragments ("rows", "search"): from the cache when this table,
        in this state, was rendered for the same setup version, role, time zone and language;
        rendered, and kept, when not (see whippy/fragments.py)."""
        if self.fragments is None:
            return render({})
        state = (self.spec.url_name, self.path, self.query, self.sort, self.number, self.per_page)
        return self.fragments.fragment(name, render, context, *state, sorted(self.extra.items()))

    # What the rows are: a query (here), or rows computed in Python (ListTable).

    def matching(self, queryset: QuerySet, fields: list[str]) -> QuerySet:
        return queryset.filter(
            reduce(or_, (Q(**{f"{field}__icontains": self.query}) for field in fields))
        )

    def ordered(self, queryset: QuerySet, order: str, descending: bool) -> QuerySet:
        prefix = "-" if descending else ""
        return queryset.order_by(f"{prefix}{order}", f"{prefix}pk")

    def link_rows(self, rows: list) -> None:
        # Row templates read them as row.links["name"]: a dict's item, found at once (as an
        # attribute, Jinja2 first tries getattr and catches its AttributeError).
        common = {"path": self.path, **self.bases}
        for row in rows:
            values = {**common, "row": row}
            row.links = {
                name: link.template.format_map(values) for name, link in self.spec.links.items()
            }

    def page_rows(self, queryset: QuerySet, per_page: int) -> list:
        # Two steps, so a deep page walks an index for its keys and then reads only its own
        # rows (with their annotations and prefetches), instead of reading every row before it.
        # The second step reads by key alone: the keys are the first step's, its conditions
        # need not hold twice, and SQLite, given both, walked an account's 1,000 domains for
        # 50 attachments (9 ms) instead of reading them by key.
        start = (self.page.number - 1) * per_page
        keys = list(queryset.values_list("pk", flat=True)[start : start + per_page])
        if not keys:
            return []
        by_key = queryset.order_by()
        by_key.query.where = WhereNode()
        by_key = {row.pk: row for row in by_key.filter(pk__in=keys)}
        return [by_key[key] for key in keys if key in by_key]

    def url(self, **changes: Any) -> str:
        state = {"q": self.query, "sort": self.sort, **changes}
        if "page" not in state:
            state["page"] = self.page.number
        params = {**self.extra}
        if state["q"]:
            params["q"] = state["q"]
        if state["sort"] != self.default_sort:
            params["sort"] = state["sort"]
        if state["page"] and int(state["page"]) > 1:
            params["page"] = state["page"]
        return f"{self.path}?{urlencode(params)}" if params else self.path

    @property
    def headers(self) -> list[dict[str, Any]]:
        headers = []
        for column in self.columns:
            active = self.sort.lstrip("-") == column.key
            descending = active and self.sort.startswith("-")
            header: dict[str, Any] = {"label": column.label, "numeric": column.numeric}
            if column.order:
                # A click sorts by the column; a second click reverses it.
                next_sort = column.key if descending or not active else f"-{column.key}"
                if not active and column.key == "created":
                    next_sort = "-created"  # newest first is what people want first
                header |= {
                    "url": self.url(sort=next_sort, page=1),
                    "active": active,
                    "aria_sort": "descending" if descending else "ascending",
                    "arrow": "↓" if descending else "↑",
                }
            headers.append(header)
        return headers

    @property
    def page_links(self) -> list[dict[str, Any] | None]:
        """Page numbers around the current one, with the first and the last; None is a gap."""
        last = self.paginator.num_pages
        current = self.page.number
        numbers = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
        links: list[dict[str, Any] | None] = []
        for index, number in enumerate(numbers):
            if index and number - numbers[index - 1] > 1:
                links.append(None)
            links.append(
                {"number": number, "url": self.url(page=number), "current": number == current}
            )
        return links

    @property
    def previous_url(self) -> str | None:
        return self.url(page=self.page.previous_page_number()) if self.page.has_previous() else None

    @property
    def next_url(self) -> str | None:
        return self.url(page=self.page.next_page_number()) if self.page.has_next() else None

    @property
    def clear_url(self) -> str:
        return self.url(q="", page=1)


class ListTable(Table):
    """A table of rows computed in Python rather than read by a query (the setup review's
    findings, cached): the same state in the URL, headers, pages and templates. Search looks
    in the spec's attributes, case-insensitively; a sort keeps the rows' order among equals."""

    def matching(self, rows: list, fields: list[str]) -> list:
        needle = self.query.casefold()
        return [
            row for row in rows if any(needle in str(getattr(row, f)).casefold() for f in fields)
        ]

    def ordered(self, rows: list, order: str, descending: bool) -> list:
        return sorted(rows, key=lambda row: getattr(row, order), reverse=descending)

    def page_rows(self, rows: list, per_page: int) -> list:
        return list(self.page.object_list)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.spec.links:
            raise ValueError("A ListTable's rows carry their own links: its spec names none.")

    def link_rows(self, rows: list) -> None:
        pass  # computed rows (frozen) carry their own links (a finding's fix_url)


def table_partial(request: HttpRequest, table_target: str, default: str) -> str:
    """The table alone when HTMX asked to swap it (search, sort, page), else the default."""
    if request.htmx and request.htmx.target == table_target:
        return table_target
    return default
