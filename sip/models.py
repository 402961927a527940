from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import ObjectType
from accounts.models import ProviderAccount
from sip.digest import ha1_md5
from sip.digest import ha1_sha256

DOMAIN_IN_USE = "This SIP domain is already in use."
LIST_NAME_TAKEN = "A credential list with this name already exists."
USERNAME_TAKEN = "This list already has a SIP user with this username."

_DNS_LABEL_CHARS = re.compile(r"[A-Za-z0-9-]+")
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def validate_dns_label(value: str) -> None:
    """A domain prefix is one DNS label: letters, digits and hyphens, no hyphen at either end."""
    if not _DNS_LABEL_CHARS.fullmatch(value):
        raise ValidationError(
            "Use only letters, digits and hyphens: no spaces, dots or other characters.",
            code="dns_label_chars",
        )
    if value.startswith("-") or value.endswith("-"):
        raise ValidationError(
            "A domain prefix cannot start or end with a hyphen.", code="dns_label_hyphen"
        )


def validate_sip_username(value: str) -> None:
    if not _USERNAME.fullmatch(value):
        raise ValidationError(
            "Use letters, digits, dots, underscores and hyphens, starting with a letter or digit.",
            code="username_chars",
        )


def limit_message(account: ProviderAccount, limit: int, what: str) -> str:
    return (
        f"This account has reached {account.provider_info.label}'s limit of {limit} {what}. "
        "Delete one before adding another."
    )


class SyncState(models.TextChoices):
    """Where a row stands with the provider account it belongs to (connected accounts only)."""

    LOCAL = "", "Here only"
    SYNCED = "synced", "In Twilio"
    PENDING = "pending", "Not yet in Twilio"
    FAILED = "failed", "Out of sync"


class Synced(models.Model):
    """A row that a connected account keeps in the provider too."""

    sync_state = models.CharField(
        max_length=8, blank=True, choices=SyncState.choices, editable=False
    )
    # Why it is out of sync, in the app's words (never a secret).
    sync_error = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        abstract = True


class HasRemoteSid(Synced):
    # The provider's id for it (Twilio: SD..., CL..., CR...).
    remote_sid = models.CharField(max_length=34, blank=True, editable=False)

    class Meta:
        abstract = True


class VoiceMethod(models.TextChoices):
    POST = "POST", "POST"
    GET = "GET", "GET"


class SipDomain(HasRemoteSid):
    account = models.ForeignKey(
        ProviderAccount, on_delete=models.PROTECT, related_name="sip_domains"
    )
    name = models.CharField(max_length=64)
    prefix = models.CharField(
        "domain prefix",
        max_length=63,
        validators=[validate_dns_label],
        error_messages={"max_length": "A domain prefix can have at most 63 characters."},
    )
    # The full domain ({prefix}.{provider suffix}); providers keep these names globally unique.
    domain = models.CharField(max_length=253, unique=True, editable=False)
    # What the provider does with calls to the domain, and what phones need.
    voice_url = models.URLField(
        "voice URL",
        max_length=255,
        blank=True,
        validators=[URLValidator(schemes=["https", "http"])],
        error_messages={"invalid": "Enter a web address starting with https:// or http://."},
    )
    voice_method = models.CharField(
        max_length=4, choices=VoiceMethod.choices, default=VoiceMethod.POST
    )
    sip_registration = models.BooleanField("SIP registration", default=False)
    secure = models.BooleanField("secure media (TLS and SRTP)", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SIP domain"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(prefix=Lower("prefix")), name="sip_domain_prefix_lower_case"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="domain_account_recent"),
            models.Index(fields=["account", "name"], name="domain_account_name"),
            models.Index(fields=["account", "domain"], name="domain_account_domain"),
        ]

    activity_type = ObjectType.DOMAIN  # what Activity records of a change to it

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        self.set_domain()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if not self.prefix or self.account_id is None:
            return
        self.set_domain()
        if SipDomain.objects.filter(domain=self.domain).exclude(pk=self.pk).exists():
            raise ValidationError({"prefix": DOMAIN_IN_USE})

    def set_domain(self) -> None:
        """The full domain from the prefix and the provider's suffix."""
        self.prefix = self.prefix.lower()
        self.domain = f"{self.prefix}.{self.account.provider_info.domain_suffix}"

    def check_limits(self) -> None:
        """The provider's limit and the organization's share; the service calls this with the
        account and the organization locked, so the counts cannot move before the save."""
        limit = self.account.provider_info.max_domains
        if (
            limit is not None
            and SipDomain.objects.filter(account_id=self.account_id).count() >= limit
        ):
            raise ValidationError(limit_message(self.account, limit, "SIP domains"))
        # SIP domain names are global: no organization may reserve more than its share.
        share = settings.MAX_SIP_DOMAINS_PER_ORGANIZATION
        organization_id = self.account.organization_id
        if SipDomain.objects.filter(account__organization_id=organization_id).count() >= share:
            raise ValidationError(
                f"Your organization has reached its limit of {share} SIP domains across its "
                "accounts. Delete a domain you no longer use before adding another."
            )

    @property
    def setup_account(self) -> ProviderAccount:
        return self.account


