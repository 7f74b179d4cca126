"""Build the Dockerfile with Debian's podman, and serve the built image where no container runs.

No Docker daemon runs on these machines and no container registry is reachable, but Debian's
``podman`` and ``debootstrap`` can be installed (``apt-get install -y podman debootstrap``):

1. **Base.** A stand-in for ``python:3.11-slim``: ``debootstrap --variant=minbase`` of Debian 12
   (whose Python is 3.11) from the mirror apt's own sources name, with a venv at /usr/local so
   ``python`` and ``pip`` are in /usr/local/bin as in the official image, imported into podman
   as ``docker.io/library/python:3.11-slim``. Its tarball is cached under
   ``~/.cache/rnn-explorer/`` (``RNNX_IMAGE_CACHE``), never in the repository.
2. **Build.** ``podman build --network host --isolation chroot`` of the Dockerfile as it is,
   with this machine's pip set-up (config files, certificate bundle, local package folders)
   mounted read-only at the same places, so ``pip install -r requirements.txt`` resolves as
   it does here. ``--format docker`` keeps the HEALTHCHECK, which the OCI format drops.
3. **Serve.** ``podman run`` cannot start a container here (``setrlimit`` is refused), so the
   image's filesystem is mounted (``podman image mount``) and its own start command run in it
   with ``chroot --userspec=UID:GID``: the user, working directory, environment and command
   all read from the built image (``podman image inspect``), only the listening address and
   port replaced (``127.0.0.1``, a free port).

    python -m deploy.image build [--fresh]        # base (cached) + image; prints timings
    python -m deploy.image serve --port 8600      # build, then serve until Ctrl-C

Everything here needs root (debootstrap, chroot, a rootful podman store).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from deploy.cluster import healthy, stop_process

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "localhost/rnn-explorer"
BASE = "docker.io/library/python:3.11-slim"
SUITE = "bookworm"  # Debian 12: Python 3.11, as python:3.11-slim
BASE_PACKAGES = "python3,python3-venv,passwd"  # passwd: the Dockerfile's useradd
DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST = "127.0.0.1"
TOOLS = ("podman", "debootstrap", "chroot", "tar")
DEFAULT_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"


def cache_dir() -> Path:
    """Where the base's tarball is kept between runs (``RNNX_IMAGE_CACHE`` or
    ``~/.cache/rnn-explorer``); a temporary folder where neither can be written."""
    configured = os.environ.get("RNNX_IMAGE_CACHE")
    path = Path(configured) if configured else Path.home() / ".cache" / "rnn-explorer"
    with contextlib.suppress(OSError):
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    path = Path(tempfile.gettempdir()) / f"rnn-explorer-image-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def unavailable() -> str | None:
    """Why the image cannot be built and served here, or None."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return (
            f"{', '.join(missing)} not installed (on Debian: apt-get install -y podman "
            "debootstrap); the image build needs them"
        )
    if os.geteuid() != 0:
        return "building the image needs root (debootstrap, chroot and a rootful podman store)"
    return None


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd``; on failure raise with the tail of its output."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    done = subprocess.run(cmd, **kwargs)
    if done.returncode != 0:
        out = ((done.stdout or "") + (done.stderr or ""))[-6000:]
        raise RuntimeError(f"{' '.join(cmd[:4])} … exited with {done.returncode}:\n{out}")
    return done


def image_exists(ref: str) -> bool:
    return subprocess.run(["podman", "image", "exists", ref], capture_output=True).returncode == 0


# --------------------------------------------------------------------------- the base


