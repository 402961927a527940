"""The big tables' rows by hand-written SQL: what the first view after a change costs.

For these tables the database does its share in a fraction of a millisecond, and the ORM spent
ten times that around it: building and cloning an annotated query (0.5 ms), compiling it for
its key, row and count queries (0.3 to 0.6 ms each) and converting the rows (0.9 ms for 50).
A Select says, once per table, what the ORM would have worked out on every request: the
table's FROM, its condition on the parent's key, the SQL of each column it sorts or searches
by, its per-row counts and the rows joined to it. SqlRows runs the three queries a page needs
(its count, its keys, its rows by key) with the same SQL the ORM wrote for these tables: the
same case-insensitive LIKE (PostgreSQL's trigram index serves it), escaping, order and ties.
The rows are model instances, converted as the ORM converts them (whippy.db.instance), so the
templates and the code that reads them do not change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from functools import cached_property
from typing import Any

from django.core.paginator import Page
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Model

from whippy.db import columns
from whippy.db import maker
from whippy.tables import Table

SELECTIVE = 2_000  # rows an index of trigrams may name for a search to use it
# PostgreSQL's trigram indexes take only letters and digits, so "USER-42-" asked for the words
# USER and 42, wherever they are: 1,099 candidates among 100,000 SIP users (every user-N-42),
# each read again from the table (4 ms). Its index of a field is of the field as this spells it
# (upper case, every other character a 0: "USER0420"), one word of all its characters, and the
# term spelled the same way names 201 candidates. The same function of both sides: whatever
# contains the term contains it spelled so, and the LIKE still tests every candidate.
SPELLED = "regexp_replace({}, '[^A-Z0-9]', '0', 'g')"
# A row's lines (Select.lines), joined by newlines: (SQLite, PostgreSQL).
_LINES = ("group_concat({}, char(10))", "string_agg({}, chr(10))")
_TRIGRAM = re.compile(r"[^%_]{3}")


@dataclass(frozen=True)
class Joined:
    """A row joined to the table's (a SIP user's credential list): read with the rows, set as
    their attribute, and joined in the count and key queries only where their SQL names it.
    Only the fields the rows show are read (a SIP domain has a dozen), the others deferred."""

    attribute: str
    model: type[Model]
    alias: str
    on: str
    only: tuple[str, ...]

    @property
    def sql(self) -> str:
        table = connection.ops.quote_name(self.model._meta.db_table)
        return f"INNER JOIN {table} {self.alias} ON {self.on}"

    def having(self, model: type[Model], test: str) -> str:
        """The condition that t's joined row passes this test (SQL of the joined row's fields,
        by its alias), as the keys of the joined rows that pass it, found once: the joined
        table is not joined for it. The Credential Attachments' search tested the domain's and
        the list's names of each of 5,000 attachments (4.3 ms on PostgreSQL); it now tests
        each domain and list once, and looks the attachments up by theirs."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        key = connection.ops.quote_name(model._meta.get_field(self.attribute).column)
        inner = f"{self.alias}_"  # another alias: the query does not join the table for this
        test = test.replace(f"{self.alias}.", f"{inner}.")
        found = f"SELECT {inner}.{self.model._meta.pk.column} FROM {table} {inner} WHERE {test}"  # noqa: S608
        return f"t.{key} IN ({found})"


