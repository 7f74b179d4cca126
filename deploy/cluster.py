"""A local cluster: N replicas (``deploy.replica``) behind Debian's haproxy, on the loopback.

    python -m deploy.cluster --replicas 4 --port 8600      # then open the URL it prints

Starts the replicas on free loopback ports, renders their haproxy configuration with
:func:`deploy.proxy.haproxy_config` (the same settings as the shipped ``deploy/haproxy.cfg``),
starts ``haproxy`` in front, waits until the app is healthy through the proxy with every
replica up, prints the URL and stops everything it started on Ctrl-C or SIGTERM.

For tests and benchmarks::

    from deploy.cluster import cluster

    with cluster(4, log_dir=tmp) as c:
        c.url                       # http://127.0.0.1:PORT (haproxy)
        c.replicas                  # [Replica(name="app1", port=…, pid=…), …]
        c.kill("app1")              # SIGKILL, as a crash
        c.restart("app1")           # start it again on its port; waits until haproxy sees it
        c.drain("app2")             # no new visitors; its sessions stay (c.ready() undoes it)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deploy.proxy import BACKEND, HEALTH_PATH, haproxy_config

ROOT = Path(__file__).resolve().parents[1]
NETAUDIT = ROOT / "tests" / "netaudit"  # logs outbound connections (tests only)
HOST = "127.0.0.1"
MISSING_HAPROXY = (
    "haproxy not found: install Debian's package `haproxy` "
    "(apt-get install -y --no-install-recommends haproxy)"
)


def haproxy_path() -> str | None:
    """Debian's haproxy executable, or None."""
    for path in ("/usr/sbin/haproxy", "/usr/bin/haproxy"):
        if os.access(path, os.X_OK):
            return path
    return shutil.which("haproxy")


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """Terminate a child by its own PID and wait; kill it if it outlives ``grace`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(grace)


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}{HEALTH_PATH}", timeout=timeout) as r:
            return r.status == 200 and r.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Replica:
    """One ``python -m deploy.replica`` child process."""

    name: str
    port: int
    log_path: Path
    audit_path: Path | None = None
    proc: subprocess.Popen | None = field(default=None, repr=False)
    starts: int = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self, tail: int = 20_000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return "(no log)"


class Cluster:
    """Replicas and the haproxy in front of them (see :func:`cluster`)."""

    def __init__(
        self,
        replicas: int = 2,
        port: int | None = None,
        log_dir: Path | str | None = None,
        *,
        env: dict[str, str] | None = None,
        audit: bool = False,
        warm_later: str = "",
        address: str = HOST,
    ):
        if replicas < 1:
            raise ValueError("at least one replica")
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="rnnx-cluster-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.address = address
        self.port = port or free_port(address)
        self.env = dict(env or {})
        self.audit = audit
        self.warm_later = warm_later
        self.replicas = [
            Replica(
                f"app{i}",
                free_port(),
                self.log_dir / f"app{i}.log",
                (self.log_dir / f"app{i}.net.log") if audit else None,
            )
            for i in range(1, replicas + 1)
        ]
        self.config_path = self.log_dir / "haproxy.cfg"
        self.socket_path = self.log_dir / "haproxy.sock"
        self.haproxy_log = self.log_dir / "haproxy.log"
        self.haproxy: subprocess.Popen | None = None
        self._files: list = []

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "") else self.address
        return f"http://{host}:{self.port}"

    # ------------------------------------------------------------------ start, stop

    def start(self, timeout: float = 120.0) -> float:
        """Start every replica, then haproxy; wait until all are up. Returns seconds."""
        haproxy = haproxy_path()
        if haproxy is None:
            raise RuntimeError(MISSING_HAPROXY)
        t0 = time.perf_counter()
        try:
            for replica in self.replicas:
                self._spawn(replica)
            for replica in self.replicas:
                self._wait_replica(replica, t0 + timeout)
            self.config_path.write_text(self.config())
            check = subprocess.run(
                [haproxy, "-c", "-q", "-f", str(self.config_path)], capture_output=True, text=True
            )
            if check.returncode != 0:
                raise RuntimeError(f"haproxy refused {self.config_path}:\n{check.stderr}")
            log = open(self.haproxy_log, "ab")  # noqa: SIM115 (closed in stop())
            self._files.append(log)
            self.haproxy = subprocess.Popen(
                [haproxy, "-db", "-f", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            deadline = t0 + timeout
            while time.perf_counter() < deadline:
                if self.haproxy.poll() is not None:
                    raise RuntimeError(f"haproxy exited:\n{self.haproxy_log.read_text()[-4000:]}")
                if healthy(self.url) and all(s == "UP" for s in self.states().values()):
                    return time.perf_counter() - t0
                time.sleep(0.2)
            raise RuntimeError(f"the cluster is not healthy after {timeout:.0f} s: {self.states()}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop haproxy and every replica this cluster started (by their own PIDs)."""
        procs = [self.haproxy] + [r.proc for r in self.replicas]
        for proc in procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in procs:
            if proc is None:
                continue
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        for f in self._files:
            f.close()
        self._files = []

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ replicas

    def replica(self, name: str) -> Replica:
        for replica in self.replicas:
            if replica.name == name:
                return replica
        raise KeyError(f"no replica {name!r}; the cluster has {[r.name for r in self.replicas]}")

    def kill(self, name: str) -> None:
        """SIGKILL a replica, as a crash would (haproxy finds out on its own)."""
        replica = self.replica(name)
        if replica.alive():
            replica.proc.send_signal(signal.SIGKILL)
            replica.proc.wait(10)

    def restart(self, name: str, timeout: float = 60.0) -> float:
        """Start a replica again on its port (stopping it first if it runs); waits until it
        is healthy and haproxy has marked it up. Returns the seconds it took."""
        replica = self.replica(name)
        stop_process(replica.proc)
        t0 = time.perf_counter()
        self._spawn(replica)
        self._wait_replica(replica, t0 + timeout)
        self.wait_state(name, "UP", timeout=max(1.0, t0 + timeout - time.perf_counter()))
        return time.perf_counter() - t0

    def drain(self, name: str) -> None:
        """No new visitors for ``name``; the sessions it holds stay (see docs/DEPLOY.md)."""
        self.command(f"set server {BACKEND}/{name} state drain")

    def ready(self, name: str) -> None:
        """Undo :meth:`drain`."""
        self.command(f"set server {BACKEND}/{name} state ready")

    def _spawn(self, replica: Replica) -> None:
        env = dict(os.environ, **self.env)
        env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
        env.setdefault("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "none")
        env.setdefault("PYTHONUNBUFFERED", "1")
        if replica.audit_path is not None:
            if replica.starts == 0:
                replica.audit_path.write_text("")
                Path(f"{replica.audit_path}.armed").unlink(missing_ok=True)
            env["RNNX_NET_AUDIT_LOG"] = str(replica.audit_path)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(NETAUDIT), str(ROOT), env.get("PYTHONPATH", "")) if p
            )
        log = open(replica.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self._files.append(log)
        cmd = [
            sys.executable,
            "-m",
            "deploy.replica",
            "--port",
            str(replica.port),
            "--name",
            replica.name,
            "--address",
            HOST,
        ]
        if self.warm_later:
            cmd += ["--warm-later", self.warm_later]
        replica.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        replica.starts += 1

    def _wait_replica(self, replica: Replica, deadline: float) -> None:
        while time.perf_counter() < deadline:
            if not replica.alive():
                raise RuntimeError(f"replica {replica.name} exited:\n{replica.log(4000)}")
            if healthy(replica.url, timeout=1.0):
                return
            time.sleep(0.2)
        raise RuntimeError(f"replica {replica.name} not healthy in time:\n{replica.log(4000)}")

    # ------------------------------------------------------------------ haproxy

    def config(self) -> str:
        """This cluster's haproxy.cfg (deploy.proxy.haproxy_config, as deploy/haproxy.cfg)."""
        return haproxy_config(
            [(r.name, HOST, r.port) for r in self.replicas],
            f"{self.address}:{self.port}",
            stats_socket=str(self.socket_path),
            log="stderr",
        )

    def command(self, line: str) -> str:
        """One command on haproxy's admin socket; returns its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.socket_path))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def states(self) -> dict[str, str]:
        """Each replica's state as haproxy sees it: UP, DOWN, DRAIN, MAINT, …"""
        try:
            text = self.command("show stat")
        except OSError:
            return {}
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        px, sv, status = header.index("pxname"), header.index("svname"), header.index("status")
        out = {}
        for line in lines[1:]:
            cols = line.split(",")
            if cols[px] == BACKEND and cols[sv] not in ("FRONTEND", "BACKEND"):
                out[cols[sv]] = cols[status].split()[0]
        return out

    def wait_state(self, name: str, state: str, timeout: float = 30.0) -> float:
        """Wait until haproxy reports ``name`` in ``state``; returns the seconds waited."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.states().get(name) == state:
                return time.perf_counter() - t0
            time.sleep(0.2)
        raise TimeoutError(f"{name} never became {state} in {timeout:.0f} s: {self.states()}")

    # ------------------------------------------------------------------ audits

    def outbound(self) -> list[str]:
        """Every replica's attempts to reach a non-loopback address (needs ``audit=True``)."""
        lines = []
        for replica in self.replicas:
            if replica.audit_path is None:
                raise RuntimeError("the cluster was started without audit=True")
            armed = Path(f"{replica.audit_path}.armed")
            if not armed.exists() or not armed.read_text().strip():
                raise RuntimeError(f"the network audit hook was not installed in {replica.name}")
            lines += [f"{replica.name}: {x}" for x in replica.audit_path.read_text().splitlines()]
        return lines


@contextlib.contextmanager
def cluster(
    replicas: int = 2,
    port: int | None = None,
    log_dir: Path | str | None = None,
    *,
    env: dict[str, str] | None = None,
    audit: bool = False,
    warm_later: str = "",
    address: str = HOST,
    timeout: float = 120.0,
) -> Iterator[Cluster]:
    """A started :class:`Cluster`, stopped on exit. ``env`` goes to every replica (e.g. the
    hosted limits); ``audit`` logs their outbound connections (tests/netaudit);
    ``warm_later`` is passed to each replica's ``--warm-later``."""
    c = Cluster(
        replicas, port, log_dir, env=env, audit=audit, warm_later=warm_later, address=address
    )
    c.start(timeout)
    try:
        yield c
    finally:
        c.stop()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__.split("\n")[0])
    p.add_argument("--replicas", type=int, default=max(1, os.cpu_count() or 1))
    p.add_argument("--port", type=int, default=8600)
    p.add_argument("--address", default=HOST, help="where haproxy listens (0.0.0.0: the network)")
    p.add_argument("--log-dir", type=Path, default=None)
    p.add_argument(
        "--warm-later", default="all", help="passed to each replica ('' to warm only Explore's)"
    )
    args = p.parse_args(argv)
    if haproxy_path() is None:
        print(MISSING_HAPROXY, file=sys.stderr)
        return 2

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    c = Cluster(
        args.replicas, args.port, args.log_dir, warm_later=args.warm_later, address=args.address
    )
    try:
        seconds = c.start()
        print(f"{args.replicas} replicas up in {seconds:.1f} s; logs in {c.log_dir}")
        for r in c.replicas:
            print(f"  {r.name}: {r.url} (pid {r.pid})")
        print(f"RNN Explorer: {c.url}   (Ctrl-C stops everything)", flush=True)
        while True:
            if c.haproxy is not None and c.haproxy.poll() is not None:
                print("haproxy exited; stopping", file=sys.stderr)
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("stopping", flush=True)
        return 0
    finally:
        c.stop()


if __name__ == "__main__":
    sys.exit(main())