def apt_mirror() -> str:
    """The Debian archive URI apt's own sources list names (deb822 ``URIs:`` or one-line
    ``deb URI SUITE``), preferring one that serves ``bookworm`` itself; else deb.debian.org."""
    found: list[tuple[str, str]] = []  # (uri, suites)
    files = [Path("/etc/apt/sources.list")]
    files += sorted(Path("/etc/apt/sources.list.d").glob("*"))
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(
                    (m.group(1).lower(), m.group(2).strip())
                    for m in re.finditer(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.MULTILINE)
                )
                if "deb" in fields.get("types", "").split():
                    for uri in fields.get("uris", "").split():
                        found.append((uri, fields.get("suites", "")))
        else:
            for line in text.splitlines():
                words = [w for w in line.split() if not w.startswith("[")]
                if len(words) >= 3 and words[0] == "deb":
                    found.append((words[1], words[2]))
    for uri, suites in found:
        if SUITE in suites.split() and "security" not in uri:
            return uri.rstrip("/")
    return DEFAULT_MIRROR


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (two test runs must not make the base at once)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def base_tarball(cache: Path | None = None, mirror: str | None = None) -> tuple[Path, float]:
    """The base's root filesystem as a tarball (made with debootstrap unless cached);
    returns its path and the seconds spent making it (0 when it was cached)."""
    cache = cache or cache_dir()
    tarball = cache / f"python3.11-slim-{SUITE}.tar"
    if tarball.exists():
        return tarball, 0.0
    t0 = time.perf_counter()
    rootfs = Path(tempfile.mkdtemp(prefix="rootfs-", dir=cache))
    try:
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={BASE_PACKAGES}",
                SUITE,
                str(rootfs),
                mirror or apt_mirror(),
            ]
        )
        # python and pip in /usr/local/bin, as the official image has them
        run(["chroot", str(rootfs), "python3", "-m", "venv", "/usr/local"])
        for cache_sub in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / cache_sub).glob("*"):
                if item.is_file():
                    item.unlink()
        partial = tarball.with_suffix(".tar.part")
        run(["tar", "-C", str(rootfs), "-cf", str(partial), "."])
        partial.rename(tarball)
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    return tarball, time.perf_counter() - t0


def ensure_base(cache: Path | None = None) -> dict[str, float]:
    """Import the base into podman as ``python:3.11-slim`` unless it is there; timings."""
    cache = cache or cache_dir()
    timings: dict[str, float] = {}
    with locked(cache / "base.lock"):
        if image_exists(BASE):
            return {"base": 0.0}
        tarball, timings["debootstrap"] = base_tarball(cache)
        t0 = time.perf_counter()
        run(["podman", "import", str(tarball), BASE])
        timings["import"] = time.perf_counter() - t0
    return timings


# --------------------------------------------------------------------------- the build


def pip_paths() -> list[str]:
    """The files and folders this machine's pip set-up names: its existing config files, and
    the certificate bundle, constraint files and local (``file://`` or plain path) package
    folders they or ``PIP_*`` variables set."""
    paths: list[str] = []
    debug = subprocess.run(
        [sys.executable, "-m", "pip", "config", "debug"], capture_output=True, text=True
    ).stdout
    for m in re.finditer(r"^\s+(/\S+), exists: True$", debug, re.MULTILINE):
        paths.append(m.group(1))
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    keys = ("cert", "client-cert", "constraint", "requirement", "find-links", "index-url")
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        if key.rsplit(".", 1)[-1] not in keys and not key.endswith("extra-index-url"):
            continue
        for word in value.strip().strip("'\"").split():
            path = word.removeprefix("file://").rstrip("/")
            if path.startswith("/"):
                # a PEP 503 index (…/simple) links its files relative to its parent
                paths.append(str(Path(path).parent) if path.endswith("/simple") else path)
    unique = []
    for path in paths:
        if os.path.exists(path) and path not in unique:
            unique.append(path)
    return unique


def build(tag: str = IMAGE, fresh: bool = False, context: Path = ROOT) -> dict[str, float]:
    """Build the Dockerfile in ``context`` as ``tag`` (the base first, if needed); timings.

    ``fresh``: remove the image, the base and the cached base tarball first, and build
    without podman's layer cache, as on a machine that never built it."""
    if fresh:
        for ref in (tag, BASE):
            subprocess.run(["podman", "rmi", "--force", ref], capture_output=True)
        for old in cache_dir().glob("python3.11-slim-*.tar"):
            old.unlink()
    timings = ensure_base()
    cmd = ["podman", "build", "--network", "host", "--isolation", "chroot", "--format", "docker"]
    cmd += ["--pull=never", "-t", tag]
    if fresh:
        cmd.append("--no-cache")
    for path in pip_paths():
        cmd += ["-v", f"{path}:{path}:ro"]
    cmd.append(str(context))
    t0 = time.perf_counter()
    run(cmd)
    timings["build"] = time.perf_counter() - t0
    return timings


