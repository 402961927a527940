from __future__ import annotations

from django.db.models import Count, IntegerField, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_of(
    model: type[Model], parent_field: str, counted: str = "pk", *, via: str = "pk"
) -> Coalesce:
    """A per-row count as a correlated subquery: rows of model whose parent_field is the outer
    row's `via` field (its primary key unless said otherwise).

    One query for the whole page, and no join fan-out when a row has several counts.
    """
    rows = (
        model.objects.filter(**{parent_field: OuterRef(via)})
        .order_by()
        .values(parent_field)
        .annotate(n=Count(counted, distinct=counted != "pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
