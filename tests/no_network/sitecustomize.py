"""A socket guard for the no-network test: on PYTHONPATH, every Python process of a run imports it.

That is the driver and each Spark Python worker (they inherit PYTHONPATH). A connection or name lookup for
anything but loopback or a Unix socket is refused and written to $NO_NETWORK_LOG, so an attempt is seen
even where the code under test swallows the error.
"""

import ipaddress
import os
import socket

_LOG = os.environ.get("NO_NETWORK_LOG", "")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "", None}


def _is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {what}\n")
    raise OSError(f"network access refused by the test's guard: {what}")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _checked(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        _refuse(f"connect {address!r}")


def connect(self, address):
    _checked(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _checked(self, address)
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _is_loopback(host) and host != socket.gethostname():
        _refuse(f"resolve {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
if os.environ.get("NO_NETWORK_ARMED"):  # which processes ran guarded
    with open(os.environ["NO_NETWORK_ARMED"], "a", encoding="utf-8") as armed:
        armed.write(f"{os.getpid()}\n")
