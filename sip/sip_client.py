"""A small SIP user agent that does what a phone does to authenticate: REGISTER, or INVITE then
ACK and BYE, answering a digest challenge (RFC 3261, RFC 7616: MD5 and SHA-256, with or without
qop=auth). For the "Test it for real" of the connection check and for the SIP server tests.

Of the SIP libraries on PyPI, aiosip is unmaintained since 2017, aiosipua (0.7) is a young
asyncio micro-library, and the pjsua2 wheels bring a whole media stack (and its native code) for
two requests; the sync views and tests here need two requests and one digest, over UDP, in
about a hundred and fifty lines that the tests prove against Kamailio.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
import time
from dataclasses import dataclass

ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer in time
    reason: str

    @property
    def text(self) -> str:
        return f"{self.status} {self.reason}" if self.status else "No answer"


def digest(algorithm: str, *parts: str) -> str:
    return ALGORITHMS[algorithm](":".join(parts).encode()).hexdigest()


def authorization(challenge: str, method: str, uri: str, username: str, password: str) -> str:
    """The Authorization value answering a WWW-/Proxy-Authenticate challenge."""
    params = {m[0].lower(): m[1] or m[2] for m in _PARAM.findall(challenge)}
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in ALGORITHMS:
        raise ValueError(f"Unsupported digest algorithm {algorithm}")
    realm, nonce = params["realm"], params["nonce"]
    ha1 = digest(algorithm, username, realm, password)
    ha2 = digest(algorithm, method, uri)
    fields = [
        f'username="{username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f"algorithm={algorithm}",
    ]
    if "auth" in params.get("qop", "").split(","):
        cnonce, nc = secrets.token_hex(8), "00000001"
        response = digest(algorithm, ha1, nonce, nc, cnonce, "auth", ha2)
        fields += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
    else:
        response = digest(algorithm, ha1, nonce, ha2)
    fields.append(f'response="{response}"')
    if "opaque" in params:
        fields.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(fields)


class UserAgent:
    """One SIP dialog's worth of state over a UDP socket of its own."""

    def __init__(self, server: tuple[str, int], *, timeout: float = 3.0) -> None:
        self.server, self.timeout = server, timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1" if server[0] in ("127.0.0.1", "localhost") else "", 0))
        self.local = f"{self.sock.getsockname()[0] or '0.0.0.0'}:{self.sock.getsockname()[1]}"  # noqa: S104
        self.call_id, self.tag, self.cseq = secrets.token_hex(8), secrets.token_hex(4), 0

    def close(self) -> None:
        self.sock.close()

    def request(self, method: str, uri: str, to: str, sender: str, extra: str = "") -> None:
        self.cseq += 1 if method != "ACK" else 0
        branch = f"z9hG4bK{secrets.token_hex(6)}"
        message = (
            f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {self.local};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <{sender}>;tag={self.tag}\r\n"
            f"To: <{to}>{self.to_tag}\r\n"
            f"Call-ID: {self.call_id}\r\n"
            f"CSeq: {self.cseq} {method}\r\n"
            f"Contact: <sip:{sender.split(':', 1)[1].split('@')[0]}@{self.local}>\r\n"
            f"{extra}Content-Length: 0\r\n\r\n"
        )
        self.sock.sendto(message.encode(), self.server)

    to_tag = ""

    def response(self, method: str) -> tuple[int, str, dict[str, str]]:
        """The final answer to the last request of this method (1xx skipped), or status 0."""
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535).decode(errors="replace")
            except TimeoutError:
                break
            head = data.split("\r\n\r\n", 1)[0].split("\r\n")
            match = re.match(r"SIP/2\.0 (\d{3}) ?(.*)", head[0])
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), value.strip())
            if not match or f" {method}" not in headers.get("cseq", f" {method}"):
                continue
            if int(match.group(1)) >= 200:
                return int(match.group(1)), match.group(2), headers
        return 0, "", {}

    def send(self, method: str, uri: str, to: str, sender: str, auth: tuple[str, str]) -> Answer:
        """Sends the request and answers one challenge with the username and password."""
        self.request(method, uri, to, sender)
        status, reason, headers = self.response(method)
        if status in (401, 407):
            challenge = headers["www-authenticate" if status == 401 else "proxy-authenticate"]
            name = "Authorization" if status == 401 else "Proxy-Authorization"
            value = authorization(challenge, method, uri, *auth)
            self.request(method, uri, to, sender, f"{name}: {value}\r\n")
            status, reason, headers = self.response(method)
        if method == "INVITE" and status == 200:
            tag = re.search(r";tag=([^;>\s]+)", headers.get("to", ""))
            self.to_tag = f";tag={tag.group(1)}" if tag else ""
        return Answer(status, reason)


def register(
    server: tuple[str, int], *, username: str, password: str, domain: str, timeout: float = 3.0
) -> Answer:
    agent = UserAgent(server, timeout=timeout)
    try:
        aor = f"sip:{username}@{domain}"
        return agent.send("REGISTER", f"sip:{domain}", aor, aor, (username, password))
    finally:
        agent.close()


def call(
    server: tuple[str, int],
    *,
    username: str,
    password: str,
    domain: str,
    callee: str = "echo",
    timeout: float = 3.0,
) -> Answer:
    """An INVITE from username at domain; a call that is answered is acknowledged and hung up."""
    agent = UserAgent(server, timeout=timeout)
    try:
        target, caller = f"sip:{callee}@{domain}", f"sip:{username}@{domain}"
        answer = agent.send("INVITE", target, target, caller, (username, password))
        if answer.status == 200:
            agent.request("ACK", target, target, caller)
            agent.request("BYE", target, target, caller)
            agent.response("BYE")
        return answer
    finally:
        agent.close()