def name_key(name: str) -> str:
    """What makes two credential list names "the same": letters and digits, ignoring case."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


class CredentialList(HasRemoteSid):
    account = models.ForeignKey(
        ProviderAccount, on_delete=models.PROTECT, related_name="credential_lists"
    )
    name = models.CharField(max_length=64)
    name_key = models.CharField(max_length=256, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name_key"],
                name="credential_list_name_unique",
                violation_error_message=LIST_NAME_TAKEN,
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="list_account_recent"),
            # With created_at, a search of the names (SQLite tests each of the account's) and
            # the order of what it finds read the index alone, not each list's row: a search of
            # 1,000 lists 0.43 to 0.29 ms (PostgreSQL asks its index of trigrams: 0019).
            models.Index(fields=["account", "name", "created_at"], name="list_account_name"),
        ]

    activity_type = ObjectType.CREDENTIAL_LIST  # what Activity records of a change to it

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if not self.name or self.account_id is None:
            return
        key = name_key(self.name)
        if not key:
            raise ValidationError({"name": "A credential list name needs a letter or a digit."})
        siblings = CredentialList.objects.filter(account_id=self.account_id).exclude(pk=self.pk)
        if siblings.filter(name_key=key).exists():
            raise ValidationError({"name": LIST_NAME_TAKEN})

    def check_limits(self) -> None:
        """The provider's limit; checked by the service with the account locked."""
        limit = self.account.provider_info.max_credential_lists
        count = CredentialList.objects.filter(account_id=self.account_id).count
        if limit is not None and count() >= limit:
            raise ValidationError(limit_message(self.account, limit, "credential lists"))

    @property
    def setup_account(self) -> ProviderAccount:
        return self.account


