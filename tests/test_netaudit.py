"""The outbound-connection audit used on the browser tests' server does see connections."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETAUDIT = ROOT / "tests" / "netaudit"

PROBE = """
import socket
for host in ("127.0.0.1", "localhost", "192.0.2.1", "rnnx-audit-check.invalid"):
    s = socket.socket()
    s.settimeout(0.05)
    try:
        s.connect((host, 9))
    except OSError:
        pass
    s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"x", ("198.51.100.7", 53))
u.sendto(b"x", ("127.0.0.1", 9))
u.close()
try:
    socket.getaddrinfo("rnnx-lookup-check.invalid", 443)
except OSError:
    pass
"""


def test_the_audit_hook_logs_non_local_attempts_only(tmp_path):
    log = tmp_path / "net.log"
    env = dict(os.environ, PYTHONPATH=str(NETAUDIT), RNNX_NET_AUDIT_LOG=str(log))
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    lines = log.read_text().splitlines()
    assert "socket.connect 192.0.2.1 9" in lines
    assert "socket.sendto 198.51.100.7 53" in lines
    # (connect() to a name that does not resolve fails before its audit event: no connection)
    assert "socket.getaddrinfo rnnx-lookup-check.invalid 443" in lines
    assert not [line for line in lines if "127.0.0.1" in line or "localhost" in line]
    assert Path(f"{log}.armed").read_text().strip().isdigit()
