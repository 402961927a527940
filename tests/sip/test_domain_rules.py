from __future__ import annotations

import pytest

from accounts.models import ProviderAccount
from sip import services
from sip.forms import SipDomainForm
from sip.models import SipDomain
from whippy.forms import save_or_error


def form_for(account, **data) -> SipDomainForm:
    return SipDomainForm(
        {"name": "Office", "prefix": "office", **data}, instance=SipDomain(account=account)
    )


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("has space", "Use only letters, digits and hyphens"),
        ("dot.ted", "Use only letters, digits and hyphens"),
        ("under_score", "Use only letters, digits and hyphens"),
        ("ünïcode", "Use only letters, digits and hyphens"),
        ("-leading", "cannot start or end with a hyphen"),
        ("trailing-", "cannot start or end with a hyphen"),
        ("a" * 64, "at most 63 characters"),
        ("", "This field is required."),
    ],
)
def test_prefix_must_be_a_dns_label(account, prefix, message):
    form = form_for(account, prefix=prefix)
    assert not form.is_valid()
    assert message in " ".join(form.errors["prefix"])
    assert not SipDomain.objects.exists()


@pytest.mark.parametrize("prefix", ["a", "a" * 63, "acme-hq-2", "0office", "x-1-y"])
def test_valid_prefixes_are_accepted(account, prefix):
    form = form_for(account, prefix=prefix)
    assert form.is_valid(), form.errors
    domain = form.save()
    assert domain.domain == f"{prefix}.sip.twilio.com"


def test_prefix_is_stored_lower_case_and_domain_uses_provider_suffix(account, empty_account):
    twilio = form_for(account, prefix="Acme-HQ").save()
    telnyx = form_for(empty_account, prefix="Acme-HQ").save()
    assert twilio.prefix == "acme-hq"
    assert twilio.domain == "acme-hq.sip.twilio.com"
    assert telnyx.domain == "acme-hq.sip.telnyx.com"


def test_full_domain_is_unique_across_the_whole_system(account, other_org):
    form_for(account, prefix="shared").save()
    foreign = ProviderAccount.objects.create(
        organization=other_org, name="Theirs", provider="twilio"
    )
    form = form_for(foreign, prefix="SHARED")
    assert not form.is_valid()
    assert form.errors["prefix"] == ["This SIP domain is already in use."]
    assert SipDomain.objects.count() == 1


def test_name_is_required_and_at_most_64_characters(account):
    assert not form_for(account, name="").is_valid()
    too_long = form_for(account, name="n" * 65)
    assert not too_long.is_valid()
    assert "at most 64 characters" in too_long.errors["name"][0]
    assert form_for(account, name="n" * 64).is_valid()


def create(form: SipDomainForm, request) -> SipDomain | None:
    """As the view does: the form, then the service (which checks the limits under its lock)."""
    assert form.is_valid()
    account = form.instance.account
    return save_or_error(
        form, services.domain_create, request=request, account=account, **form.cleaned_data
    )


def test_twilio_limit_of_domains_per_account(account, admin_request):
    SipDomain.objects.bulk_create(
        SipDomain(account=account, name=f"d{i}", prefix=f"d{i}", domain=f"d{i}.sip.twilio.com")
        for i in range(100)
    )
    form = form_for(account, prefix="one-more")
    assert create(form, admin_request) is None
    assert form.non_field_errors() == [
        "This account has reached Twilio's limit of 100 SIP domains. Delete one before adding another."
    ]
    assert account.sip_domains.count() == 100


def test_telnyx_has_no_domain_limit(empty_account, admin_request):
    SipDomain.objects.bulk_create(
        SipDomain(
            account=empty_account, name=f"d{i}", prefix=f"d{i}", domain=f"d{i}.sip.telnyx.com"
        )
        for i in range(101)
    )
    created = create(form_for(empty_account, prefix="one-more"), admin_request)
    assert created is not None and created.domain == "one-more.sip.telnyx.com"
    assert empty_account.sip_domains.count() == 102


def test_rename_keeps_the_domain(domain):
    from sip.forms import SipDomainRenameForm

    form = SipDomainRenameForm({"name": "Renamed", "prefix": "evil"}, instance=domain)
    assert form.is_valid()
    form.save()
    domain.refresh_from_db()
    assert (domain.name, domain.domain) == ("Renamed", "acme-hq.sip.twilio.com")


def test_database_refuses_upper_case_prefix(account):
    from django.db import IntegrityError
    from django.db import transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SipDomain.objects.bulk_create(
            [SipDomain(account=account, name="x", prefix="UPPER", domain="UPPER.sip.twilio.com")]
        )
