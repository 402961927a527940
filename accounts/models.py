from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.providers import Provider, get_provider, provider_choices

ACCOUNT_NAME_TAKEN = "An account with this name already exists."


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Organization(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", choices=time_zone_choices)
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


class ProviderAccount(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="provider_accounts"
    )
    name = models.CharField(max_length=64)
    provider = models.CharField(max_length=32, choices=provider_choices)
    created_at = models.DateTimeField(default=timezone.now)

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

    def __str__(self) -> str:
        return self.name

    @property
    def provider_info(self) -> Provider:
        return get_provider(self.provider)

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
