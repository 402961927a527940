"""The Twilio REST API calls the SIP setup needs, over plain httpx.

Why not the `twilio` SDK: it pulls in aiohttp and about 65 MB for the fourteen calls used here,
and hides the timeouts and error codes this app must map to its own words. Requests are
form-encoded with Twilio's PascalCase names, answers are JSON, and every call has a timeout.
Authentication is HTTP Basic with an API Key SID and secret (the Account SID stays in the path),
as Twilio advises for production.

A refusal raises TwilioError with Twilio's code; no answer at all raises TwilioUnreachable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any
from typing import TypeVar

import httpx
from django.conf import settings

T = TypeVar("T")
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
PAGE_SIZE = 1000  # Twilio's maximum
# How long a list read (or a bulk write) waits out "too many requests" before giving up (seconds, in all).
RATE_LIMIT_PATIENCE = 120.0

# Set by the tests (and a local trial) to answer from the fake Twilio instead of the network.
TRANSPORT: httpx.BaseTransport | None = None


class TwilioError(Exception):
    """Twilio answered with an error: {code, message, more_info, status}."""

    def __init__(self, status: int, code: int | None, message: str, retry_after: float | None):
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"Twilio {status} (code {code}): {message}")


class TwilioUnreachable(Exception):
    """No answer from Twilio: a timeout or a network error."""


class MappingKind(Enum):
    """The three places a credential list can be mapped on a domain."""

    CALLS = "Auth/Calls/CredentialListMappings", "contents"
    REGISTRATIONS = "Auth/Registrations/CredentialListMappings", "contents"
    LEGACY = "CredentialListMappings", "credential_list_mappings"

    def __init__(self, path: str, key: str) -> None:
        self.path = path
        self.key = key


def flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class Connection:
    account_sid: str
    key_sid: str
    key_secret: str


def retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


class Twilio:
    """One Twilio account's SIP resources."""

    def __init__(self, connection: Connection, *, sleep: Callable[[float], None] = time.sleep):
        self.connection = connection
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=settings.TWILIO_API_URL,
            auth=(connection.key_sid, connection.key_secret),
            timeout=TIMEOUT,
            transport=TRANSPORT,
            headers={"Accept": "application/json"},
        )

    @property
    def root(self) -> str:
        return f"/2010-04-01/Accounts/{self.connection.account_sid}/SIP"

    def call(self, method: str, path: str, data: dict[str, str] | None = None) -> Any:
        try:
            response = self.http.request(method, path, data=data)
        except httpx.HTTPError as error:  # timeouts, refused connections, broken answers
            raise TwilioUnreachable(str(error) or type(error).__name__) from error
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.is_success:
            return body
        body = body if isinstance(body, dict) else {}
        raise TwilioError(
            response.status_code,
            body.get("code"),
            str(body.get("message") or response.reason_phrase),
            retry_after(response),
        )

    def pages(
        self, path: str, key: str, start: str = ""
    ) -> Iterator[tuple[list[dict], str | None]]:
        """Every page of a list read: (items, the next page's URI or None), following
        next_page_uri (relative) and waiting out "too many requests" as Retry-After says.
        start, a next_page_uri given before, goes on from there."""
        uri: str | None = start or f"{path}?PageSize={PAGE_SIZE}"
        while uri:
            body = self.read(uri)
            uri = body.get("next_page_uri")
            yield body.get(key) or [], uri

    def read(self, uri: str) -> dict:
        """One GET, retried after a rate-limit answer."""
        return self.patiently(lambda: self.call("GET", uri))

    def patiently(self, step: Callable[[], T]) -> T:
        """step(), tried again after a rate-limit answer (Twilio does nothing with a request it
        answers 429) as Retry-After says, for up to RATE_LIMIT_PATIENCE seconds."""
        waited = 0.0
        while True:
            try:
                return step()
            except TwilioError as error:
                if error.status != 429 or waited >= RATE_LIMIT_PATIENCE:
                    raise
                pause = error.retry_after if error.retry_after is not None else 1.0
                self.sleep(pause)
                waited += max(pause, 0.1)

    # Checking a connection: the smallest read of what this app manages.

    def check(self) -> None:
        self.call("GET", f"{self.root}/Domains.json?PageSize=1")

    # SIP domains

    def domains(self, start: str = "") -> Iterator[tuple[list[dict], str | None]]:
        return self.pages(f"{self.root}/Domains.json", "domains", start)

    def create_domain(self, domain_name: str, **settings_: str) -> dict:
        return self.call(
            "POST", f"{self.root}/Domains.json", {"DomainName": domain_name, **settings_}
        )

    def fetch_domain(self, sid: str) -> dict:
        return self.call("GET", f"{self.root}/Domains/{sid}.json")

    def update_domain(self, sid: str, **fields: str) -> dict:
        return self.call("POST", f"{self.root}/Domains/{sid}.json", fields)

    def delete_domain(self, sid: str) -> None:
        self.call("DELETE", f"{self.root}/Domains/{sid}.json")

    # Credential lists

    def credential_lists(self, start: str = "") -> Iterator[tuple[list[dict], str | None]]:
        return self.pages(f"{self.root}/CredentialLists.json", "credential_lists", start)

    def create_credential_list(self, name: str) -> dict:
        return self.call("POST", f"{self.root}/CredentialLists.json", {"FriendlyName": name})

    def fetch_credential_list(self, sid: str) -> dict:
        return self.call("GET", f"{self.root}/CredentialLists/{sid}.json")

    def rename_credential_list(self, sid: str, name: str) -> dict:
        return self.call("POST", f"{self.root}/CredentialLists/{sid}.json", {"FriendlyName": name})

    def delete_credential_list(self, sid: str) -> None:
        self.call("DELETE", f"{self.root}/CredentialLists/{sid}.json")

    # Credentials: the password goes out once and never comes back.

    def credentials(
        self, list_sid: str, start: str = ""
    ) -> Iterator[tuple[list[dict], str | None]]:
        path = f"{self.root}/CredentialLists/{list_sid}/Credentials.json"
        return self.pages(path, "credentials", start)

    def create_credential(self, list_sid: str, username: str, password: str) -> dict:
        path = f"{self.root}/CredentialLists/{list_sid}/Credentials.json"
        return self.call("POST", path, {"Username": username, "Password": password})

    def set_password(self, list_sid: str, sid: str, password: str) -> dict:
        path = f"{self.root}/CredentialLists/{list_sid}/Credentials/{sid}.json"
        return self.call("POST", path, {"Password": password})

    def delete_credential(self, list_sid: str, sid: str) -> None:
        self.call("DELETE", f"{self.root}/CredentialLists/{list_sid}/Credentials/{sid}.json")

    # Credential list mappings: a mapping's sid is the list's own CL... sid.

    def mappings(
        self, domain_sid: str, kind: MappingKind
    ) -> Iterator[tuple[list[dict], str | None]]:
        return self.pages(f"{self.root}/Domains/{domain_sid}/{kind.path}.json", kind.key)

    def map_list(self, domain_sid: str, kind: MappingKind, list_sid: str) -> dict:
        path = f"{self.root}/Domains/{domain_sid}/{kind.path}.json"
        return self.call("POST", path, {"CredentialListSid": list_sid})

    def unmap_list(self, domain_sid: str, kind: MappingKind, list_sid: str) -> None:
        self.call("DELETE", f"{self.root}/Domains/{domain_sid}/{kind.path}/{list_sid}.json")
