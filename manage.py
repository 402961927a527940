#!/usr/bin/env python
from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whippy.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018  (loads the settings now, to say plainly what is wrong)
    except ImproperlyConfigured as error:
        sys.exit(f"{error}. For a local run, set DEBUG=true (see the README).")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
