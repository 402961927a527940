from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.db import transaction

from accounts.forms import ProviderAccountForm
from accounts.models import ProviderAccount
from accounts.providers import PROVIDERS


def form_for(org, **data) -> ProviderAccountForm:
    return ProviderAccountForm(
        {"name": "Main", "provider": "twilio", **data}, instance=ProviderAccount(organization=org)
    )


def test_name_unique_per_organization_ignoring_case(org, other_org):
    form_for(org, name="Main").save()
    duplicate = form_for(org, name="MAIN")
    assert not duplicate.is_valid()
    assert duplicate.errors["name"] == ["An account with this name already exists."]
    assert form_for(other_org, name="main").is_valid()


def test_database_constraint_backs_the_rule(org):
    ProviderAccount.objects.create(organization=org, name="Main", provider="twilio")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderAccount.objects.create(organization=org, name="main", provider="telnyx")


def test_name_length_and_provider_choice(org):
    assert not form_for(org, name="").is_valid()
    assert not form_for(org, name="x" * 65).is_valid()
    bad = form_for(org, provider="skype")
    assert not bad.is_valid()
    assert "Select a valid choice" in bad.errors["provider"][0]


def test_registry_holds_twilio_facts():
    twilio = PROVIDERS["twilio"]
    assert (twilio.domain_suffix, twilio.realm) == ("sip.twilio.com", "sip.twilio.com")
    assert (twilio.max_domains, twilio.max_credential_lists, twilio.max_credentials_per_list) == (
        100,
        100,
        1000,
    )
    telnyx = PROVIDERS["telnyx"]
    assert (telnyx.domain_suffix, telnyx.max_domains) == ("sip.telnyx.com", None)
