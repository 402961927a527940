from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db import IntegrityError
from django.db import connection
from django.db import connections
from django.db import transaction
from django.db.models import Count
from django.db.models import IntegerField
from django.db.models import Model
from django.db.models import OuterRef
from django.db.models import Subquery
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.functions import Coalesce
from django.http import Http404


def count_of(model: type[Model], parent_field: str, counted: str = "pk") -> Coalesce:
    """A per-row count as a correlated subquery: rows of model whose parent_field is the outer
    row (distinct values of `counted`, when given).

    One query for the whole page, and no join fan-out when a row has several counts.
    """
    rows = (
        model.objects.filter(**{parent_field: OuterRef("pk")})
        .order_by()
        .values(parent_field)
        .annotate(n=Count(counted, distinct=counted != "pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def storable(key: int) -> bool:
    """Whether a table could hold this key: one that could not is in no table, and the
    database could not even compare it (SQLite and PostgreSQL stop at 2**63 - 1)."""
    return 0 < key < 2**63


def concrete(model: type[Model], only: Sequence[str] = ()) -> list:
    """The model's fields with a column, in their order; only those named (attnames), if given."""
    fields = model._meta.concrete_fields
    return [field for field in fields if field.attname in only] if only else list(fields)


def columns(model: type[Model], alias: str, only: Sequence[str] = ()) -> str:
    """The model's columns (or only these), in its fields' order, for a hand-written SELECT
    (see instance())."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in concrete(model, only))


def instance(model: type[Model], values: Sequence[Any], only: tuple[str, ...] = ()) -> Model:
    """A model instance from the values columns() selected, converted as the ORM converts them
    (SQLite gives a date and time as text, for one). With only, the other fields are deferred,
    as with QuerySet.only(): reading one is a query."""
    return maker(model, only)(values)


def maker(model: type[Model], only: tuple[str, ...] = ()) -> Callable[[Sequence[Any]], Model]:
    """What instance() does, for many rows of one query: worked out once for all of them."""
    db = connections[DEFAULT_DB_ALIAS]  # once, not through the proxy for every value
    size, names, conversions = _reading(model, db.vendor, only)
    alias = db.alias
    plain = _plain(model)

    def make(values: Sequence[Any]) -> Model:
        converted = list(values)
        if len(converted) != size:
            raise ValueError(f"{len(converted)} values for {model.__name__}'s columns")
        for index, column, converters in conversions:
            value = converted[index]
            for convert in converters:
                value = convert(value, column, db)
            converted[index] = value
        if not plain:
            return model.from_db(alias, names if only else None, converted)
        # What from_db makes, without Model.__init__'s walk through every field (5 µs a row,
        # a tenth of that here): the values in the instance's __dict__ (a field left out is
        # deferred, as Django tells them), and a state that says the row is in this database.
        row = model.__new__(model)
        row.__dict__.update(zip(names, converted, strict=True))
        row._state = state = ModelState()
        state.adding = False
        state.db = alias
        return row

    return make


def _plain(model: type[Model]) -> bool:
    """Whether the model is made as Model makes it: no __init__ or from_db of its own and no
    receiver of its pre_init or post_init signals, which the quick way in instance() skips."""
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and not signals.pre_init.has_listeners(model)
        and not signals.post_init.has_listeners(model)
    )


@cache
def _reading(model: type[Model], vendor: str, only: tuple[str, ...]) -> tuple:
    """How many columns are read, their names where some are deferred, and the columns that
    the ORM converts after reading, with their converters: the same for every row, so worked
    out once per model, database and set of columns."""
    fields = concrete(model, only)
    conversions = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            conversions.append((index, column, converters))
    return len(fields), [field.attname for field in fields], conversions


def read_value(model: type[Model], name: str, value: Any) -> Any:
    """A value of the model's field as the database gave it to raw SQL, converted as the ORM
    converts it (SQLite gives a date and time as text)."""
    field = model._meta.get_field(name)
    column = field.get_col(model._meta.db_table)
    for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


def get_row(model: type[Model], pk: int, **equal: int) -> Model | None:
    """The row of this key whose fields equal these (say account=3), or None: what
    Model.objects.filter(pk=pk, **equal).first() gives, for a page that runs it every time
    (the ORM spends half a millisecond building it; the database a twentieth)."""
    if not storable(pk):
        return None
    return next(iter(get_rows(model, pk=pk, **equal)), None)


def get_rows(model: type[Model], **equal: Any) -> list[Model]:
    """The rows whose fields equal these, a list or tuple meaning any of its values (say
    account=3, domain=["a", "b"]): Model.objects.filter(account=3, domain__in=[...]), in no
    particular order, as one query that the ORM does not build."""
    quote = connection.ops.quote_name
    conditions, values = [], []
    for name, value in equal.items():
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        choices = value if isinstance(value, list | tuple) else [value]
        if not choices:
            return []  # IN () matches nothing (and is no SQL on PostgreSQL)
        conditions.append(f"t.{quote(field.column)} IN ({', '.join(['%s'] * len(choices))})")
        values += choices
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(model, 't')} FROM {table} t WHERE {' AND '.join(conditions)}",  # noqa: S608
            values,
        )
        return list(map(maker(model), cursor.fetchall()))


def lock(model: type[Model], pk: int) -> bool:
    """Locks a row until the request's transaction ends; False if it is gone.

    Writes that create or delete children lock the parent row first, so a create and a delete
    of the same parent run one after the other instead of leaving a dangling row (PostgreSQL;
    SQLite serializes writers anyway).
    """
    # exists() would drop FOR UPDATE; fetching the key keeps it.
    return bool(list(model.objects.select_for_update().filter(pk=pk).values_list("pk")))


def lock_rows(*rows: tuple[type[Model], Any]) -> None:
    """Locks a row of each model, in the order given, in one statement, until the request's
    transaction ends (rows joined: if one of them is gone, none is locked).

    On PostgreSQL, one round trip instead of one a row. SQLite needs no row locks: its write
    transactions (BEGIN IMMEDIATE, see settings) already run one after the other.
    """
    if not connection.features.has_select_for_update:
        return
    name = connection.ops.quote_name
    tables = ", ".join(f"{name(model._meta.db_table)} r{n}" for n, (model, _) in enumerate(rows))
    tests = " AND ".join(
        f"r{n}.{name(model._meta.pk.column)} = %s" for n, (model, _) in enumerate(rows)
    )
    sql = f"SELECT 1 FROM {tables} WHERE {tests} FOR UPDATE"  # noqa: S608 (names, quoted)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk for _, pk in rows])


def save_unique(obj: Model, field: str, message: str, **save_kwargs: object) -> None:
    """Saves; a uniqueness race lost to another request becomes the field error validation gives.

    Validation checks uniqueness first, but two requests can both pass it: the database
    constraint decides. The savepoint keeps the caller's transaction usable after the loss.
    """
    try:
        with transaction.atomic():
            obj.save(**save_kwargs)
    except IntegrityError as error:
        raise ValidationError({field: message}) from error


class Gone(Http404):
    """A row a write depends on was deleted by another request a moment ago (a 404 wherever
    nothing catches it)."""


def lock_or_gone(model: type[Model], pk: int) -> None:
    if not lock(model, pk):
        raise Gone(f"That {model._meta.verbose_name} was deleted a moment ago.")


def keeping_view(view: str, *operations: Any) -> list:
    """Migration operations that rebuild a table a view reads, with the view kept.

    SQLite adds or alters a column by rebuilding the table, which a view on it does not
    survive: the view's own SQL is read, the view dropped, and made again afterwards.
    PostgreSQL changes tables in place and needs none of this.
    """
    from django.db import migrations

    saved: dict[str, str] = {}

    def set_aside(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = %s", [view]
                )
                saved["sql"] = cursor.fetchone()[0]
            schema_editor.execute(f"DROP VIEW {view}")

    def put_back(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(saved.pop("sql"))

    return [
        migrations.RunPython(set_aside, put_back),
        *operations,
        migrations.RunPython(put_back, set_aside),
    ]
