from __future__ import annotations

from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from accounts import services
from accounts.models import Membership
from accounts.models import Organization
from accounts.models import ProviderAccount


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    """Organization admins add and delete accounts in the app (limits, refusals, Activity);
    here a superuser can look and rename, through the same service as the app."""

    list_display = ["name", "organization", "provider", "created_at"]
    list_filter = ["provider"]
    list_select_related = ["organization"]
    search_fields = ["name", "organization__name"]
    fields = ["name", "organization", "provider", "created_at"]
    readonly_fields = ["organization", "provider", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ProviderAccount, form: ModelForm, change: bool):
        try:
            services.account_rename(request=request, account=obj, name=form.cleaned_data["name"])
        except ValidationError as refusal:
            # Another rename took the name after validation: nothing changed.
            messages.error(request, f"{' '.join(refusal.messages)} The name was not changed.")
