from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

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


class LoginForm(AuthenticationForm):
    """Django's login form, with its username length enforced on the server.

    Django sets the username field's max_length after the field is built, so only the browser's
    maxlength attribute limits it; a longer name then reaches the login throttling, whose
    255-character column refuses it on PostgreSQL. Validated here, it never gets that far.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = self.fields["username"].max_length
        self.fields["username"].validators.append(
            MaxLengthValidator(limit, f"A username has at most {limit} characters.")
        )
