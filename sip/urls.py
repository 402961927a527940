from __future__ import annotations

from django.urls import path

from sip import views

app_name = "sip"

urlpatterns = [
    path("", views.account_detail, name="account-detail"),
    path("domains/", views.domain_list, name="domain-list"),
    path("domains/new/", views.domain_create, name="domain-create"),
    path("domains/<int:domain_id>/edit/", views.domain_update, name="domain-update"),
    path("domains/<int:domain_id>/delete/", views.domain_delete, name="domain-delete"),
    path("credential-lists/", views.credential_list_list, name="credentiallist-list"),
    path("attachments/", views.attachment_list, name="attachment-list"),
]