class Credential(HasRemoteSid):
    """A SIP user's login. The password itself is never stored: only its digest hashes."""

    credential_list = models.ForeignKey(
        CredentialList, on_delete=models.CASCADE, related_name="credentials"
    )
    # The list's account, copied in so the SIP Users tab pages through 100,000 credentials of an
    # account on one index instead of sorting them all.
    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="+", editable=False
    )
    username = models.CharField(
        max_length=32,
        validators=[validate_sip_username],
        error_messages={"max_length": "A username can have at most 32 characters."},
    )
    ha1_md5 = models.CharField("HA1 (MD5)", max_length=32, editable=False)
    ha1_sha256 = models.CharField("HA1 (SHA-256)", max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(default=timezone.now)
    # False for a SIP user imported from the provider, which never returns passwords: no
    # digests here until it is rotated in this app (the SIP server leaves it out).
    password_known = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Usernames differing only in case would make "which SIP user is this?" ambiguous.
            models.UniqueConstraint(
                models.F("credential_list"),
                Lower("username"),
                name="credential_username_unique_ci",
                violation_error_message=USERNAME_TAKEN,
            ),
        ]
        indexes = [
            models.Index(
                fields=["credential_list", "-created_at", "-id"], name="credential_list_recent"
            ),
            models.Index(fields=["credential_list", "username"], name="credential_list_username"),
            models.Index(
                fields=["account", "-created_at", "-id"], name="credential_account_recent"
            ),
            # The connection check and the SIP Users search look usernames up across lists.
            models.Index(fields=["account", "username"], name="credential_account_username"),
        ]

    activity_type = ObjectType.CREDENTIAL  # what Activity records of a change to it

    def __str__(self) -> str:
        return self.username

    def save(self, *args, **kwargs) -> None:
        if self.account_id is None:
            self.account_id = self.credential_list.account_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if not self.username or self.credential_list_id is None:
            return
        siblings = Credential.objects.filter(credential_list_id=self.credential_list_id).exclude(
            pk=self.pk
        )
        if siblings.filter(username__iexact=self.username).exists():
            raise ValidationError({"username": USERNAME_TAKEN})

    def check_limits(self) -> None:
        """The provider's limit; checked by the service with the list locked."""
        account = self.credential_list.account
        limit = account.provider_info.max_credentials_per_list
        count = Credential.objects.filter(credential_list_id=self.credential_list_id).count
        if limit is not None and count() >= limit:
            raise ValidationError(limit_message(account, limit, "credentials in a list"))

    def set_password(self, password: str) -> None:
        """Keeps only the digests of the password for the provider's realm."""
        realm = self.credential_list.account.provider_info.realm
        self.ha1_md5 = ha1_md5(self.username, realm, password)
        self.ha1_sha256 = ha1_sha256(self.username, realm, password)
        self.password_changed_at = timezone.now()
        self.password_known = True

    @property
    def setup_account(self) -> ProviderAccount:
        return self.credential_list.account


class Purpose(models.TextChoices):
    CALLS = "calls", "Calls"
    REGISTRATIONS = "registrations", "Registrations"


PURPOSE_LABELS = dict(Purpose.choices)


class CredentialAttachment(Synced):
    """Says that a credential list authenticates calls or registrations on a SIP domain."""

    domain = models.ForeignKey(SipDomain, on_delete=models.CASCADE, related_name="attachments")
    credential_list = models.ForeignKey(
        CredentialList, on_delete=models.PROTECT, related_name="attachments"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # Imported from Twilio's legacy CredentialListMappings: counts as calls, and is flagged.
    legacy = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Its domain's account, kept by the database whoever adds the row (sip/migrations/
    # 0015_attachment_account.py), and set here too: the Credential Attachments tab pages
    # through an account's attachments on one index, instead of sorting them all through
    # their domains.
    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, null=True, editable=False, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "credential_list", "purpose"],
                name="attachment_unique_per_purpose",
            ),
            models.CheckConstraint(
                condition=models.Q(purpose__in=Purpose.values), name="attachment_purpose_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["credential_list", "domain"], name="attachment_list_domain"),
            models.Index(fields=["-created_at"], name="attachment_recent"),
            models.Index(
                fields=["account", "-created_at", "-id"], name="attachment_account_recent"
            ),
        ]

    activity_type = ObjectType.ATTACHMENT  # what Activity records of a change to it
    # Its account is its domain's, copied: what blocks an account's delete is the domain.
    copies_account_of = "domain"

    def __str__(self) -> str:
        return f"{self.credential_list} on {self.domain} ({self.get_purpose_display()})"

    def save(self, *args, **kwargs) -> None:
        if self.account_id is None:
            self.account_id = self.domain.account_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if (
            self.domain_id
            and self.credential_list_id
            and self.domain.account_id != self.credential_list.account_id
        ):
            raise ValidationError(
                "The SIP domain and the credential list must belong to the same account."
            )

    def get_purpose_display(self) -> str:
        """Django's (made for each field with choices, unless the model has its own) builds a
        dict of the choices on every call: 10 µs, twice a row of the Credential Attachments
        tab."""
        return str(PURPOSE_LABELS.get(self.purpose, self.purpose))

    @property
    def setup_account(self) -> ProviderAccount:
        return self.domain.account


