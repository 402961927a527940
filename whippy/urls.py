from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include
from django.urls import path

from accounts import security_views
from accounts import views as account_views
from accounts.forms import LoginForm

urlpatterns = [
    path("", account_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", security_views.two_factor_verify, name="two-factor-verify"),
    path("login/again/", security_views.reauth, name="reauth"),
    path("security/", security_views.security, name="security"),
    path(
        "security/sessions/sign-out-others/",
        security_views.sign_out_others,
        name="sign-out-others",
    ),
    path("security/two-factor/", security_views.two_factor_setup, name="two-factor-setup"),
    path(
        "security/two-factor/remove/",
        security_views.two_factor_remove,
        name="two-factor-remove",
    ),
    path(
        "security/recovery-codes/",
        security_views.recovery_codes_renew,
        name="recovery-codes-renew",
    ),
    path("session/", account_views.session_status, name="session-status"),
    path("o/<slug:org_slug>/accounts/", include("accounts.urls")),
    path("o/<slug:org_slug>/activity/", account_views.activity_list, name="org-activity"),
    path("o/<slug:org_slug>/security/", account_views.organization_security, name="org-security"),
    path("o/<slug:org_slug>/accounts/<int:account_id>/", include("sip.urls")),
    path("django-admin/", admin.site.urls),
]
