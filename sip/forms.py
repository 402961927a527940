from __future__ import annotations

from django import forms

from sip.models import SipDomain


class SipDomainForm(forms.ModelForm):
    class Meta:
        model = SipDomain
        fields = ["name", "prefix"]
        labels = {"name": "Name", "prefix": "Domain prefix"}
        help_texts = {
            "name": "A friendly name, up to 64 characters.",
            "prefix": "Letters, digits and hyphens, up to 63 characters. "
            "It cannot be changed later.",
        }
        widgets = {
            "prefix": forms.TextInput(
                attrs={
                    "data-domain-prefix": "",
                    "autocomplete": "off",
                    "autocapitalize": "none",
                    "spellcheck": "false",
                }
            ),
        }

    def clean_prefix(self) -> str:
        return self.cleaned_data["prefix"].lower()


class SipDomainRenameForm(forms.ModelForm):
    class Meta:
        model = SipDomain
        fields = ["name"]
        labels = {"name": "Name"}
        help_texts = {"name": "A friendly name, up to 64 characters."}
