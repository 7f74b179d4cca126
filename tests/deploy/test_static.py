"""Static checks of the shipped proxy configurations (no server, no browser): the haproxy
config is what ``deploy.proxy`` renders (the local cluster uses the same function), and
the ports, health path, cookie and timeouts of haproxy.cfg, nginx.conf and compose.yaml
agree with the code and the Dockerfile."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy import proxy
from deploy.cluster import Cluster, haproxy_path
from deploy.replica import WARM_FIRST, parse
from tests.test_deploy import build_context

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HAPROXY = (DEPLOY / "haproxy.cfg").read_text()
NGINX = (DEPLOY / "nginx.conf").read_text()
COMPOSE = (DEPLOY / "compose.yaml").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DOCS = (ROOT / "docs" / "DEPLOY.md").read_text()
NAMES = [name for name, _, _ in proxy.COMPOSE_SERVERS]


def settings(cfg: str) -> list[str]:
    """The lines of a haproxy config that are the same for every topology."""
    varying = ("server ", "bind ", "stats socket", "log ", "resolvers", "nameserver", "hold ")
    lines = [line.strip() for line in cfg.splitlines()]
    lines = [line for line in lines if line and not line.startswith(("#", *varying))]
    return [line.split(" resolvers ")[0] for line in lines]


def test_the_shipped_haproxy_cfg_is_what_deploy_proxy_renders():
    fix = "python -m deploy.proxy > deploy/haproxy.cfg"
    assert proxy.shipped_haproxy_config() == HAPROXY, f"deploy/haproxy.cfg drifted: {fix}"


def test_the_local_cluster_uses_the_same_settings(tmp_path):
    local = Cluster(3, port=18600, log_dir=tmp_path).config()
    assert settings(local) == settings(HAPROXY)
    assert local.count("\n    server ") == 3
    assert "bind 127.0.0.1:18600" in local


def test_haproxy_cfg_balances_sticks_redispatches_and_checks_health():
    for line in (
        "balance leastconn",
        f"cookie {proxy.COOKIE} insert indirect nocache",
        "option redispatch",
        f"option httpchk GET {proxy.HEALTH_PATH}",
        "http-check expect status 200",
        "timeout tunnel 1h",
        "http-response set-header X-Replica %[srv_name]",
    ):
        assert line in HAPROXY, line
    # nothing rewrites Host (Streamlit compares the websocket's Origin with it)
    assert not re.search(r"(?im)^\s*http-request\s+(set|replace|del)-header\s+host", HAPROXY)
    # each replica is named by the cookie, on the port the image's streamlit listens on
    port = int(re.search(r"^EXPOSE (\d+)$", DOCKERFILE, re.M).group(1))
    assert port == proxy.STREAMLIT_PORT
    servers = re.findall(r"^\s*server (\S+) (\S+):(\d+) cookie (\S+)$", HAPROXY, re.M)
    assert [(n, h, int(p), c) for n, h, p, c in servers] == [(n, n, port, n) for n in NAMES]
    assert f"bind *:{port}" in HAPROXY


def test_the_health_path_is_the_dockerfiles():
    assert f"127.0.0.1:{proxy.STREAMLIT_PORT}{proxy.HEALTH_PATH}" in DOCKERFILE
    assert proxy.HEALTH_PATH == "/_stcore/health"
    assert f"127.0.0.1:{proxy.STREAMLIT_PORT}{proxy.HEALTH_PATH}" in COMPOSE


def test_haproxy_accepts_the_local_config(tmp_path):
    exe = haproxy_path()
    if exe is None:
        pytest.skip("haproxy not found: install Debian's package `haproxy`")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(Cluster(2, port=18601, log_dir=tmp_path).config())
    result = subprocess.run([exe, "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nginx_conf_keeps_host_passes_websockets_and_names_the_replica(tmp_path):
    directives = [line.split("#")[0].strip() for line in NGINX.splitlines()]
    directives = [" ".join(d.split()) for d in directives if d]
    for needed in (
        "proxy_set_header Host $http_host;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_http_version 1.1;",
        "proxy_read_timeout 1h;",
        "proxy_pass http://$rnnx_replica;",
        f"listen {proxy.STREAMLIT_PORT};",
    ):
        assert needed in directives, needed
    assert not any(d.startswith(("ip_hash", "hash ", "sticky")) for d in directives)
    # the cookie names a replica through a closed map (never an address from the browser)
    assert f"map $cookie_{proxy.COOKIE} $rnnx_replica {{" in directives
    for name in NAMES:
        assert f"upstream {name} {{" in directives
        assert f"{name} {name};" in directives
        assert f"server {name}:{proxy.STREAMLIT_PORT} max_fails=1 fail_timeout=10s;" in directives
    assert any(
        d.startswith(f'add_header Set-Cookie "{proxy.COOKIE}=$rnnx_replica') for d in directives
    )
    # nginx itself accepts it, where nginx is installed (names mapped to the loopback)
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is not None:
        conf = tmp_path / "nginx.conf"
        conf.write_text(re.sub(r"\bapp(\d):8501", r"127.0.0.1:1850\1", NGINX))
        result = subprocess.run(
            [
                nginx,
                "-t",
                "-c",
                str(conf),
                "-p",
                str(tmp_path),
                "-g",
                f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;",
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr


def test_compose_runs_the_named_replicas_behind_the_shipped_haproxy():
    for name in NAMES:
        assert re.search(rf"(?m)^  {name}:$", COMPOSE), name
        command = (
            f'command: ["python", "-m", "deploy.replica", "--port", "{proxy.STREAMLIT_PORT}", '
            f'"--name", "{name}", "--address", "0.0.0.0"'
        )
        assert command in COMPOSE, name
        assert f"      {name}:\n        condition: service_healthy" in COMPOSE
    services = re.findall(r"(?m)^  ([a-z0-9_-]+):$", COMPOSE.split("\nservices:\n", 1)[1])
    assert services == [*NAMES, "haproxy"], services
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in COMPOSE
    assert f'"{proxy.STREAMLIT_PORT}:{proxy.STREAMLIT_PORT}"' in COMPOSE
    assert "dockerfile: Dockerfile" in COMPOSE and "context: .." in COMPOSE
    replica = COMPOSE.split("x-replica: &replica\n", 1)[1].split("\nservices:\n", 1)[0]
    assert "\n  cpus: 1.0\n" in replica  # one replica per core
    assert "\n  mem_limit: 1g\n" in replica
    # the replica's own defaults are the compose command's
    args = parse(["--port", "8501", "--name", "app1", "--address", "0.0.0.0"])
    assert args.warm.split(",") == list(WARM_FIRST) == ["sentiment"]


def test_the_image_carries_the_replica_entry_point():
    kept = build_context()
    for needed in ("deploy/__init__.py", "deploy/replica.py", "deploy/proxy.py"):
        assert needed in kept, needed


def test_ci_installs_haproxy_podman_and_debootstrap():
    ci = (ROOT / ".ci" / "run").read_text()
    apt = [line for line in ci.splitlines() if "apt-get install" in line]
    for package in ("haproxy", "podman", "debootstrap"):
        assert any(package in line.split() for line in apt), (package, apt)


def test_deploy_md_explains_a_room_of_a_hundred():
    assert "## A room of a hundred" in DOCS
    section = DOCS.split("## A room of a hundred", 1)[1].split("\n## ", 1)[0]
    for text in (
        "python -m deploy.cluster",
        "deploy/haproxy.cfg",
        "deploy/nginx.conf",
        "deploy/compose.yaml",
        "affinity-mode: persistent",
        "not run here",
        "drain",
        proxy.COOKIE,
    ):
        assert text in section, text


def test_without_haproxy_the_cluster_names_the_package(tmp_path, monkeypatch, capsys):
    import deploy.cluster as cluster_module

    monkeypatch.setattr(cluster_module, "haproxy_path", lambda: None)
    with pytest.raises(RuntimeError, match="package `haproxy`"):
        Cluster(1, log_dir=tmp_path).start()
    assert cluster_module.main(["--replicas", "1", "--log-dir", str(tmp_path)]) == 2
    assert "apt-get install -y --no-install-recommends haproxy" in capsys.readouterr().err
