from __future__ import annotations

from django.apps import AppConfig


class SipConfig(AppConfig):
    name = "sip"
    verbose_name = "SIP setup"