@dataclass(frozen=True)
class Select:
    """How a table's rows are read: its model (aliased t), the condition on its parent's key,
    the SQL of each field its spec sorts or searches by (by their ORM names, as in the
    spec's columns), the counts each row shows, and the rows joined to it. Where the
    database keeps the number of a parent's rows, total is the query that reads it (one %s,
    the parent's key), used when nothing is searched. trigram names, for a field, SQLite's
    FTS5 table of its trigrams and its column there (on PostgreSQL, the field has an index of
    its trigrams as SPELLED): a search of that field asks it first which rows may match. lines are what a row
    shows of other tables (the domains a list is attached to): for a name, an expression and
    the FROM ... WHERE ... of its values for row t, read with the row as its sorted lines."""

    model: type[Model]
    parent: str  # a condition with one %s, the parent's key: "t.account_id = %s"
    fields: dict[str, str]
    counts: dict[str, str] = field(default_factory=dict)
    joined: tuple[Joined, ...] = ()
    total: str = ""
    trigram: dict[str, tuple[str, str]] = field(default_factory=dict)
    lines: dict[str, tuple[str, str]] = field(default_factory=dict)

    def of(self, parent: int) -> SqlRows:
        return SqlRows(self, ((self.parent, (parent,)),))


@dataclass(frozen=True)
class SqlRows:
    """The rows of one parent, searched and sorted: what a Table pages through (a Paginator
    counts them and takes a page of them by slicing)."""

    select: Select
    conditions: tuple[tuple[str, tuple[Any, ...]], ...]
    order: tuple[tuple[str, str], ...] = (
        ("t.id", "ASC"),
    )  # (SQL, direction): by key until ordered()

    def matching(self, term: str, fields: list[str]) -> SqlRows:
        """Rows where any of these fields contains the term, in any case: Django's icontains."""
        lookup = connection.ops.lookup_cast("icontains", "CharField")
        operator = connection.operators["icontains"]
        pattern = f"%{connection.ops.prep_for_like_query(term)}%"
        tests = [self._contains(self.select.fields[name], lookup, operator) for name in fields]
        condition = (f"({' OR '.join(tests)})", (pattern,) * len(tests))
        narrowed = self._narrowed(term, fields)
        conditions = self.conditions
        if narrowed:
            # A unary + keeps the database off the parent's index: SQLite would walk the
            # account's 100,000 keys testing each against the few the index named (12 ms), not
            # read these; PostgreSQL's plan for any account read all of them too, to AND them
            # with the index's (2 ms).
            (parent, values), *others = conditions
            conditions = (("+" + parent, values), *others)
        return replace(self, conditions=(*conditions, *narrowed, condition))

    def _contains(self, sql: str, lookup: str, operator: str) -> str:
        """The test that this field (its SQL) contains the term: of t's row as it is, of a
        joined row's as a Joined.having."""
        test = f"{lookup % sql} {operator % '%s'}"
        for join in self.select.joined:
            if sql.startswith(f"{join.alias}."):
                return join.having(self.select.model, test)
        return test

    def _narrowed(self, term: str, fields: list[str]) -> tuple[tuple[str, tuple], ...]:
        """Where the field has an index of trigrams: a condition before the LIKE (which still
        tests each row it lets through) that the index answers, when the term has three
        characters it can ask about. On PostgreSQL, the field spelled as its index is
        (SPELLED) contains the term spelled so. On SQLite, the rows its FTS5 table of trigrams
        names, when they are few (SELECTIVE): reading 100,000 of them costs ten times a plain
        scan."""
        if len(fields) != 1 or fields[0] not in self.select.trigram:
            return ()
        if connection.vendor == "postgresql" and len(term) >= 3:
            return ((spelled_contains(self.select.fields[fields[0]]), (term,)),)
        if connection.vendor != "sqlite" or not _TRIGRAM.search(term):
            return ()
        table, column = self.select.trigram[fields[0]]
        # No escaping: a % or _ typed is a wildcard here, which only widens what may match.
        sql = f"SELECT rowid FROM {table} WHERE {column} LIKE %s LIMIT {SELECTIVE + 1}"  # noqa: S608
        keys = tuple(key for (key,) in self._run(sql, [f"%{term}%"]))
        if len(keys) > SELECTIVE:
            return ()
        # Asked once: the count and the page's keys are given the keys it named.
        return ((f"t.id IN ({places(keys)})", keys) if keys else ("1 = 0", ()),)

    def ordered(self, name: str, descending: bool) -> SqlRows:
        direction = "DESC" if descending else "ASC"
        sql = self.select.fields.get(name) or self.select.counts[name]
        return replace(self, order=((sql, direction), ("t.id", direction)))

    def _order_by(self, *names: str, backwards: bool = False) -> str:
        """The ORDER BY's terms; of these names (a CTE's columns) for its expressions, if given;
        backwards, every direction turned round (the last row first)."""
        expressions = names or [sql for sql, _ in self.order]
        turned = {"ASC": "DESC", "DESC": "ASC"} if backwards else {"ASC": "ASC", "DESC": "DESC"}
        return ", ".join(
            f"{sql} {turned[direction]}"
            for sql, (_, direction) in zip(expressions, self.order, strict=True)
        )

    def _from(self, *sql: str) -> str:
        """The table, and the joins that this SQL (conditions, order, columns) names."""
        table = connection.ops.quote_name(self.select.model._meta.db_table)
        used = " ".join(sql)
        joins = [join.sql for join in self.select.joined if f"{join.alias}." in used]
        return " ".join([f"{table} t", *joins])

    def _where(self) -> tuple[str, list[Any]]:
        sql = " AND ".join(condition for condition, _ in self.conditions)
        return sql, [value for _, values in self.conditions for value in values]

    def _count(self) -> tuple[str, list[Any]]:
        if self.select.total and len(self.conditions) == 1:  # the parent's rows, unsearched
            return self.select.total, list(self.conditions[0][1])
        where, params = self._where()
        return f"SELECT COUNT(*) FROM {self._from(where)} WHERE {where}", params  # noqa: S608

    def count(self) -> int:
        found = self._run(*self._count())
        return (found[0][0] if found else 0) or 0

    def _keys(self, start: int, stop: int) -> tuple[str, list[Any]]:
        where, params = self._where()
        order = self._order_by()
        sql = (
            f"SELECT t.id FROM {self._from(where, order)} WHERE {where} "  # noqa: S608
            f"ORDER BY {order} LIMIT {size(start, stop)} OFFSET %s"
        )
        return sql, [*params, start]

    def _keys_from_nearer_end(self, start: int, stop: int) -> tuple[str, list[Any]]:
        """The keys of rows start to stop, read from the end they are nearer to, where the
        database keeps the number of the parent's rows (Select.total) and nothing is searched:
        past the middle, the rows are read backwards, past the rows after them. Page 2,000 of
        an account's 100,000 SIP users walked 99,950 keys of the index first; now 0, and no
        page walks more than half of them. Both parts are in the query; the one for the other
        end is given LIMIT 0 and reads nothing (the count is the kept one: one index lookup)."""
        where, params = self._where()
        order = self._order_by()
        table = self._from(where, order)
        # The kept number of rows (n), the first row of the page and the one past its last.
        kept = f"COALESCE(({self.select.total}), 0)"
        page = f"WITH page AS (SELECT {kept} AS n, %s AS first, %s AS past)"
        forward = (
            f"SELECT t.id FROM {table} WHERE {where} ORDER BY {order} "  # noqa: S608 (see _run)
            "LIMIT (SELECT CASE WHEN 2 * first <= n THEN past - first ELSE 0 END FROM page) "
            "OFFSET %s"
        )
        # Backwards, the page's rows are those past the last n - past rows: as many as there
        # are before past, after first (none on a page past the last).
        backward = (
            f"SELECT t.id FROM {table} WHERE {where} "  # noqa: S608 (see _run)
            f"ORDER BY {self._order_by(backwards=True)} "
            "LIMIT (SELECT CASE WHEN 2 * first > n AND n > first "
            "THEN (CASE WHEN n < past THEN n ELSE past END) - first ELSE 0 END FROM page) "
            "OFFSET (SELECT CASE WHEN n > past THEN n - past ELSE 0 END FROM page)"
        )
        # The last LIMIT changes no row: it tells PostgreSQL's planner how many there are (it
        # guessed 10,000 from the LIMITs it cannot work out, and planned, and compiled, for them).
        sql = (
            f"{page} SELECT id FROM ({forward}) f UNION ALL SELECT id FROM ({backward}) b "  # noqa: S608
            f"LIMIT {size(start, stop)}"
        )
        return sql, [*self.conditions[0][1], start, stop, *params, start, *params]

    def keys(self, start: int, stop: int) -> list[int]:
        return [key for (key,) in self._run(*self._keys(start, stop))]

    def _columns(self) -> str:
        select = self.select
        selected = [columns(select.model, "t")]
        selected += [f"{sql} AS {name}" for name, sql in select.counts.items()]
        aggregate = _LINES[connection.vendor == "postgresql"]
        selected += [
            f"(SELECT {aggregate.format(expression)} {rest}) AS {name}"
            for name, (expression, rest) in select.lines.items()
        ]
        selected += [columns(join.model, join.alias, join.only) for join in select.joined]
        return ", ".join(selected)

    def _rows(self, found: Iterable[Sequence[Any]]) -> list[Model]:
        """Model instances of these rows of _columns, with their counts, lines and joined rows."""
        select = self.select
        own = len(select.model._meta.concrete_fields)
        make = maker(select.model)
        # A joined row goes where select_related puts it (the relation's cache): through the
        # relation's descriptor, each also set the key it already has (4 µs a row).
        joined = [
            (join, maker(join.model, join.only), select.model._meta.get_field(join.attribute))
            for join in select.joined
        ]
        rows = []
        for values in found:
            row = make(values[:own])
            at = own
            for name in select.counts:
                setattr(row, name, values[at])
                at += 1
            for name in select.lines:
                setattr(row, name, sorted(set(values[at].split("\n"))) if values[at] else [])
                at += 1
            for join, make_joined, relation in joined:
                size = len(join.only)
                relation.set_cached_value(row, make_joined(values[at : at + size]))
                at += size
            rows.append(row)
        return rows

    def by_key(self, keys: list[int]) -> list[Model]:
        """These rows, in this order, with their counts and joined rows."""
        if not keys:
            return []
        what = self._columns()
        sql = f"SELECT {what} FROM {self._from(what)} WHERE t.id IN ({places(keys)})"  # noqa: S608
        rows = {row.pk: row for row in self._rows(self._run(sql, keys))}
        return [rows[key] for key in keys if key in rows]

    def window(self, start: int, stop: int) -> tuple[int | None, list[Model]]:
        """The number of rows, and the rows from start to stop, in one query (a round trip
        to PostgreSQL costs more than what the database does here). The page's keys are read
        first, on an index past the rows before them, then only their rows; the count is
        beside each row (evaluated once: it names no row). None when the window is empty,
        which says nothing of the count (a search that finds nothing, a page past the last)."""
        what = self._columns()
        order = self._order_by()
        if len(self.conditions) > 1:
            # Searched: the rows that match are found once, for the count and for the keys
            # (each tested the LIKE on every candidate: 1,099 for "user-42-" on PostgreSQL).
            found, found_params = self._found()
            count = "SELECT COUNT(*) FROM found"
            keys = self._found_keys(start, stop)
            params = [*found_params, start]
        else:
            found = ""
            count, count_params = self._count()
            nearer = self.select.total and start > 0  # the first page is read forwards
            keys, key_params = (self._keys_from_nearer_end if nearer else self._keys)(start, stop)
            params = [*count_params, *key_params]
        sql = (
            f"{found}SELECT ({count}), {what} FROM {self._from(what, order)} "  # noqa: S608
            f"WHERE t.id IN ({keys}) ORDER BY {order}"
        )
        rows = self._run(sql, params)
        if not rows:
            return None, []
        return rows[0][0] or 0, self._rows(values[1:] for values in rows)

    def _found(self) -> tuple[str, list[Any]]:
        """WITH found: the key and the sort values of every row that matches."""
        where, params = self._where()
        expressions = [sql for sql, _ in self.order]
        selected = ", ".join(f"{sql} AS o{at}" for at, sql in enumerate(expressions))
        sql = (
            f"WITH found AS MATERIALIZED (SELECT t.id, {selected} "  # noqa: S608 (see _run)
            f"FROM {self._from(where, *expressions)} WHERE {where}) "
        )
        return sql, params

    def _found_keys(self, start: int, stop: int) -> str:
        names = [f"o{at}" for at in range(len(self.order))]
        order = self._order_by(*names)
        return f"SELECT id FROM found ORDER BY {order} LIMIT {size(start, stop)} OFFSET %s"  # noqa: S608

    def __getitem__(self, window: slice) -> list[Model]:
        if window.stop <= window.start:
            return []
        # Two steps, so a deep page walks an index for its keys and reads only its own rows.
        return self.by_key(self.keys(window.start, window.stop))

    @staticmethod
    def _run(sql: str, params: list[Any]) -> list[tuple]:
        # The SQL is made of the Selects' own text (sip/selects.py) and the column names of
        # models; everything a request brings (a parent's key, a search, a page) is a parameter.
        return fetch_all(sql, params)


