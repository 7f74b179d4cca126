"""Start the app and drive it in Debian's Chromium: shared by the browser benchmarks,
``benchmarks/screenshots.py`` and the browser tests (``tests/browser/server.py`` re-exports
all of it, adding only what is pytest's).

Start the app with ``streamlit run`` on a free local port and stop it by its own PID, find
Debian's Chromium (never downloads one), launch it headless, list the requests that left
127.0.0.1, wait for plotly charts to be drawn, read the Train page's progress, and save a
whole page as a PNG of bounded size. See docs/DEVELOPING.md, "Browser tests".
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from deploy.cluster import stop_process

ROOT = Path(__file__).resolve().parents[1]
NETAUDIT = ROOT / "tests" / "netaudit"  # a sitecustomize that logs outbound connections
HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHART = '[data-testid="stPlotlyChart"]'
EXCEPTION = '[data-testid="stException"]'  # Streamlit's exception element
DRAWN = f"{CHART} .main-svg"
LOCAL_SCHEMES = ("data", "blob", "about")
MAX_PNG = 600_000  # bytes: the most a saved screenshot may weigh (see save_screenshot)


def find_chromium() -> str | None:
    """The path of a Chromium executable, or None. Never downloads one."""
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_unavailable() -> str | None:
    """Why a browser run cannot happen here (no Chromium, no playwright), or None."""
    if find_chromium() is None:
        return "no Chromium executable found (/usr/bin/chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def offsite(urls: Iterable[str], host: str = HOST) -> list[str]:
    """The URLs that went anywhere but ``host`` (``data:``, ``blob:``, ``about:`` are fine)."""
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.hostname != host:
            bad.append(url)
    return bad


class Server:
    """A ``streamlit run app.py`` child process on a free port, logging to ``log_path``; with
    ``replica=True`` a hosted replica instead (``python -m deploy.replica``: the same app,
    its process set up and its default model trained before it listens)."""

    def __init__(
        self,
        log_path: Path,
        port: int | None = None,
        app: str = "app.py",
        env: dict[str, str] | None = None,
        audit: bool = True,
        replica: bool = False,
    ):
        self.replica = replica
        self.port = port or free_port()
        self.extra_env = dict(env or {})
        # every attempt of the server to reach a non-local address is logged here (see
        # tests/netaudit/sitecustomize.py); ``outbound()`` reads it back
        self.audit_path = Path(log_path).with_suffix(".net.log") if audit else None
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = Path(log_path)
        self.app = app
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 60.0) -> float:
        """Start and wait for ``/_stcore/health`` to say "ok"; returns the seconds it took."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        env = dict(
            os.environ,
            STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
            # as a hosted server runs (Dockerfile): no reloading of modules edited mid-test
            STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
            **self.extra_env,
        )
        if self.audit_path is not None:
            self.audit_path.write_text("")
            Path(f"{self.audit_path}.armed").unlink(missing_ok=True)
            env["RNNX_NET_AUDIT_LOG"] = str(self.audit_path)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(NETAUDIT), str(ROOT), env.get("PYTHONPATH", "")) if p
            )
        t0 = time.perf_counter()
        if self.replica:
            command = ["deploy.replica", f"--address={HOST}", f"--port={self.port}"]
            command.append(f"--name=replica-{self.port}")
        else:
            command = ["streamlit", "run", self.app, "--server.headless=true"]
            command += [f"--server.address={HOST}", f"--server.port={self.port}"]
            command.append("--browser.gatherUsageStats=false")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.proc.returncode}:\n{self.log()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return time.perf_counter() - t0
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        """Terminate the child by its own PID (kill it after 10 s)."""
        stop_process(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def outbound(self) -> list[str]:
        """The server's attempts to reach anything but the loopback so far (audit log lines)."""
        if self.audit_path is None:
            return []
        armed = Path(f"{self.audit_path}.armed")
        if self.proc is None or not armed.exists() or str(self.proc.pid) not in armed.read_text():
            raise RuntimeError(f"the network audit hook was not installed in the server ({armed})")
        return self.audit_path.read_text().splitlines()

    def log(self, tail: int = 20_000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return text[-tail:]


@contextlib.contextmanager
def running_server(log_path: Path, timeout: float = 60.0, audit: bool = True) -> Iterator[Server]:
    server = Server(log_path, audit=audit)
    server.start(timeout)
    try:
        yield server
    finally:
        server.stop()


SHORTCUT = r"( Shortcut .+)?"  # a button with a keyboard shortcut: its name ends in it


def button_name(label: str) -> re.Pattern:
    """The accessible name of a button labelled ``label``, exactly, whether or not it has a
    keyboard shortcut (Streamlit names the key in the button: "▶ Start Shortcut P")."""
    return re.compile("^" + re.escape(label) + SHORTCUT + "$")


def launch_chromium(playwright, executable: str | None = None):
    executable = executable or find_chromium()
    if executable is None:
        raise RuntimeError("no Chromium executable found")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def new_context(browser, requests: list[str] | None = None):
    """A fresh context (1400×1000); every request URL is appended to ``requests``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    if requests is not None:
        context.on("request", lambda request: requests.append(request.url))
    return context


# ------------------------------------------------------------------- page helpers

JS_X_TICKS = """
(chart) => {
    const svg = chart.querySelector('.main-svg');
    if (!svg) return null;
    return Array.from(chart.querySelectorAll('.xtick text')).map(t => t.textContent);
}
"""

JS_ALL_DRAWN = """
() => {
    const charts = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
        .filter(c => c.offsetParent !== null);  // skip charts in hidden tabs
    return charts.length > 0 && charts.every(c => c.querySelector('.main-svg'));
}
"""

JS_STALE = """
() => document.querySelector('[data-testid="stApp"]')
        ?.getAttribute('data-test-script-state') === 'running'
    || document.querySelectorAll('[data-stale="true"]').length > 0
"""


def exception_text(page) -> str | None:
    """The text of the first exception element on the page, or None when there is none."""
    if page.locator(EXCEPTION).count() == 0:
        return None
    return page.locator(EXCEPTION).first.inner_text()


def x_ticks(page, index: int = 0) -> list[str]:
    """The x tick labels of the ``index``-th plotly chart on the page ([] if not drawn)."""
    return page.locator(CHART).nth(index).evaluate(JS_X_TICKS) or []


def wait_for_ticks(page, words: Iterable[str], timeout: float = 60.0, index: int = 0) -> float:
    """Wait until chart ``index``'s x ticks include every word; returns seconds waited."""
    words = set(words)
    t0 = time.perf_counter()
    deadline = t0 + timeout
    last: list[str] = []
    while time.perf_counter() < deadline:
        try:
            last = x_ticks(page, index)
        except Exception:  # the element was re-rendered under us: try again
            last = []
        if words <= set(last):
            return time.perf_counter() - t0
        page.wait_for_timeout(50)
    raise TimeoutError(f"x ticks {last} never included {sorted(words)} in {timeout:.0f} s")


def wait_until_settled(page, timeout: float = 60.0) -> None:
    """Wait for the network to go idle, the script to finish and every visible chart drawn."""
    page.wait_for_load_state("networkidle", timeout=timeout * 1000)
    page.wait_for_function(JS_ALL_DRAWN, timeout=timeout * 1000)
    page.wait_for_function(f"() => !({JS_STALE})()", timeout=timeout * 1000)
    page.wait_for_timeout(500)  # plotly's last relayout


def enter_sentence(page, text: str) -> None:
    box = page.get_by_label("Sentence", exact=True)
    box.fill(text)
    box.press("Enter")


def save_screenshot(page, path: Path, max_bytes: int = MAX_PNG) -> None:
    """The whole page as a PNG, shrunk (Pillow) or cut to the viewport if it is too big.

    Streamlit scrolls inside ``stMain``, not the document, so ``full_page=True`` alone would
    only capture the viewport: grow the viewport to the content's height first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    height = page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        " document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0)"
    )
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 8000)})
    try:
        wait_until_settled(page)
        page.screenshot(path=path, full_page=True)
    finally:
        page.set_viewport_size(viewport)
    if path.stat().st_size <= max_bytes:
        return
    try:
        from PIL import Image
    except ImportError:
        page.screenshot(path=path, full_page=False)
        return
    with Image.open(path) as im:
        for scale in (1.0, 0.75, 0.6, 0.5):
            size = (round(im.width * scale), round(im.height * scale))
            small = im.convert("RGB").resize(size, Image.LANCZOS).quantize(256)
            small.save(path, optimize=True)
            if path.stat().st_size <= max_bytes:
                return
    page.screenshot(path=path, full_page=False)


# ------------------------------------------------------------------- train page helpers

PROGRESS = '[data-testid="stProgress"]'

JS_TRAIN_STATE = """
(title) => {
    // Streamlit keeps hidden stale copies of a fragment's elements: read the visible ones.
    const visible = (e) => e.offsetParent !== null;
    const bar = [...document.querySelectorAll('[data-testid="stProgress"]')].find(visible);
    const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .filter(visible)
        .find(c => c.querySelector('.gtitle')?.textContent === title);
    const path = chart?.querySelector('.scatterlayer .trace path.js-line');
    const d = path?.getAttribute('d') ?? null;
    const points = d === null ? 0 : (d.match(/L/g) ?? []).length + 1;
    return {
        progress: bar ? bar.innerText : null,
        chart: d === null ? null : `${points}:${d.length}:${d.slice(-40)}`,
    };
}
"""


def parse_step(text: str | None) -> int | None:
    """The step number of a progress text such as "step 4,320 of 20,000 · …" (None if none)."""
    if not text:
        return None
    words = text.replace(",", "").split()
    try:
        return int(words[words.index("step") + 1])
    except (ValueError, IndexError):
        return None


def train_state(page, title: str = "Loss") -> dict:
    """The visible progress text, its step and a signature of chart ``title``'s first line
    (points:length:tail of its SVG path; None while it is not drawn)."""
    try:
        state = page.evaluate(JS_TRAIN_STATE, title)
    except Exception:  # the page navigated or re-rendered under us
        state = {"progress": None, "chart": None}
    state["step"] = parse_step(state["progress"])
    return state


def wait_for_step(page, at_least: int, timeout: float = 60.0, poll: float = 0.25) -> int:
    """Wait until the progress text shows a step ≥ ``at_least``; returns that step."""
    deadline = time.perf_counter() + timeout
    last = None
    while time.perf_counter() < deadline:
        last = train_state(page)["step"]
        if last is not None and last >= at_least:
            return last
        page.wait_for_timeout(poll * 1000)
    raise TimeoutError(f"the progress never reached step {at_least} (last {last}) in {timeout} s")


def rss_mib(pid: int) -> float:
    """:func:`rss_kib` in MiB; nan where unreadable."""
    kib = rss_kib(pid)
    return float("nan") if kib is None else kib / 1024


def rss_kib(pid: int) -> int | None:
    """A process's resident set size (VmRSS) in KiB, from /proc; None where unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None
