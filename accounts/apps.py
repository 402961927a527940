from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Organizations and provider accounts"

    def ready(self) -> None:
        from accounts import sessions  # noqa: F401 (its signal receivers)
        from accounts import two_factor

        two_factor.connect_axes()  # the sign-in history records lockouts
