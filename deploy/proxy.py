"""The haproxy configuration, written in one place.

:func:`haproxy_config` renders both the shipped ``deploy/haproxy.cfg`` (the compose
topology: :data:`COMPOSE_SERVERS`, see :func:`shipped_haproxy_config`) and the one
``deploy.cluster`` starts on the loopback, so the two cannot drift apart
(``tests/deploy/test_static.py`` compares the shipped file with this function's output).

Why each setting (docs/DEPLOY.md, "A room of a hundred"):

- ``balance leastconn``: a session is one long websocket, so the replica with the fewest
  open connections is the one with the fewest people on it.
- ``cookie RNNX_REPLICA insert indirect nocache``: stickiness that names the server. A
  session's uploads and downloads live in the memory of the replica that holds its
  websocket: without stickiness, downloads answer 404 and uploads 400. ``ip_hash`` would
  put a whole classroom behind one NAT on one replica; a hash of a cookie moves keys back
  when a replica returns, stranding live sessions. The cookie names the replica, so a
  returning replica takes only new visitors.
- ``option redispatch 1`` (with ``retries``): when the named replica is down, every retry
  goes to a living one instead of failing; the browser reconnects there as a new session.
- ``option httpchk GET /_stcore/health``: Streamlit's health endpoint, 200 "ok" once the
  replica serves (``deploy.replica`` warms the default model first).
- ``timeout tunnel``: a websocket stays open as long as the tab does.
- ``X-Replica``: each response names the replica that answered (tests and operators read
  it; it tells nothing a visitor could use).
- The ``Host`` header is passed through unchanged (haproxy's default): Streamlit compares
  the websocket's ``Origin`` with ``Host`` and answers 403 on a mismatch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

COOKIE = "RNNX_REPLICA"
HEALTH_PATH = "/_stcore/health"
REPLICA_HEADER = "X-Replica"
BACKEND = "replicas"
STREAMLIT_PORT = 8501  # the port the image's streamlit listens on (Dockerfile EXPOSE)
TUNNEL_TIMEOUT = "1h"
# the compose topology (deploy/compose.yaml): four replicas, haproxy on the app's port
COMPOSE_SERVERS: tuple[tuple[str, str, int], ...] = tuple(
    (f"app{i}", f"app{i}", STREAMLIT_PORT) for i in range(1, 5)
)
COMPOSE_BIND = f"*:{STREAMLIT_PORT}"
COMPOSE_SOCKET = "/tmp/haproxy.sock"  # the official image runs as user haproxy


def haproxy_config(
    servers: Iterable[tuple[str, str, int]],
    bind: str,
    *,
    stats_socket: str,
    log: str = "stdout",
    resolvers: Sequence[str] = (),
) -> str:
    """An haproxy.cfg for ``servers`` ((name, host, port) each) answering on ``bind``.

    ``stats_socket``: the admin socket (drain a replica: ``set server replicas/NAME state
    drain``). ``log``: ``stdout`` or ``stderr``. ``resolvers``: DNS servers (``host:port``)
    that re-resolve the server names at run time (compose: Docker's 127.0.0.11:53), so a
    replica that comes back with a new address is found; empty for fixed addresses."""
    lines = [
        "# RNN Explorer: several Streamlit replicas behind one haproxy.",
        "# Rendered by deploy/proxy.py (haproxy_config): edit that, not this file, and run",
        "#   python -m deploy.proxy > deploy/haproxy.cfg",
        '# docs/DEPLOY.md, "A room of a hundred", explains every setting.',
        "global",
        f"    log {log} format raw local0",
        "    maxconn 4096",
        f"    stats socket {stats_socket} mode 600 level admin",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlognull",
        "    # a replica that is down: retry the request on a living one at once",
        "    option redispatch 1",
        "    retries 2",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 15s",
        "    timeout http-keep-alive 15s",
        "    timeout queue 30s",
        "    # a websocket (/_stcore/stream) stays open as long as the tab",
        f"    timeout tunnel {TUNNEL_TIMEOUT}",
        "    timeout client-fin 10s",
        "",
    ]
    if resolvers:
        lines += ["resolvers dns"]
        lines += [f"    nameserver ns{i} {ns}" for i, ns in enumerate(resolvers, 1)]
        lines += ["    hold valid 10s", ""]
    lines += [
        "frontend app",
        f"    bind {bind}",
        "    # Host is passed through as the browser sent it (Streamlit checks Origin = Host)",
        f"    default_backend {BACKEND}",
        "",
        f"backend {BACKEND}",
        "    # the replica with the fewest open websockets takes the next visitor",
        "    balance leastconn",
        "    # stickiness that names the server: uploads and downloads live on one replica",
        f"    cookie {COOKIE} insert indirect nocache httponly",
        f"    option httpchk GET {HEALTH_PATH}",
        "    http-check expect status 200",
        f"    http-response set-header {REPLICA_HEADER} %[srv_name]",
    ]
    default_server = "    default-server check inter 2s fall 2 rise 2"
    if resolvers:
        default_server += " resolvers dns init-addr last,libc,none"
    lines.append(default_server)
    lines += [f"    server {name} {host}:{port} cookie {name}" for name, host, port in servers]
    return "\n".join(lines) + "\n"


def shipped_haproxy_config() -> str:
    """The text of ``deploy/haproxy.cfg``: the compose topology."""
    return haproxy_config(
        COMPOSE_SERVERS,
        COMPOSE_BIND,
        stats_socket=COMPOSE_SOCKET,
        log="stdout",
        resolvers=("127.0.0.11:53",),
    )


if __name__ == "__main__":
    print(shipped_haproxy_config(), end="")
