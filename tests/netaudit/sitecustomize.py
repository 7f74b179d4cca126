"""Logs every attempt of this Python process to reach a non-local address.

Put this directory on ``PYTHONPATH`` and name a log file in ``RNNX_NET_AUDIT_LOG``: Python
imports ``sitecustomize`` at start-up, and the audit hook below sees every ``socket.connect``,
``socket.sendto`` and ``socket.getaddrinfo`` (a DNS lookup is where a connection to a host name
starts). Each one whose host is not the loopback (or a Unix socket) is appended to the log as
``event host port``; ``<log>.armed`` gets the PID of each process that installed the hook.
The tests start the server this way and require an armed hook and an empty log.
"""

import ipaddress
import os
import sys

_LOG = os.environ.get("RNNX_NET_AUDIT_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]")
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False  # a host name other than localhost
    return ip.is_loopback or ip.is_unspecified


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto"):
        address = args[1]
        if not isinstance(address, tuple):  # AF_UNIX path or abstract name
            return
        host, port = address[0], address[1] if len(address) > 1 else None
    elif event == "socket.getaddrinfo":
        host, port = args[0], args[1]
    else:
        return
    if _local(host):
        return
    with open(_LOG, "a", encoding="utf-8") as f:
        f.write(f"{event} {host} {port}\n")


if _LOG:
    sys.addaudithook(_hook)
    with open(_LOG + ".armed", "a", encoding="utf-8") as f:  # proof the hook was installed
        f.write(f"{os.getpid()}\n")