def password_version(credential: Credential) -> str:
    """When the password in use was set: a form opened for an older one is out of date."""
    return credential.password_changed_at.isoformat()


def joined(purposes: list[Purpose]) -> str:
    return " and ".join(Purpose(p).label.lower() for p in purposes)


def already_attached(
    credential_list: CredentialList, domain: SipDomain, purposes: list[Purpose]
) -> str:
    return f"“{credential_list.name}” is already attached to {domain} for {joined(purposes)}."


class ImportRun(models.Model):
    """One import of a provider account's existing setup (Twilio), run by the background
    worker (sip/imports.py). It keeps how far it got, page by page, so a failed run resumes
    where it stopped, and its counts are the progress a page shows."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Stopped"

    class Phase(models.TextChoices):
        DOMAINS = "domains", "SIP domains"
        LISTS = "lists", "Credential lists"
        CREDENTIALS = "credentials", "Credentials"
        MAPPINGS = "mappings", "Credential attachments"
        DONE = "done", "Done"

    # An import is history, not setup: it never keeps an account from being deleted.
    counts_as_content = False

    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="import_runs"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.DOMAINS)
    # Where the phase goes on: the next page's URI, and the last list or domain finished.
    cursor = models.CharField(max_length=1000, blank=True)
    position = models.BigIntegerField(default=0)
    counts = models.JSONField(default=dict)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="import_account_recent")]

    def __str__(self) -> str:
        return f"Import into {self.account} ({self.get_status_display()})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class BulkRun(models.Model):
    """An import of SIP users from a file, or a rotation of many, by the one-time key of the
    form that asked for it: the same form sent twice does the work once, so its passwords are
    delivered once. Nothing else of the work is kept here (Activity records it)."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Import from a file"
        ROTATE = "rotate", "Rotation"

    # History, not setup: it never keeps an account from being deleted.
    counts_as_content = False

    nonce = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in {self.account_id} at {self.created_at}"


class AccountCount(models.Model):
    """A number of an account's rows, kept by the database (the subclasses say which), one row
    per account: an account without a row has none."""

    account = models.OneToOneField(
        ProviderAccount, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    class Meta:
        abstract = True


class SipUserCount(AccountCount):
    """How many SIP users an account has, kept by the database: triggers on credentials move it
    in each change's own transaction, however the change is made
    (sip/migrations/0012_sip_user_count.py). The SIP Users tab shows it instead of counting
    100,000 rows on every view. An account without a row has none."""

    sip_users = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.sip_users} SIP users in account {self.account_id}"


class AttachmentCount(AccountCount):
    """How many credential attachments an account has, kept by the database as SipUserCount is
    (sip/migrations/0016_kept_counts.py): the Credential Attachments tab shows it instead of
    counting 5,000 rows on every view. An account without a row has none."""

    attachments = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.attachments} attachments in account {self.account_id}"


class CredentialCount(models.Model):
    """How many SIP users a credential list has, kept by the database as SipUserCount is
    (sip/migrations/0016_kept_counts.py): the Credential Lists and Credential Attachments tabs
    show it beside each row, and a list's page as its total, instead of counting the list's
    credentials for every row. A list without a row has none."""

    credential_list = models.OneToOneField(
        CredentialList, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    credentials = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.credentials} SIP users in list {self.credential_list_id}"


class DomainCount(AccountCount):
    """How many SIP domains an account has, kept by the database as SipUserCount is
    (sip/migrations/0020_kept_table_sizes.py): the Domains tab shows it instead of counting
    the account's domains on every view, and reads a deep page from the nearer end. An
    account without a row has none."""

    domains = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.domains} SIP domains in account {self.account_id}"


class ListCount(AccountCount):
    """How many credential lists an account has, kept by the database as SipUserCount is
    (sip/migrations/0020_kept_table_sizes.py): the Credential Lists tab shows it instead of
    counting the account's lists on every view, and reads a deep page from the nearer end.
    An account without a row has none."""

    lists = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.lists} credential lists in account {self.account_id}"