# --------------------------------------------------------------------------- serving


@dataclass
class ImageConfig:
    """What the image says about how it runs (``podman image inspect``)."""

    user: str
    workdir: str
    env: dict[str, str]
    command: list[str]  # entrypoint + cmd
    healthcheck: list[str] = field(default_factory=list)
    exposed: list[str] = field(default_factory=list)


def inspect(tag: str = IMAGE) -> ImageConfig:
    data = json.loads(run(["podman", "image", "inspect", tag]).stdout)[0]
    config = data.get("Config") or {}
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    # podman puts a docker-format image's HEALTHCHECK beside Config, not in it
    health = data.get("Healthcheck") or data.get("HealthCheck") or config.get("Healthcheck")
    health = (health or {}).get("Test") or []
    return ImageConfig(
        user=config.get("User") or "root",
        workdir=config.get("WorkingDir") or "/",
        env=env,
        command=list(config.get("Entrypoint") or []) + list(config.get("Cmd") or []),
        healthcheck=list(health),
        exposed=sorted(config.get("ExposedPorts") or {}),
    )


def resolve_user(rootfs: Path, user: str) -> tuple[int, int, str]:
    """``USER`` (a name or uid, optionally ``:group``) → (uid, gid, home) from the image's
    own /etc/passwd."""
    name, _, group = user.partition(":")
    for line in (rootfs / "etc" / "passwd").read_text().splitlines():
        parts = line.split(":")
        if len(parts) >= 7 and name in (parts[0], parts[2]):
            uid, gid, home = int(parts[2]), int(parts[3]), parts[5]
            break
    else:
        if not name.isdigit():
            raise RuntimeError(f"the image's USER {user!r} is not in its /etc/passwd")
        uid, gid, home = int(name), int(name), "/"
    if group:
        gid = int(group) if group.isdigit() else _group_id(rootfs, group)
    return uid, gid, home


def _group_id(rootfs: Path, group: str) -> int:
    for line in (rootfs / "etc" / "group").read_text().splitlines():
        parts = line.split(":")
        if parts[0] == group:
            return int(parts[2])
    raise RuntimeError(f"group {group!r} is not in the image's /etc/group")


def local_command(command: list[str], port: int, host: str = HOST) -> list[str]:
    """The image's start command with its address and port replaced (or added)."""
    out, seen = [], set()
    for arg in command:
        for option, value in (("--server.address", host), ("--server.port", str(port))):
            if arg.startswith(option + "="):
                arg = f"{option}={value}"
                seen.add(option)
        out.append(arg)
    if "--server.address" not in seen:
        out.append(f"--server.address={host}")
    if "--server.port" not in seen:
        out.append(f"--server.port={port}")
    return out


def is_mounted(path: Path) -> bool:
    """Whether ``path`` is a mount point now (/proc/self/mountinfo)."""
    target = str(Path(path))
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        if line.split()[4] == target:
            return True
    return False


@contextlib.contextmanager
def mounted(tag: str = IMAGE) -> Iterator[Path]:
    """The image's root filesystem, mounted read-only-by-convention for the block."""
    path = Path(run(["podman", "image", "mount", tag]).stdout.strip())
    try:
        yield path
    finally:
        subprocess.run(["podman", "image", "unmount", tag], capture_output=True)


