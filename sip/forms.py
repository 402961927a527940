from __future__ import annotations

import re

from django import forms

from accounts.models import ProviderAccount
from sip import bulk
from sip import password_checks
from sip.digest import PASSWORD_MAX
from sip.digest import PASSWORD_MIN
from sip.digest import generate_password
from sip.digest import validate_sip_password
from sip.models import Credential
from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from sip.models import SipDomain
from sip.models import already_attached

DOMAIN_SETTING_LABELS = {
    "voice_url": "Voice URL",
    "voice_method": "Voice method",
    "sip_registration": "SIP registration",
    "secure": "Secure media (TLS and SRTP)",
}
DOMAIN_SETTING_HELP = {
    "voice_url": "Where Twilio asks what to do with a call to this domain (TwiML). Optional.",
    "sip_registration": "Lets phones register on this domain. Turned on when a credential list "
    "is attached for registrations.",
    "secure": "Phones must use TLS for signalling and SRTP for media.",
}


class DomainSettingsForm(forms.ModelForm):
    """The settings Twilio keeps on a domain. A form sent without the voice method (an older
    page, a script) keeps POST, Twilio's default."""

    voice_url = forms.URLField(
        label=DOMAIN_SETTING_LABELS["voice_url"],
        help_text=DOMAIN_SETTING_HELP["voice_url"],
        required=False,
        max_length=255,
        assume_scheme="https",
        error_messages={
            "invalid": "Enter a web address starting with https:// or http://.",
            "max_length": "A voice URL can have at most 255 characters.",
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voice_method"].required = False

    def clean_voice_method(self) -> str:
        return self.cleaned_data["voice_method"] or "POST"


class SipDomainForm(DomainSettingsForm):
    class Meta:
        model = SipDomain
        fields = ["name", "prefix", *DOMAIN_SETTING_LABELS]
        labels = {"name": "Name", "prefix": "Domain prefix", **DOMAIN_SETTING_LABELS}
        help_texts = {
            "name": "A friendly name, up to 64 characters.",
            "prefix": "Letters, digits and hyphens, up to 63 characters. "
            "It cannot be changed later.",
            **DOMAIN_SETTING_HELP,
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


class SipDomainRenameForm(DomainSettingsForm):
    """A domain's name and settings: everything but its prefix."""

    class Meta:
        model = SipDomain
        fields = ["name", *DOMAIN_SETTING_LABELS]
        labels = {"name": "Name", **DOMAIN_SETTING_LABELS}
        help_texts = {"name": "A friendly name, up to 64 characters.", **DOMAIN_SETTING_HELP}


class CredentialListForm(forms.ModelForm):
    class Meta:
        model = CredentialList
        fields = ["name"]
        labels = {"name": "Name"}
        help_texts = {
            "name": "Up to 64 characters. Pick a clear name: names that differ only in case, "
            "spacing or punctuation from another list are refused."
        }


class PasswordFields(forms.Form):
    """Choose a generated password or type one; cleaned_data["password"] is the one to set."""

    password_choice = forms.ChoiceField(
        label="Password",
        choices=[("generate", "Generate a strong password"), ("type", "Type a password")],
        initial="generate",
        widget=forms.RadioSelect(attrs={"data-password-choice": ""}),
    )
    password = forms.CharField(
        label="Typed password",
        required=False,
        strip=False,
        max_length=PASSWORD_MAX,
        error_messages={"max_length": f"The password can have at most {PASSWORD_MAX} characters."},
        help_text=f"{PASSWORD_MIN} to {PASSWORD_MAX} characters with an upper case letter, "
        "a lower case letter and a digit.",
        # Never re-filled after an error: render_value stays False.
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        choice = cleaned.get("password_choice")
        typed = cleaned.get("password") or ""
        if choice == "type":
            if not typed:
                self.add_error("password", "Type a password, or choose to generate one.")
            else:
                try:
                    validate_sip_password(typed)
                except forms.ValidationError as error:
                    self.add_error("password", error)
        elif choice == "generate":
            if typed:
                self.add_error(
                    "password",
                    "You typed a password but chose to generate one: choose “Type a password” "
                    "to use it, or clear the field.",
                )
            cleaned["password"] = generate_password()
        return cleaned


class CredentialForm(PasswordFields, forms.ModelForm):
    class Meta:
        model = Credential
        fields = ["username"]
        labels = {"username": "Username"}
        help_texts = {
            "username": "Up to 32 letters, digits, dots, underscores and hyphens, starting with "
            "a letter or digit. It cannot be renamed later."
        }
        widgets = {
            "username": forms.TextInput(
                attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
            )
        }

    field_order = ["username", "password_choice", "password"]

    def save(self, commit: bool = True) -> Credential:
        # Saved here, a credential would have no digests: the service sets them, and records it.
        raise NotImplementedError("Credentials are created by sip.services.credential_create.")


OUT_OF_DATE = "This form is out of date. Reload the page and try again."


def out_of_date(form: forms.Form, hidden: str) -> None:
    """A missing or mangled hidden field: said where people read, not beside nothing."""
    if hidden in form.errors:
        del form.errors[hidden]
        form.add_error(None, OUT_OF_DATE)


class RotatePasswordForm(PasswordFields):
    # When the password the form was opened for was set: a resubmitted form (a double click, the
    # browser's resend) finds a newer one and is refused instead of rotating a second time.
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    OUT_OF_DATE = OUT_OF_DATE

    def clean(self) -> dict:
        cleaned = super().clean()
        out_of_date(self, "version")
        return cleaned


AUTHENTICATES = {
    "both": [Purpose.CALLS, Purpose.REGISTRATIONS],
    Purpose.CALLS.value: [Purpose.CALLS],
    Purpose.REGISTRATIONS.value: [Purpose.REGISTRATIONS],
}


class AttachmentForm(forms.Form):
    """Links a SIP domain and a credential list of one account; only that account's are offered."""

    domain = forms.ModelChoiceField(
        label="SIP domain", queryset=SipDomain.objects.none(), empty_label="Choose a SIP domain"
    )
    credential_list = forms.ModelChoiceField(
        label="Credential list",
        queryset=CredentialList.objects.none(),
        empty_label="Choose a credential list",
    )
    authenticates = forms.ChoiceField(
        label="Authenticates",
        choices=[
            ("both", "Calls and registrations"),
            (Purpose.CALLS.value, "Calls only"),
            (Purpose.REGISTRATIONS.value, "Registrations only"),
        ],
        initial="both",
        widget=forms.RadioSelect,
        help_text="Calls: the SIP users can place calls through the domain. Registrations: "
        "their phones can register to receive calls.",
    )

    def __init__(self, *args, account: ProviderAccount, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = SipDomain.objects.filter(account=account).order_by(
            "domain"
        )
        self.fields["credential_list"].queryset = CredentialList.objects.filter(
            account=account
        ).order_by("name")

    def purposes(self) -> list[Purpose]:
        return AUTHENTICATES[self.cleaned_data["authenticates"]]

    def clean(self) -> dict:
        cleaned = super().clean()
        domain, credential_list = cleaned.get("domain"), cleaned.get("credential_list")
        if domain and credential_list and cleaned.get("authenticates"):
            existing = set(
                CredentialAttachment.objects.filter(
                    domain=domain, credential_list=credential_list
                ).values_list("purpose", flat=True)
            )
            if existing.issuperset(self.purposes()):
                raise forms.ValidationError(
                    already_attached(credential_list, domain, self.purposes())
                )
        return cleaned


class ConnectionCheckForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    # Typed, not picked from a list: an account can have a thousand domains.
    domain = forms.CharField(
        label="SIP domain",
        max_length=253,
        help_text="The full domain or its prefix, as the phone is set up.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label="Password (optional)",
        required=False,
        strip=False,
        max_length=PASSWORD_MAX,
        help_text="Only compared with the stored digest: never stored, logged or shown.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    live = forms.BooleanField(
        label="Also test it for real",
        required=False,
        help_text="Sends a REGISTER with this username and password to the SIP server and "
        "shows its answer.",
    )

    def __init__(
        self, *args, account: ProviderAccount, tester: int | None = None, **kwargs
    ) -> None:
        """tester: the key of the user asking, whose password tests are counted."""
        super().__init__(*args, **kwargs)
        self.account = account
        self.tester = tester

    def clean_domain(self) -> str:
        return self.cleaned_data["domain"].strip().lower()

    def clean(self) -> dict:
        """The typed domain, found with the count of the minute's password tests when one is
        to be made (one query): a test past the limit is refused as the password's error."""
        cleaned = super().clean()
        password, typed = cleaned.get("password"), cleaned.get("domain")
        if cleaned.get("live") and not password:
            self.add_error("live", "Type the password to test it for real.")
        if typed is None:
            return cleaned
        tested = cleaned.get("username") if password and self.tester is not None else None
        # The full domain, or the prefix it is made of (SipDomain.set_domain): on the index of
        # domains, not among all of the account's.
        suffix = self.account.provider_info.domain_suffix
        found, wait = password_checks.domains_and_wait(
            self.account, [typed, f"{typed}.{suffix}"], self.tester, tested
        )
        if wait:
            self.add_error("password", password_checks.too_many(wait))
        domain = min(found, key=lambda found: found.domain != typed, default=None)
        if domain is None:
            self.add_error("domain", f"This account has no SIP domain “{typed}”.")
        else:
            cleaned["domain"] = domain
        return cleaned


class ConnectionForm(forms.ModelForm):
    """The Twilio account an account manages, and the API key to reach it with. The secret is
    write-only: never shown, not even masked; left blank, the saved one stays."""

    twilio_key_secret = forms.CharField(
        label="API Key secret",
        required=False,
        max_length=128,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        error_messages={"max_length": "An API Key secret has at most 128 characters."},
    )

    class Meta:
        model = ProviderAccount
        fields = ["twilio_account_sid", "twilio_key_sid"]
        labels = {"twilio_account_sid": "Account SID", "twilio_key_sid": "API Key SID"}
        help_texts = {
            "twilio_account_sid": "AC followed by 32 hexadecimal characters (Twilio Console, "
            "Account Info).",
            "twilio_key_sid": "SK followed by 32 hexadecimal characters. Create a Standard API "
            "key for this app in the Twilio Console (Account > API keys).",
        }
        widgets = {
            "twilio_account_sid": forms.TextInput(attrs={"autocomplete": "off"}),
            "twilio_key_sid": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.Meta.fields:
            self.fields[name].required = True
        has_secret = bool(self.instance.twilio_key_secret)
        self.fields["twilio_key_secret"].help_text = (
            "Saved, never shown. Leave blank to keep it, or type a new one."
            if has_secret
            else "Shown once by Twilio when the key is created. Kept encrypted, never shown."
        )

    def clean_twilio_account_sid(self) -> str:
        return sid_field(self.cleaned_data["twilio_account_sid"], "AC", "An Account SID")

    def clean_twilio_key_sid(self) -> str:
        return sid_field(self.cleaned_data["twilio_key_sid"], "SK", "An API Key SID")

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("twilio_key_secret") and not self.instance.twilio_key_secret:
            self.add_error("twilio_key_secret", "Type the API Key secret.")
        return cleaned


def sid_field(value: str, prefix: str, what: str) -> str:
    if not re.fullmatch(prefix + r"[0-9a-fA-F]{32}", value):
        raise forms.ValidationError(
            f"{what} is {prefix} followed by 32 hexadecimal characters (0-9, a-f)."
        )
    return value


class ReconcileForm(forms.Form):
    """One action on one difference (sip/reconcile.py): the buttons of the reconcile page."""

    ACTIONS = [
        ("push", "Push to Twilio"),
        ("take", "Use Twilio's"),
        ("remote_delete", "Delete in Twilio"),
        ("import", "Import from Twilio"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    kind = forms.ChoiceField(
        choices=[(k, k) for k in ("domain", "list", "credential", "attachment")], required=False
    )
    target = forms.RegexField(regex=r"^([0-9]{1,18}|[A-Z]{2}[0-9a-fA-F]{32})$", required=False)
    label = forms.CharField(max_length=253, required=False)


class CredentialImportForm(forms.Form):
    """A CSV file of SIP users; reading it (bulk.read_csv) gives rows, or the file's problem
    beside the field."""

    file = forms.FileField(
        label="CSV file",
        help_text="A header row with “username” and optionally “password”, then one SIP user "
        "per row; comma or semicolon separated, UTF-8. Rows without a password get a "
        f"generated one. At most {bulk.MAX_ROWS:,} rows and "
        f"{bulk.MAX_FILE_BYTES // (1024 * 1024)} MB.",
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "This file is empty.",
            "invalid": "Choose a CSV file to upload.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if getattr(upload, "too_large", False) or upload.size > bulk.MAX_FILE_BYTES:
            raise forms.ValidationError(bulk.TOO_LARGE, code="too_large")
        self.rows = bulk.read_csv(upload.read())
        return upload


IMPORT_MODES = [
    ("valid", "Add the rows that can be added, and skip the others"),
    ("all", "All or nothing: add the rows only if every one of them can be added"),
]


class ImportConfirmForm(forms.Form):
    """The admin's go-ahead after the dry run: the checked rows (sealed) and how to apply them."""

    token = forms.CharField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(
        label="What to import", choices=IMPORT_MODES, widget=forms.RadioSelect, initial="valid"
    )


class BulkRotateForm(forms.Form):
    """SIP users of a list to give new generated passwords, and the form's one-time key."""

    credentials = forms.ModelMultipleChoiceField(
        label="SIP users",
        queryset=Credential.objects.none(),
        error_messages={
            "required": "Choose the SIP users to rotate: tick their boxes in the table.",
            "invalid_choice": "A chosen SIP user was deleted a moment ago. Reload the page "
            "and choose again.",
            "invalid_pk_value": "A chosen SIP user was deleted a moment ago. Reload the page "
            "and choose again.",
            "invalid_list": "Choose the SIP users to rotate: tick their boxes in the table.",
        },
    )
    nonce = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args, credential_list: CredentialList, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["credentials"].queryset = credential_list.credentials.all()

    def clean(self) -> dict:
        cleaned = super().clean()
        out_of_date(self, "nonce")
        return cleaned
