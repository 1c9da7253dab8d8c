"""Suite-wide guards: no test may reach the network, nor write the user's state folder."""

from __future__ import annotations

import os
import socket
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """tradesim keeps crash reports and its records of sound ledgers in $XDG_STATE_HOME/tradesim:
    a scratch folder for the suite (and every command it starts)."""
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="tradesim-test-state-")


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block sockets to anything but loopback and Unix sockets (PostgreSQL tests use loopback)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address):  # noqa: ANN001
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        host = address[0] if isinstance(address, tuple) else address
        if host in ("127.0.0.1", "::1", "localhost"):
            return real_connect(self, address)
        raise NetworkBlocked(f"test tried to reach the network: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_only(socket.getaddrinfo))


def _loopback_only(real):  # noqa: ANN001, ANN202
    def getaddrinfo(host, *args, **kwargs):  # noqa: ANN001, ANN202
        if host in (None, "127.0.0.1", "::1", "localhost"):
            return real(host, *args, **kwargs)
        raise NetworkBlocked(f"network blocked in tests: tried to resolve {host!r}")

    return getaddrinfo
