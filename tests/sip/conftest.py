"""Fixtures of the SIP server tests: Kamailio started once per module on the test database."""

from __future__ import annotations

import socket

import pytest

from sip.sip_server import start
from sip.sip_server import stop


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def md5_server(django_db_setup, django_db_blocker):
    port = free_port()
    with django_db_blocker.unblock():
        process = start(port)
    yield ("127.0.0.1", port)
    stop(process)


@pytest.fixture(scope="module")
def sha256_server(django_db_setup, django_db_blocker):
    port = free_port()
    with django_db_blocker.unblock():
        process = start(port, sha256=True)
    yield ("127.0.0.1", port)
    stop(process)
