"""URLs reversed once per process: reverse() walks the URL patterns on every call (about 25 µs),
and an account page names a dozen URLs (its header, its tabs, its table's address).

A URL depends only on the view's name, its arguments, the script prefix the app is served
under and the URLconf: all four are the key, so a kept answer is the one reverse() would give.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix
from django.urls import get_urlconf
from django.urls import reverse


def url_of(viewname: str, *args: Any) -> str:
    """reverse(viewname, args=args), kept."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reversed(viewname, args, get_script_prefix(), urlconf)


@lru_cache(maxsize=4096)
def _reversed(viewname: str, args: tuple[Any, ...], prefix: str, urlconf: str) -> str:
    # prefix is only a key: reverse() reads the same script prefix itself.
    return reverse(viewname, urlconf=urlconf, args=args)
