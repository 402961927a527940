from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.providers import Provider
from accounts.providers import get_provider
from accounts.providers import provider_choices

ACCOUNT_NAME_TAKEN = "An account with this name already exists."


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TwoFactorRule(models.TextChoices):
    """Who in an organization must sign in with a second factor."""

    OPTIONAL = "optional", "Nobody (each person may)"
    ADMINS = "admins", "Admins"
    EVERYONE = "everyone", "Everyone, support staff too"


class Organization(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", choices=time_zone_choices)
    two_factor = models.CharField(
        "Two-factor authentication required of",
        max_length=16,
        choices=TwoFactorRule.choices,
        default=TwoFactorRule.OPTIONAL,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    SUPPORT = "support", "Support"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_user_organization_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def needs_two_factor(self) -> bool:
        """Whether the organization requires a second factor of this member."""
        rule = self.organization.two_factor
        return rule == TwoFactorRule.EVERYONE or (rule == TwoFactorRule.ADMINS and self.is_admin)


class ObjectType(models.TextChoices):
    """The kinds of object whose changes Activity records; each model says its own
    (activity_type), with the account it belongs to (setup_account)."""

    ACCOUNT = "account", "Provider account"
    DOMAIN = "domain", "SIP domain"
    CREDENTIAL_LIST = "credential_list", "Credential list"
    CREDENTIAL = "credential", "Credential"
    ATTACHMENT = "attachment", "Credential attachment"


class ProviderAccount(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="provider_accounts"
    )
    name = models.CharField(max_length=64)
    provider = models.CharField(max_length=32, choices=provider_choices)
    created_at = models.DateTimeField(default=timezone.now)
    # Moved forward by the database on every change to the account's SIP setup (triggers:
    # sip/migrations/0011_setup_version_triggers.py): cached reviews and tables are keyed by it.
    setup_version = models.PositiveBigIntegerField(default=0, editable=False)
    # The provider account this one manages (Twilio): empty while it is managed here only.
    # The API key's secret is write-only: encrypted (whippy/encryption.py), never shown.
    twilio_account_sid = models.CharField("Account SID", max_length=34, blank=True)
    twilio_key_sid = models.CharField("API Key SID", max_length=34, blank=True)
    twilio_key_secret = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                models.F("organization"),
                Lower("name"),
                name="provider_account_name_unique_ci",
                violation_error_message=ACCOUNT_NAME_TAKEN,
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="account_org_recent"),
            models.Index(fields=["organization", "name"], name="account_org_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def bump_setup_version(self) -> None:
        """Moves the version forward and reads back where it is, in the caller's transaction.
        The row stays locked until the commit, so the version read is either the one this
        transaction commits or one no other request ever sees (the triggers may move it on)."""
        table = self._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET setup_version = setup_version + 1 WHERE id = %s"  # noqa: S608 (the model's own table)
                " RETURNING setup_version",
                [self.pk],
            )
            (self.setup_version,) = cursor.fetchone()

    @property
    def provider_info(self) -> Provider:
        return get_provider(self.provider)

    @property
    def connected(self) -> bool:
        """Whether every change to its SIP setup goes to the provider first."""
        return bool(self.twilio_key_secret) and self.provider_info.syncs

    activity_type = ObjectType.ACCOUNT  # what Activity records of a change to it

    @property
    def setup_account(self) -> ProviderAccount:
        return self

    def clean(self) -> None:
        if self.name and self.organization_id:
            taken = (
                ProviderAccount.objects.filter(
                    organization_id=self.organization_id, name__iexact=self.name
                )
                .exclude(pk=self.pk)
                .exists()
            )
            if taken:
                raise ValidationError({"name": ACCOUNT_NAME_TAKEN})

    def contents(self) -> list[tuple[int, str]]:
        """What still belongs to the account, kind by kind (count, name), read from the
        model's relations: every relation but the history, which outlives the account
        (on_delete=SET_NULL). A kind of object added later is counted, and so blocks a
        delete, without anyone listing it here."""
        found = []
        for relation in self._meta.get_fields(include_hidden=True):
            if not (relation.one_to_many and relation.auto_created):
                continue
            model = relation.related_model
            if relation.on_delete is models.SET_NULL or not getattr(
                model, "counts_as_content", True
            ):
                continue
            if getattr(model, "copies_account_of", None):
                continue  # counted with what it belongs to (an attachment, with its domain)
            count = model._default_manager.filter(**{relation.field.name: self}).count()
            if count:
                meta = model._meta
                found.append(
                    (count, str(meta.verbose_name if count == 1 else meta.verbose_name_plural))
                )
        return found

    def check_limits(self) -> None:
        """The organization's share; checked by the service with the organization locked."""
        limit = settings.MAX_ACCOUNTS_PER_ORGANIZATION
        if ProviderAccount.objects.filter(organization_id=self.organization_id).count() >= limit:
            raise ValidationError(
                f"Your organization has reached its limit of {limit} provider accounts. "
                "Delete an account you no longer use before adding another."
            )


class Activity(models.Model):
    """One change to an organization's SIP setup: who, when, what, and what changed.

    Names are copied in, so a record still reads right after its object (or actor) is gone.
    Never holds a password or a digest: a rotation is recorded as "password rotated".
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        RENAMED = "renamed", "Renamed"
        UPDATED = "updated", "Changed"
        DELETED = "deleted", "Deleted"
        PASSWORD_ROTATED = "password_rotated", "Password rotated"
        ATTACHED = "attached", "Attached"
        DETACHED = "detached", "Detached"
        # The connection check compared a typed password (never stored): changes nothing.
        PASSWORD_CHECKED = "password_checked", "Password checked"
        # A change reached the provider, the save here failed, and undoing it failed too.
        OUT_OF_SYNC = "out_of_sync", "Out of sync"
        CONNECTED = "connected", "Connected"
        DISCONNECTED = "disconnected", "Disconnected"
        IMPORTED = "imported", "Imported"
        PUSHED = "pushed", "Pushed to the provider"
        EXPORTED = "exported", "Exported"

    ObjectType = ObjectType

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="activities"
    )
    account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    account_name = models.CharField(max_length=64)
    # The account's id, kept after the account is deleted (account is then NULL), so the
    # organization's Activity page can still filter by it.
    account_key = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=20, choices=ObjectType.choices)
    object_id = models.BigIntegerField(null=True)
    object_repr = models.CharField(max_length=255)
    summary = models.CharField(max_length=500)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["account", "-created_at"], name="activity_account_recent"),
            models.Index(fields=["organization", "-created_at"], name="activity_org_recent"),
            models.Index(
                fields=["organization", "account_key", "-created_at"], name="activity_org_account"
            ),
            # Password tests of the connection check are throttled per user.
            models.Index(fields=["actor", "action", "-created_at"], name="activity_actor_recent"),
        ]

    def __str__(self) -> str:
        return self.summary


class SignInEvent(models.Model):
    """The sign-in history: who signed in, failed, was locked out, added or removed a second
    factor, when, from which address and browser. Never a password or a code."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        FAILED = "failed", "Wrong username or password"
        LOCKED_OUT = "locked_out", "Locked out after repeated failures"
        CODE_ACCEPTED = "code_accepted", "Two-factor code accepted"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        CODE_REFUSED = "code_refused", "Wrong two-factor code"
        ENROLLED = "enrolled", "Two-factor authentication turned on"
        REMOVED = "removed", "Two-factor authentication turned off"
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", "New recovery codes made"
        SIGNED_OUT = "signed_out", "Signed out"
        REAUTHENTICATED = "reauthenticated", "Password given again for a sensitive action"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sign_in_events",
    )
    username = models.CharField(max_length=150)  # as typed, for a failure
    kind = models.CharField(max_length=32, choices=Kind.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="sign_in_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.username}: {self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class UserSession(models.Model):
    """One of a person's signed-in sessions, for their list of them and "sign out everywhere
    else": the Django session it is (kept up to date when its key changes), and where from."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_sessions"
    )
    sid = models.CharField(max_length=32, unique=True)  # in the session's own data
    session_key = models.CharField(max_length=40, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"
