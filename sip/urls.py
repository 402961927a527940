from __future__ import annotations

from django.urls import path

from sip import views

app_name = "sip"

LIST = "credential-lists/<int:list_id>/"
CREDENTIAL = LIST + "credentials/<int:credential_id>/"

urlpatterns = [
    path("", views.account_detail, name="account-detail"),
    path("nav/", views.account_nav, name="account-nav"),
    path("domains/", views.domain_list, name="domain-list"),
    path("domains/new/", views.domain_create, name="domain-create"),
    path("domains/<int:domain_id>/edit/", views.domain_update, name="domain-update"),
    path("domains/<int:domain_id>/delete/", views.domain_delete, name="domain-delete"),
    path("credential-lists/", views.credential_list_list, name="credentiallist-list"),
    path("credential-lists/new/", views.credential_list_create, name="credentiallist-create"),
    path(LIST, views.credential_list_detail, name="credentiallist-detail"),
    path(LIST + "edit/", views.credential_list_update, name="credentiallist-update"),
    path(LIST + "delete/", views.credential_list_delete, name="credentiallist-delete"),
    path(LIST + "credentials/new/", views.credential_create, name="credential-create"),
    path(CREDENTIAL + "password/", views.credential_rotate, name="credential-rotate"),
    path(CREDENTIAL + "delete/", views.credential_delete, name="credential-delete"),
    path("sip-users/", views.sip_user_list, name="sip-user-list"),
    path("sip-users/check/", views.connection_check, name="connection-check"),
    path("activity/", views.activity_list, name="activity-list"),
    path("attachments/", views.attachment_list, name="attachment-list"),
    path("attachments/new/", views.attachment_create, name="attachment-create"),
    path(
        "attachments/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment-delete",
    ),
]
