from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """Date and time (24 h) in the active (organization's) time zone, with the exact timestamp
    and the zone on hover."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    # Digits, letters and punctuation only: nothing here needs escaping (and tables call this
    # a hundred times a page).
    return mark_safe(  # noqa: S308
        f'<time datetime="{value.isoformat()}" title="{local:%Y-%m-%d %H:%M:%S %Z}">'
        f"{local:%b} {local.day}, {local.year} {local:%H:%M}</time>"
    )


@register.filter
def duration(value: timedelta) -> str:
    """A length of time in words: "15 minutes", "1 hour 30 minutes", "45 seconds"."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "a moment"
