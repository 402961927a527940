"""The registry of telephony providers. Adding a provider is one entry in PROVIDERS."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    domain_suffix: str
    realm: str
    max_domains: int | None = None
    max_credential_lists: int | None = None
    max_credentials_per_list: int | None = None
    # Whether the app can connect to the provider's API and keep the account's setup in sync;
    # the others are managed here only, and say so.
    syncs: bool = False


PROVIDERS: dict[str, Provider] = {
    provider.key: provider
    for provider in (
        # Twilio's published limits per account and per credential list.
        Provider(
            key="twilio",
            label="Twilio",
            domain_suffix="sip.twilio.com",
            realm="sip.twilio.com",
            max_domains=100,
            max_credential_lists=100,
            max_credentials_per_list=1000,
            syncs=True,
        ),
        Provider(
            key="telnyx",
            label="Telnyx",
            domain_suffix="sip.telnyx.com",
            realm="sip.telnyx.com",
        ),
    )
}


def provider_choices() -> list[tuple[str, str]]:
    return [(provider.key, provider.label) for provider in PROVIDERS.values()]


def get_provider(key: str) -> Provider:
    return PROVIDERS[key]
