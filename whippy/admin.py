"""The Django admin: for superusers only.

Staff status alone opens nothing here: the admin spans every organization, and its pages are
not where organization admins work (they have the app, which checks their membership and role).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.http import HttpResponse


class SuperuserAdminSite(admin.AdminSite):
    site_header = "Whippy administration"

    def has_permission(self, request: HttpRequest) -> bool:
        from accounts import two_factor

        # The same second factor as the app: a superuser's session must have given its code.
        user = request.user
        return user.is_active and user.is_superuser and two_factor.verified(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """A superuser signed in without a second factor is asked to set one up (one who has
        it gives its code first: accounts.two_factor.TwoFactorMiddleware)."""
        from accounts import two_factor

        user = request.user
        if user.is_active and user.is_superuser and not two_factor.verified(request):
            return two_factor.go_to(request, "two-factor-setup")
        return super().login(request, extra_context)


class SuperuserAdminConfig(AdminConfig):
    default_site = "whippy.admin.SuperuserAdminSite"
