"""The SIP setup in the Django admin (superusers only): for looking, and for renames.

Every change the admin allows goes through the same service as the app (sip/services.py), so
it is recorded in Activity and refreshes the setup review. Creating and deleting stay in the
app, where limits, confirmations and the objects that go with a delete are shown. A
credential's identity (username, list, account) never changes here, and its digests (password
equivalents for SIP digest authentication) are neither shown nor accepted.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.text import smart_split
from django.utils.text import unescape_string_literal

from sip import services
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import SipDomain
from sip.selects import USERNAME_TRIGRAMS
from whippy.sql_tables import spelled_contains


class ViewOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RenameOnlyAdmin(ViewOnlyAdmin):
    """Only the name can change; everything else is shown read-only."""

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field for field in self.fields if field != "name"]


@admin.register(SipDomain)
class SipDomainAdmin(RenameOnlyAdmin):
    list_display = ["name", "domain", "account", "created_at"]
    list_per_page = 50
    search_fields = ["name", "domain"]
    list_select_related = ["account"]
    fields = ["name", "domain", "prefix", "account", "created_at"]

    def save_model(self, request: HttpRequest, obj: SipDomain, form: ModelForm, change: bool):
        services.domain_rename(request=request, domain=obj, name=form.cleaned_data["name"])


@admin.register(CredentialList)
class CredentialListAdmin(RenameOnlyAdmin):
    list_display = ["name", "account", "created_at"]
    list_per_page = 50
    search_fields = ["name"]
    list_select_related = ["account"]
    fields = ["name", "account", "created_at"]

    def save_model(self, request: HttpRequest, obj: CredentialList, form: ModelForm, change: bool):
        try:
            services.credential_list_rename(
                request=request, credential_list=obj, name=form.cleaned_data["name"]
            )
        except ValidationError as refusal:
            # Another rename took the name after validation: nothing changed.
            messages.error(request, f"{' '.join(refusal.messages)} The name was not changed.")


@admin.register(Credential)
class CredentialAdmin(ViewOnlyAdmin):
    # No digest field is listed, shown or accepted: fields names exactly what the page shows.
    list_display = ["username", "credential_list", "account", "created_at", "password_changed_at"]
    list_per_page = 50  # as the SIP Users tab and the other changelists
    list_select_related = ["credential_list", "account"]
    search_fields = ["username"]
    fields = ["username", "credential_list", "account", "created_at", "password_changed_at"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """The admin's search, which on PostgreSQL asks the index of the usernames' trigrams
        first, as the SIP Users tab does: it is of the usernames spelled (sip/migrations/0018),
        and a plain LIKE has no index."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if connection.vendor != "postgresql":
            return found, duplicates
        for word in smart_split(search_term):  # each word, as Django's search takes them
            if word.startswith(('"', "'")) and word[0] == word[-1]:
                word = unescape_string_literal(word)
            if len(word) >= 3:
                # The SQL is the code's own; the word is a parameter.
                spelled = f"{Credential._meta.db_table}.{USERNAME_TRIGRAMS.spelled}"
                test = spelled_contains(spelled)
                found = found.filter(RawSQL(test, (word,), output_field=BooleanField()))  # noqa: S611
        return found, duplicates


@admin.register(CredentialAttachment)
class CredentialAttachmentAdmin(ViewOnlyAdmin):
    list_display = ["domain", "credential_list", "purpose", "created_at"]
    list_filter = ["purpose"]
    list_per_page = 50
    search_fields = ["domain__domain", "credential_list__name"]  # as the tab's search
    list_select_related = ["domain", "credential_list"]
    fields = ["domain", "credential_list", "purpose", "created_at"]
