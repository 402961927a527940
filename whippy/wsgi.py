from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whippy.settings")
application = get_wsgi_application()

# What a process loads at start (Django's apps, models and settings, and the URL patterns with
# the views they import, loaded here rather than by the first request) lives as long as the
# process. Frozen, Python's collector no longer walks those 95,000 objects again in each of its
# full collections, which come every hundred requests or so: 53 ms each on a SIP Users page
# (a p99 of their own at 8 connections), 7 ms frozen. Each worker imports this module itself.
get_resolver().url_patterns  # noqa: B018 (imported for its side effect)
gc.freeze()
