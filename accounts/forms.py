from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from accounts.models import Organization
from accounts.models import ProviderAccount
from accounts.models import TwoFactorRule


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


class CodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def __init__(self, *args, check=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.check = check  # code -> None when right, else what to say

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        problem = self.check(code) if self.check else None
        if problem:
            raise forms.ValidationError(problem)
        return code


class SetupForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=16,
        help_text="After adding the key, type the 6 digits the app shows for Whippy.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RemoveTwoFactorForm(CodeForm):
    """Turning the second factor off takes the password and a code."""

    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["password", "code"]

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password

    def clean_code(self) -> str:
        if self.has_error("password"):
            return self.cleaned_data["code"]  # a code is not spent on a wrong password
        return super().clean_code()


class OrganizationTwoFactorForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["two_factor"]
        help_texts = {
            "two_factor": "Members it applies to set up an authenticator app at their next page "
            "and give its code at every sign-in."
        }

    def __init__(self, *args, membership=None, enrolled: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.membership, self.enrolled = membership, enrolled

    def clean_two_factor(self) -> str:
        rule = self.cleaned_data["two_factor"]
        applies = rule == TwoFactorRule.EVERYONE or (
            rule == TwoFactorRule.ADMINS and self.membership.is_admin
        )
        if applies and not self.enrolled:
            raise forms.ValidationError(
                "Set up your own authenticator app first (Sign-in security): the rule applies "
                "to you too."
            )
        return rule


class ReauthForm(forms.Form):
    """Asking again before a sensitive action: the password, and the code when the person has
    an authenticator app (the view checks both: accounts.two_factor.reauthenticate). Prefixed:
    the prompt opens over a page whose own form may have a password field."""

    prefix = "reauth"
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label="Code",
        max_length=32,
        required=False,
        help_text="From your authenticator app, or a recovery code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
