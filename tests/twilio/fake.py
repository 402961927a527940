"""A stateful fake of Twilio's SIP API, checked against Twilio's official OpenAPI spec.

It keeps domains, credential lists, credentials (with their passwords, which it never answers
with, like Twilio) and the three kinds of credential list mappings. Every request it gets and
every 2xx answer it gives is validated against the vendored spec (openapi-core), answers carry
only the properties the spec declares, and it adds what the spec leaves out: Twilio's error
bodies ({code, message, more_info, status}) with the documented codes, pagination with a
relative next_page_uri, and 429 with Retry-After.

In process: `httpx.MockTransport(fake.handle)`. Over real HTTP on loopback (browser tests and a
local trial): `fake.serve()` or `python -m tests.twilio.fake --port 8765`.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.simple_server import make_server

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers
from werkzeug.datastructures import ImmutableMultiDict

SPEC = Path(__file__).parent / "spec" / "twilio_api_v2010_sip.json"
HOST = "https://api.twilio.com"
SCHEMAS = "api.v2010.account.sip."
PASSWORD_RULE = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9]).{12,}$")
LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_DOMAINS = 100  # per account (error 21230 beyond)


@cache
def spec() -> OpenAPI:
    return OpenAPI.from_dict(json.loads(SPEC.read_text()))


@cache
def spec_document() -> dict:
    return json.loads(SPEC.read_text())


class SpecRequest:
    """An httpx request as openapi-core reads one."""

    def __init__(self, request: httpx.Request) -> None:
        self.host_url = HOST
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.url.params.multi_items()),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
        )


class SpecResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.multi_items()))
        self.content_type = response.headers.get("content-type", "")
        self.data = response.content or None


class Refused(Exception):
    """A documented Twilio error answer."""

    def __init__(self, status: int, code: int, message: str, headers: dict | None = None):
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass
class Injected:
    """A failure the test asks for: the next request with this method whose path (and query
    string) contains fragment."""

    method: str
    fragment: str
    status: int = 0  # 0: no answer at all (a timeout)
    code: int = 0
    message: str = ""
    retry_after: int | None = None


@cache
def declared(prefix: str) -> frozenset[str]:
    """The properties the spec declares for resources whose sids start with prefix."""
    schemas = spec_document()["components"]["schemas"]
    names = {
        "SD": ["sip_domain"],
        "CL": ["sip_credential_list", "sip_domain.sip_credential_list_mapping"],
        "CR": ["sip_credential_list.sip_credential"],
    }[prefix]
    return frozenset().union(*(schemas[SCHEMAS + name]["properties"] for name in names))


def only_declared(body: dict | None) -> None:
    """The spec's schemas allow any extra property; Twilio's answers have none (and never a
    password): neither may the fake's."""
    if body is None:
        return
    resources = [body] if "sid" in body else next(v for v in body.values() if isinstance(v, list))
    for resource in resources:
        extra = set(resource) - declared(resource["sid"][:2])
        if extra:
            raise AssertionError(f"answer with undeclared properties: {sorted(extra)}")


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def stamp() -> str:
    from datetime import UTC
    from datetime import datetime

    return format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=False).replace(
        "-0000", "+0000"
    )


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: sid("AC"))
    key_sid: str = field(default_factory=lambda: sid("SK"))
    key_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Domain names other Twilio accounts hold (a create answers 21232).
    taken_elsewhere: set[str] = field(default_factory=set)
    domains: dict[str, dict] = field(default_factory=dict)
    lists: dict[str, dict] = field(default_factory=dict)
    credentials: dict[str, dict] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)  # credential sid -> password
    # (domain sid, "calls" | "registrations" | "legacy") -> {list sid: mapping}
    mappings: dict[tuple[str, str], dict[str, dict]] = field(default_factory=dict)
    injected: list[Injected] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # Always on in the tests; only the import benchmark turns it off, to time the app alone.
    validate: bool = True

    # What the tests ask of it.

    def fail_next(self, method: str, fragment: str, **how: Any) -> None:
        self.injected.append(Injected(method, fragment, **how))

    def key_fields(self) -> dict[str, str]:
        """A provider account's fields that connect it to this fake (its key, encrypted)."""
        from whippy.encryption import encrypt

        return {
            "twilio_account_sid": self.account_sid,
            "twilio_key_sid": self.key_sid,
            "twilio_key_secret": encrypt(self.key_secret),
        }

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def setup(self) -> dict:
        """What the fake holds, by name: domains with their mappings, lists with usernames."""
        name_of = {s: item["friendly_name"] for s, item in self.lists.items()}
        return {
            "domains": {
                d["domain_name"]: {
                    "friendly_name": d["friendly_name"],
                    "sip_registration": d["sip_registration"],
                    "secure": d["secure"],
                    "voice_url": d["voice_url"],
                    "voice_method": d["voice_method"],
                    **{
                        kind: sorted(name_of[s] for s in self.mappings.get((d["sid"], kind), {}))
                        for kind in ("calls", "registrations", "legacy")
                    },
                }
                for d in self.domains.values()
            },
            "lists": {
                item["friendly_name"]: sorted(
                    c["username"]
                    for c in self.credentials.values()
                    if c["credential_list_sid"] == s
                )
                for s, item in self.lists.items()
            },
        }

    # The HTTP side.

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        for injected in self.injected:
            target = request.url.raw_path.decode()
            if injected.method == request.method and injected.fragment in target:
                self.injected.remove(injected)
                if not injected.status:
                    raise httpx.ReadTimeout("injected timeout", request=request)
                headers = {}
                if injected.retry_after is not None:
                    headers["Retry-After"] = str(injected.retry_after)
                return self.error(
                    Refused(injected.status, injected.code, injected.message, headers)
                )
        try:
            self.authenticate(request)
            result = spec().unmarshal_request(SpecRequest(request)) if self.validate else None
            if result is not None and result.errors:
                raise AssertionError(f"request against the spec: {result.errors}")
            status, body = self.route(request)
        except Refused as refused:
            return self.error(refused)
        response = httpx.Response(
            status,
            json=body if body is not None else None,
            request=request,
        )
        if body is None:
            response = httpx.Response(status, request=request)
        if self.validate:
            checked = spec().unmarshal_response(SpecRequest(request), SpecResponse(response))
            if checked.errors:
                raise AssertionError(f"answer against the spec: {checked.errors}")
            only_declared(body)
        return response

    def error(self, refused: Refused) -> httpx.Response:
        body = {
            "code": refused.code,
            "message": refused.message,
            "more_info": f"https://www.twilio.com/docs/errors/{refused.code}",
            "status": refused.status,
        }
        return httpx.Response(refused.status, json=body, headers=refused.headers)

    def authenticate(self, request: httpx.Request) -> None:
        expected = base64.b64encode(f"{self.key_sid}:{self.key_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            raise Refused(401, 20003, "Authenticate")
        if not request.url.path.startswith(f"/2010-04-01/Accounts/{self.account_sid}/"):
            raise Refused(401, 20003, "Authenticate")

    def route(self, request: httpx.Request) -> tuple[int, dict | None]:
        tail = request.url.path.removeprefix(f"/2010-04-01/Accounts/{self.account_sid}/SIP/")
        data = dict(parse_qsl(request.content.decode()))
        for pattern, methods in ROUTES:
            match = re.fullmatch(pattern, tail)
            if match and request.method in methods:
                return methods[request.method](self, request, data, *match.groups())
        raise Refused(404, 20404, f"The requested resource {request.url.path} was not found")

    # Resources

    def uri(self, tail: str) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/SIP/{tail}.json"

    def page(self, request: httpx.Request, key: str, items: list[dict]) -> tuple[int, dict]:
        params = request.url.params
        size = int(params.get("PageSize", 50))
        start = int(params.get("PageToken", "PA0")[2:] or 0)
        number = int(params.get("Page", 0))
        chunk = items[start : start + size]
        path = request.url.path
        following = None
        if start + size < len(items):
            following = f"{path}?" + urlencode(
                {"PageSize": size, "Page": number + 1, "PageToken": f"PA{start + size}"}
            )
        return 200, {
            key: chunk,
            "end": start + len(chunk) - 1 if chunk else 0,
            "first_page_uri": f"{path}?PageSize={size}&Page=0",
            "next_page_uri": following,
            "page": number,
            "page_size": size,
            "previous_page_uri": None,
            "start": start,
            "uri": f"{path}?PageSize={size}&Page={number}",
        }

    def found(self, table: dict[str, dict], key: str) -> dict:
        if key not in table:
            raise Refused(404, 20404, "The requested resource was not found")
        return table[key]

    # Domains

    def list_domains(self, request, data):
        return self.page(request, "domains", list(self.domains.values()))

    def create_domain(self, request, data):
        name = data.get("DomainName", "")
        label, _, suffix = name.partition(".")
        taken = name in self.taken_elsewhere or any(
            d["domain_name"] == name for d in self.domains.values()
        )
        if suffix != "sip.twilio.com" or not LABEL.match(label) or taken:
            raise Refused(400, 21232, f"Domain {name} is invalid or already in use")
        if len(self.domains) >= MAX_DOMAINS:
            raise Refused(400, 21230, "Too many domains for this account")
        self.check_name(data)
        new = sid("SD")
        now = stamp()
        domain = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "auth_type": "",
            "byoc_trunk_sid": None,
            "date_created": now,
            "date_updated": now,
            "domain_name": name,
            "emergency_caller_sid": None,
            "emergency_calling_enabled": False,
            "friendly_name": data.get("FriendlyName", name),
            "secure": False,
            "sid": new,
            "sip_registration": False,
            "subresource_uris": {
                "credential_list_mappings": self.uri(f"Domains/{new}/CredentialListMappings"),
            },
            "uri": self.uri(f"Domains/{new}"),
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_status_callback_method": "POST",
            "voice_status_callback_url": None,
            "voice_url": None,
        }
        self.domains[new] = domain
        self.apply_domain(domain, data)
        return 201, domain

    def check_name(self, data: dict) -> None:
        if len(data.get("FriendlyName", "")) > 64:
            raise Refused(400, 21232, "FriendlyName is too long")

    def apply_domain(self, domain: dict, data: dict) -> None:
        for name, key in (("SipRegistration", "sip_registration"), ("Secure", "secure")):
            if name in data:
                domain[key] = data[name] == "true"
        for name, key in (
            ("FriendlyName", "friendly_name"),
            ("VoiceUrl", "voice_url"),
            ("VoiceMethod", "voice_method"),
        ):
            if name in data:
                domain[key] = data[name] or None
        domain["date_updated"] = stamp()
        self.update_auth_type(domain)

    def update_auth_type(self, domain: dict) -> None:
        mapped = any(self.mappings.get((domain["sid"], kind)) for kind in ("calls", "legacy"))
        domain["auth_type"] = "CREDENTIAL_LIST" if mapped else ""

    def fetch_domain(self, request, data, domain_sid):
        return 200, self.found(self.domains, domain_sid)

    def update_domain(self, request, data, domain_sid):
        domain = self.found(self.domains, domain_sid)
        self.check_name(data)
        self.apply_domain(domain, data)
        return 200, domain

    def delete_domain(self, request, data, domain_sid):
        self.found(self.domains, domain_sid)
        del self.domains[domain_sid]
        for key in [key for key in self.mappings if key[0] == domain_sid]:
            del self.mappings[key]
        return 204, None

    # Credential lists

    def list_lists(self, request, data):
        return self.page(request, "credential_lists", list(self.lists.values()))

    def create_list(self, request, data):
        name = data["FriendlyName"]
        self.check_list_name(name)
        new = sid("CL")
        now = stamp()
        self.lists[new] = {
            "account_sid": self.account_sid,
            "date_created": now,
            "date_updated": now,
            "friendly_name": name,
            "sid": new,
            "subresource_uris": {"credentials": self.uri(f"CredentialLists/{new}/Credentials")},
            "uri": self.uri(f"CredentialLists/{new}"),
        }
        return 201, self.lists[new]

    def check_list_name(self, name: str, but: str = "") -> None:
        if not name or len(name) > 64:
            raise Refused(400, 21240, "FriendlyName must be 1 to 64 characters")
        if any(item["friendly_name"] == name for s, item in self.lists.items() if s != but):
            raise Refused(400, 21240, f"A Credential List named {name} already exists")

    def fetch_list(self, request, data, list_sid):
        return 200, self.found(self.lists, list_sid)

    def update_list(self, request, data, list_sid):
        item = self.found(self.lists, list_sid)
        self.check_list_name(data["FriendlyName"], but=list_sid)
        item["friendly_name"] = data["FriendlyName"]
        item["date_updated"] = stamp()
        return 200, item

    def delete_list(self, request, data, list_sid):
        self.found(self.lists, list_sid)
        del self.lists[list_sid]
        for mapped in self.mappings.values():
            mapped.pop(list_sid, None)
        for credential_sid in [
            s for s, c in self.credentials.items() if c["credential_list_sid"] == list_sid
        ]:
            del self.credentials[credential_sid]
            self.passwords.pop(credential_sid, None)
        return 204, None

    # Credentials

    def list_credentials(self, request, data, list_sid):
        self.found(self.lists, list_sid)
        items = [c for c in self.credentials.values() if c["credential_list_sid"] == list_sid]
        return self.page(request, "credentials", items)

    def create_credential(self, request, data, list_sid):
        self.found(self.lists, list_sid)
        username = data["Username"]
        if not username or len(username) > 32:
            raise Refused(400, 21240, "Username must be 1 to 32 characters")
        if any(
            c["username"] == username and c["credential_list_sid"] == list_sid
            for c in self.credentials.values()
        ):
            raise Refused(400, 21240, f"A Credential with username {username} already exists")
        self.check_password(data["Password"])
        new = sid("CR")
        now = stamp()
        self.credentials[new] = {
            "account_sid": self.account_sid,
            "credential_list_sid": list_sid,
            "date_created": now,
            "date_updated": now,
            "sid": new,
            "uri": self.uri(f"CredentialLists/{list_sid}/Credentials/{new}"),
            "username": username,
        }
        self.passwords[new] = data["Password"]
        return 201, self.credentials[new]

    def check_password(self, password: str) -> None:
        if not PASSWORD_RULE.match(password):
            raise Refused(
                400,
                21243,
                "Password must be at least 12 characters with a digit, an upper and a lower "
                "case letter",
            )

    def the_credential(self, list_sid: str, credential_sid: str) -> dict:
        self.found(self.lists, list_sid)
        credential = self.found(self.credentials, credential_sid)
        if credential["credential_list_sid"] != list_sid:
            raise Refused(404, 20404, "The requested resource was not found")
        return credential

    def fetch_credential(self, request, data, list_sid, credential_sid):
        return 200, self.the_credential(list_sid, credential_sid)

    def update_credential(self, request, data, list_sid, credential_sid):
        credential = self.the_credential(list_sid, credential_sid)
        if "Password" in data:
            self.check_password(data["Password"])
            self.passwords[credential_sid] = data["Password"]
        credential["date_updated"] = stamp()
        return 200, credential

    def delete_credential(self, request, data, list_sid, credential_sid):
        self.the_credential(list_sid, credential_sid)
        del self.credentials[credential_sid]
        self.passwords.pop(credential_sid, None)
        return 204, None

    # Mappings

    def mapping_table(self, domain_sid: str, kind: str) -> dict[str, dict]:
        self.found(self.domains, domain_sid)
        return self.mappings.setdefault((domain_sid, KINDS[kind]), {})

    def list_mappings(self, request, data, domain_sid, kind):
        items = list(self.mapping_table(domain_sid, kind).values())
        return self.page(request, "contents" if kind else "credential_list_mappings", items)

    def create_mapping(self, request, data, domain_sid, kind):
        table = self.mapping_table(domain_sid, kind)
        list_sid = data["CredentialListSid"]
        item = self.found(self.lists, list_sid)
        if list_sid in table:
            raise Refused(409, 21240, "This Credential List is already mapped to the domain")
        now = stamp()
        mapping = {
            "account_sid": self.account_sid,
            "date_created": now,
            "date_updated": now,
            "friendly_name": item["friendly_name"],
            "sid": list_sid,
        }
        if not kind:
            mapping["domain_sid"] = domain_sid
            mapping["uri"] = self.uri(f"Domains/{domain_sid}/CredentialListMappings/{list_sid}")
        table[list_sid] = mapping
        self.update_auth_type(self.domains[domain_sid])
        return 201, mapping

    def fetch_mapping(self, request, data, domain_sid, kind, list_sid):
        return 200, self.found(self.mapping_table(domain_sid, kind), list_sid)

    def delete_mapping(self, request, data, domain_sid, kind, list_sid):
        table = self.mapping_table(domain_sid, kind)
        self.found(table, list_sid)
        del table[list_sid]
        self.update_auth_type(self.domains[domain_sid])
        return 204, None

    # Over real HTTP

    def wsgi(self, environ: dict, start_response: Callable) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        query = environ.get("QUERY_STRING", "")
        url = f"{HOST}{environ['PATH_INFO']}" + (f"?{query}" if query else "")
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = httpx.Request(
            environ["REQUEST_METHOD"],
            url,
            headers=headers,
            content=environ["wsgi.input"].read(length),
        )
        with self.lock:
            response = self.handle(request)
        start_response(
            f"{response.status_code} {response.reason_phrase}",
            [(k, v) for k, v in response.headers.items() if k != "content-length"]
            + [("Content-Length", str(len(response.content)))],
        )
        return [response.content]

    def serve(self, port: int = 0) -> tuple[str, Callable[[], None]]:
        """Serves the fake on loopback in a thread: (base URL, stop)."""
        self.lock = threading.Lock()
        server = make_server("127.0.0.1", port, self.wsgi, handler_class=Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()

        return f"http://127.0.0.1:{server.server_port}", stop


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


KINDS = {"Auth/Calls/": "calls", "Auth/Registrations/": "registrations", "": "legacy"}
_SID = r"([A-Z]{2}[0-9a-fA-F]{32})"
_KIND = r"(Auth/Calls/|Auth/Registrations/|)"
ROUTES: list[tuple[str, dict[str, Callable]]] = [
    (r"Domains\.json", {"GET": FakeTwilio.list_domains, "POST": FakeTwilio.create_domain}),
    (
        rf"Domains/{_SID}\.json",
        {
            "GET": FakeTwilio.fetch_domain,
            "POST": FakeTwilio.update_domain,
            "DELETE": FakeTwilio.delete_domain,
        },
    ),
    (
        rf"Domains/{_SID}/{_KIND}CredentialListMappings\.json",
        {"GET": FakeTwilio.list_mappings, "POST": FakeTwilio.create_mapping},
    ),
    (
        rf"Domains/{_SID}/{_KIND}CredentialListMappings/{_SID}\.json",
        {"GET": FakeTwilio.fetch_mapping, "DELETE": FakeTwilio.delete_mapping},
    ),
    (r"CredentialLists\.json", {"GET": FakeTwilio.list_lists, "POST": FakeTwilio.create_list}),
    (
        rf"CredentialLists/{_SID}\.json",
        {
            "GET": FakeTwilio.fetch_list,
            "POST": FakeTwilio.update_list,
            "DELETE": FakeTwilio.delete_list,
        },
    ),
    (
        rf"CredentialLists/{_SID}/Credentials\.json",
        {"GET": FakeTwilio.list_credentials, "POST": FakeTwilio.create_credential},
    ),
    (
        rf"CredentialLists/{_SID}/Credentials/{_SID}\.json",
        {
            "GET": FakeTwilio.fetch_credential,
            "POST": FakeTwilio.update_credential,
            "DELETE": FakeTwilio.delete_credential,
        },
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Twilio SIP API on loopback.")
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    fake = FakeTwilio()
    url, _ = fake.serve(port)
    print(f"Fake Twilio at {url}: TWILIO_API_URL={url}")
    print(f"Account SID {fake.account_sid}\nAPI Key SID {fake.key_sid}\nSecret {fake.key_secret}")
    threading.Event().wait()


if __name__ == "__main__":
    main()
