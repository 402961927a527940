from __future__ import annotations

from django.urls import path

from sip.views import activity
from sip.views import attachments
from sip.views import bulk
from sip.views import common
from sip.views import connection
from sip.views import credential_lists
from sip.views import credentials
from sip.views import domains
from sip.views import export
from sip.views import reconcile
from sip.views import review
from sip.views import sip_users

app_name = "sip"

LIST = "credential-lists/<int:list_id>/"
CREDENTIAL = LIST + "credentials/<int:credential_id>/"

urlpatterns = [
    path("", common.account_detail, name="account-detail"),
    path("nav/", common.account_nav, name="account-nav"),
    path("connection/", connection.connection, name="connection"),
    path("connection/delete/", connection.connection_delete, name="connection-delete"),
    path("reconcile/", reconcile.reconcile_view, name="reconcile"),
    path("review/", review.review_page, name="review"),
    path("domains/", domains.domain_list, name="domain-list"),
    path("domains/new/", domains.domain_create, name="domain-create"),
    path("domains/<int:domain_id>/edit/", domains.domain_update, name="domain-update"),
    path("domains/<int:domain_id>/delete/", domains.domain_delete, name="domain-delete"),
    path("credential-lists/", credential_lists.credential_list_list, name="credentiallist-list"),
    path(
        "credential-lists/new/",
        credential_lists.credential_list_create,
        name="credentiallist-create",
    ),
    path(LIST, credentials.credential_list_detail, name="credentiallist-detail"),
    path(LIST + "edit/", credential_lists.credential_list_update, name="credentiallist-update"),
    path(LIST + "delete/", credential_lists.credential_list_delete, name="credentiallist-delete"),
    path(LIST + "credentials/new/", credentials.credential_create, name="credential-create"),
    path(LIST + "import/", bulk.credential_import, name="credential-import"),
    path(LIST + "rotate/", bulk.credential_rotate_many, name="credential-rotate-many"),
    path(LIST + "progress/<slug:nonce>/", bulk.bulk_progress, name="bulk-progress"),
    path(CREDENTIAL + "password/", credentials.credential_rotate, name="credential-rotate"),
    path(CREDENTIAL + "delete/", credentials.credential_delete, name="credential-delete"),
    path("sip-users/", sip_users.sip_user_list, name="sip-user-list"),
    path("sip-users/check/", sip_users.connection_check, name="connection-check"),
    path("activity/", activity.activity_list, name="activity-list"),
    path("export.csv", export.setup_export, {"kind": "csv"}, name="export-csv"),
    path("export.json", export.setup_export, {"kind": "json"}, name="export-json"),
    path("attachments/", attachments.attachment_list, name="attachment-list"),
    path("attachments/new/", attachments.attachment_create, name="attachment-create"),
    path(
        "attachments/<int:attachment_id>/delete/",
        attachments.attachment_delete,
        name="attachment-delete",
    ),
]