def size(start: int, stop: int) -> int:
    """A window's number of rows, written into its SQL rather than sent as a parameter: the
    page's size is the code's own number (whippy.tables.PER_PAGE), never a request's. PostgreSQL
    plans a prepared statement once for every request (its generic plan), and for a LIMIT it is
    not told it guessed a tenth of the rows: SIP Users hash-joined all 1,500 lists of the table
    for a page of 50, and the attachments sorted all 5,000 of the account's."""
    return int(stop - start)


def spelled_contains(sql: str) -> str:
    """PostgreSQL: the condition that this field (its SQL), spelled as its index of trigrams is
    (SPELLED), contains the term (one %s) spelled so."""
    lookup = connection.ops.lookup_cast("icontains", "CharField")  # UPPER(%s::text)
    # %% is a % in the SQL: the term's own % and _ are spelled 0, no wildcard.
    return f"{SPELLED.format(lookup % sql)} LIKE '%%' || {SPELLED.format(lookup % '%s')} || '%%'"


def fetch_all(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def places(values: Any) -> str:
    """The placeholders of an IN (...) of these values."""
    return ", ".join(["%s"] * len(values))


class SqlTable(Table):
    """A Table whose rows are SqlRows (an account's SIP domains, say) instead of a query."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        select = self.source.select
        known = {*select.fields, *select.counts}
        missing = {c.order for c in self.columns if c.order} - known
        missing |= set(self.spec.search) - set(select.fields)
        if missing:
            raise ValueError(f"The table's Select has no SQL for {sorted(missing)}.")

    def matching(self, rows: SqlRows, fields: list[str]) -> SqlRows:
        return rows.matching(self.query, fields)

    def ordered(self, rows: SqlRows, order: str, descending: bool) -> SqlRows:
        return rows.ordered(order, descending)

    @cached_property
    def page(self) -> Page:
        """The page's rows and the number of rows, from one query; where it finds no row (no
        match, or a page past the last: Django's paginator shows the last), counted after."""
        start = (self.number - 1) * self.per_page
        count, rows = self.queryset.window(start, start + self.per_page)
        if count is None:
            return Counted(self.queryset, self.per_page, self.queryset.count()).get_page(
                self.number
            )
        return Page(rows, self.number, Counted(self.queryset, self.per_page, count))

    @cached_property
    def paginator(self) -> Paginator:
        return self.page.paginator

    def page_rows(self, rows: SqlRows, per_page: int) -> list:
        return list(self.page.object_list)


class Counted(Paginator):
    """A paginator told the number of rows (read with a page of them)."""

    def __init__(self, rows: SqlRows, per_page: int, count: int) -> None:
        super().__init__(rows, per_page)
        self.count = count
