from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="account-list"),
    path("new/", views.account_create, name="account-create"),
    path("<int:account_id>/edit/", views.account_update, name="account-update"),
    path("<int:account_id>/delete/", views.account_delete, name="account-delete"),
]