class ImageServer:
    """The image's start command, run in its mounted filesystem as its own user."""

    def __init__(self, rootfs: Path, config: ImageConfig, port: int, log_path: Path,
                 extra_env: dict[str, str] | None = None):  # fmt: skip
        self.rootfs = Path(rootfs)
        self.config = config
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.log_path = Path(log_path)
        self.uid, self.gid, self.home = resolve_user(self.rootfs, config.user)
        env = {"PATH": DEFAULT_PATH, "HOME": self.home}
        env.update(config.env)
        env.update(extra_env or {})
        self.env = env
        self.argv = local_command(config.command, port)
        self.proc: subprocess.Popen | None = None
        self._log = None

    def cmdline(self) -> list[str]:
        """chroot as the image's user; the image's own ``env`` clears the environment, sets
        the image's, enters its working directory and runs its command."""
        variables = [f"{k}={v}" for k, v in self.env.items()]
        return [
            shutil.which("chroot") or "/usr/sbin/chroot",
            f"--userspec={self.uid}:{self.gid}",
            str(self.rootfs),
            "/usr/bin/env",
            "-i",
            f"--chdir={self.config.workdir}",
            *variables,
            *self.argv,
        ]

    def start(self, timeout: float = 90.0) -> float:
        """Start and wait for ``/_stcore/health`` to say "ok"; returns the seconds it took."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmdline(), stdout=self._log, stderr=subprocess.STDOUT, env={}
        )
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log()}")
            if healthy(self.url):
                return time.perf_counter() - t0
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server was not healthy after {timeout:.0f} s:\n{self.log()}")

    def process_ids(self) -> dict:
        """The server process's real, effective, saved and filesystem uids, its gid and
        supplementary groups (/proc)."""
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", status, re.MULTILINE)
        gids = re.search(r"^Gid:\s+(\d+)", status, re.MULTILINE)
        groups = re.search(r"^Groups:(.*)$", status, re.MULTILINE)
        assert uids and gids and groups, status
        real, effective, saved, fs = (int(x) for x in uids.groups())
        ids = {"uid": real, "euid": effective, "suid": saved, "fsuid": fs, "gid": int(gids[1])}
        return ids | {"groups": [int(g) for g in groups[1].split()]}

    def run_as_user(self, argv: list[str], timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run ``argv`` in the image as the server runs: its user, environment, directory."""
        cmd = self.cmdline()[: -len(self.argv)] + list(argv)
        return subprocess.run(cmd, capture_output=True, text=True, env={}, timeout=timeout)

    def healthcheck(self, timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run the image's HEALTHCHECK command in the image, as its user, with the image's
        exposed port replaced by the one served here; its exit status 0 means healthy."""
        test = list(self.config.healthcheck)
        if not test or test[0] == "NONE":
            raise RuntimeError("the image has no HEALTHCHECK")
        argv = ["sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]
        for exposed in self.config.exposed:
            number = exposed.split("/")[0]
            argv = [arg.replace(f":{number}/", f":{self.port}/") for arg in argv]
        return self.run_as_user(argv, timeout)

    def stop(self) -> None:
        """Terminate the server by its own PID (kill it after 10 s)."""
        stop_process(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self, tail: int = 20_000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return "(no server log)"


@contextlib.contextmanager
def serving(port: int, log_path: Path, tag: str = IMAGE, timeout: float = 90.0,
            extra_env: dict[str, str] | None = None) -> Iterator[ImageServer]:  # fmt: skip
    """Mount the built image and run its start command in it; unmount and stop afterwards.
    The server's ``start_seconds`` attribute holds the seconds to a healthy server."""
    config = inspect(tag)
    with mounted(tag) as rootfs:
        server = ImageServer(rootfs, config, port, log_path, extra_env)
        try:
            server.start_seconds = server.start(timeout)
            yield server
        finally:
            server.stop()


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.image", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the image (and its base, unless cached)")
    b.add_argument("--fresh", action="store_true", help="from a cold cache: no base, no layers")
    s = sub.add_parser("serve", help="build, then serve the image's filesystem until Ctrl-C")
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--fresh", action="store_true")
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"cannot build the image here: {reason}", file=sys.stderr)
        return 2
    timings = build(fresh=args.fresh)
    print("built " + IMAGE + ": " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    if args.command == "serve":
        log = cache_dir() / "serve.log"
        with serving(args.port, log) as server:
            ids = server.process_ids()
            print(
                f"serving {server.url} (pid {server.proc.pid}, uid {ids['uid']}, healthy in "
                f"{server.start_seconds:.1f} s; log {log}); Ctrl-C stops it"
            )
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
