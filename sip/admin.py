from __future__ import annotations

from django.contrib import admin

from sip.models import Credential, CredentialAttachment, CredentialList, SipDomain


@admin.register(SipDomain)
class SipDomainAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "account", "created_at"]
    list_per_page = 50
    search_fields = ["name", "domain"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]


@admin.register(CredentialList)
class CredentialListAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "created_at"]
    list_per_page = 50
    search_fields = ["name"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    # Digests only; the admin never shows or sets a password.
    list_display = ["username", "credential_list", "created_at", "password_changed_at"]
    search_fields = ["username"]
    readonly_fields = ["ha1_md5", "ha1_sha256"]
    raw_id_fields = ["credential_list"]


@admin.register(CredentialAttachment)
class CredentialAttachmentAdmin(admin.ModelAdmin):
    list_display = ["domain", "credential_list", "purpose", "created_at"]
    list_filter = ["purpose"]
    raw_id_fields = ["domain", "credential_list"]
