"""The Django admin: for superusers only.

Staff status alone opens nothing here: the admin spans every organization, and its pages are
not where organization admins work (they have the app, which checks their membership and role).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class SuperuserAdminSite(admin.AdminSite):
    site_header = "Whippy administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser


class SuperuserAdminConfig(AdminConfig):
    default_site = "whippy.admin.SuperuserAdminSite"
