from __future__ import annotations

from django.db.models import Count, IntegerField, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce


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


def lock(model: type[Model], pk: int) -> bool:
    """Locks a row until the request's transaction ends; False if it is gone.

    Writes that create or delete children lock the parent row first, so a create and a delete
    of the same parent run one after the other instead of leaving a dangling row (PostgreSQL;
    SQLite serializes writers anyway).
    """
    # exists() would drop FOR UPDATE; fetching the key keeps it.
    return bool(list(model.objects.select_for_update().filter(pk=pk).values_list("pk")))
