"""How django-axes identifies who is trying to log in: the client's address and the log line.

Behind proxies, REMOTE_ADDR is the nearest proxy, so every client would share one address and
five failures would lock a username out for everyone. With AXES_PROXY_COUNT trusted proxies in
front of the app, the client is the address the outermost of them saw: each proxy appends the
address it received the request from to X-Forwarded-For, so that is the entry AXES_PROXY_COUNT
places from the right. Entries further left were written by the client and can be forged, so
they never count. Without trusted proxies (the default) X-Forwarded-For is ignored entirely.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.CLIENT_IP_PROXY_COUNT
    if proxies <= 0:
        return remote
    chain = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(chain) < proxies:
        # Not through all the trusted proxies: only the direct peer is known.
        return remote
    candidate = chain[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_str(
    username: str | None,
    ip_address: str | None,
    user_agent: str | None,
    path_info: str | tuple | list | None,
    request: HttpRequest,
) -> str:
    """The username and address a lockout is about, quoted so that a typed username cannot
    forge a line of its own in the log."""
    if isinstance(path_info, (tuple, list)):
        path_info = path_info[0]
    return f"username={username!r} ip_address={ip_address!r} path={path_info!r}"


def client_address(request: HttpRequest) -> str | None:
    """The client's address for a record (the sign-in history, the session list): None when
    it is not an IP address (a test server's, say)."""
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
