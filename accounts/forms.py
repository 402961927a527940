from __future__ import annotations

from django import forms

from accounts.models import ProviderAccount


class ProviderAccountForm(forms.ModelForm):
    class Meta:
        model = ProviderAccount
        fields = ["name", "provider"]
        labels = {"name": "Name", "provider": "Provider"}
        help_texts = {"name": "Up to 64 characters, unique in your organization."}


class ProviderAccountRenameForm(forms.ModelForm):
    class Meta:
        model = ProviderAccount
        fields = ["name"]
        labels = {"name": "Name"}
        help_texts = {"name": "Up to 64 characters, unique in your organization."}
