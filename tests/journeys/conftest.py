"""Scripted workshop journeys in a real Chromium, each at two projector-sized viewports.

Fixtures: a module-scoped ``streamlit run`` server (``journey_server``; at the module's end it
must not have tried to leave 127.0.0.1), Debian's Chromium, a ``viewport`` parameter (every
journey runs at 1024×768 and 1280×800), ``open_page`` (a fresh context at that viewport whose
every request must stay on 127.0.0.1) and ``shoot`` (a screenshot into a temporary folder,
printed at the end of the run). Skipped only where no Chromium (or no playwright) exists.

Helpers: waiting for a page to settle, the sidebar's navigation and "Current model", the
Train page's progress, and every widget's visible value (for the share-link journey).
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import pytest

from benchmarks.browser import SHORTCUT, button_name
from tests.browser.server import (
    EXCEPTION,
    Server,
    mark_browser_folder,
    offsite,
    parse_step,
    train_state,
)

HERE = Path(__file__).resolve().parent
VIEWPORTS = {"1024x768": (1024, 768), "1280x800": (1280, 800)}

SHOTS = pytest.StashKey[Path]()
LOGS = pytest.StashKey[list]()
FAILED = pytest.StashKey[bool]()
NOTES = pytest.StashKey[list]()

START = "▶ Start"
RESUME = "▶ Resume"
PAUSE = "⏸ Pause"
RESET = "↺ Reset"


def pytest_collection_modifyitems(config, items):
    mark_browser_folder(items, HERE, pytest.mark.journey)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    notes = config.stash.get(NOTES, [])
    if notes:
        terminalreporter.write_sep("-", "journey measurements")
        for line in notes:
            terminalreporter.write_line(line)
    folder = config.stash.get(SHOTS, None)
    if folder is not None and folder.exists():
        shots = sorted(folder.glob("*.png"))
        terminalreporter.write_sep("-", "journey screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshot(s) in {folder}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, attach the tail of the server logs of the run so far."""
    report = yield
    if report.when == "call" and report.failed and HERE in item.path.parents:
        item.stash[FAILED] = True
        for log in item.config.stash.get(LOGS, []):
            if log.exists():
                text = log.read_text(errors="replace")[-6000:]
                report.sections.append((f"server log {log.parent.name}", text))
    return report


# ----------------------------------------------------------------------------- fixtures


def start_server(request, tmp_path_factory, name: str, port: int | None = None) -> Server:
    """A ``streamlit run app.py`` on 127.0.0.1 (a free port unless given), logged under a
    temporary folder that failure reports quote."""
    log = tmp_path_factory.mktemp(name) / "streamlit.log"
    request.config.stash.setdefault(LOGS, []).append(log)
    srv = Server(log, port=port)
    try:
        srv.start(timeout=90)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    return srv


def check_outbound(srv: Server) -> None:
    outbound = srv.outbound()
    assert not outbound, "the server tried to leave 127.0.0.1:\n" + "\n".join(outbound)


@pytest.fixture(scope="module")
def journey_server(request, tmp_path_factory):
    """One server per test module; at its end it must have tried no outbound connection."""
    srv = start_server(request, tmp_path_factory, f"server-{request.module.__name__}")
    try:
        yield srv
    finally:
        srv.stop()
    check_outbound(srv)


@pytest.fixture(params=list(VIEWPORTS), scope="module")
def viewport(request) -> str:
    return request.param


@pytest.fixture
def open_page(chromium_browser, viewport, request):
    """``open_page()`` → a page in a fresh context at the journey's viewport. At teardown,
    every request of every such context must have gone to 127.0.0.1."""
    width, height = VIEWPORTS[viewport]
    requests: list[str] = []
    contexts = []

    def make():
        context = chromium_browser.new_context(viewport={"width": width, "height": height})
        context.on("request", lambda r: requests.append(r.url))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    try:
        yield make
    finally:
        if request.node.stash.get(FAILED, False):
            for context in contexts:
                for page in context.pages:
                    with contextlib.suppress(Exception):
                        print(f"\n--- {page.url} at failure ---\n{page.inner_text('body')[:3000]}")
        for context in contexts:
            with contextlib.suppress(Exception):
                context.close()
    bad = offsite(requests)
    assert not bad, f"{len(bad)} request(s) left 127.0.0.1:\n" + "\n".join(sorted(set(bad)))


@pytest.fixture(scope="session")
def shot_dir(tmp_path_factory, pytestconfig) -> Path:
    folder = tmp_path_factory.mktemp("journey-screenshots")
    pytestconfig.stash[SHOTS] = folder
    return folder


@pytest.fixture
def shoot(shot_dir, request, viewport):
    """``shoot(page, label)`` saves a full-page screenshot as ``<test>-<viewport>-<label>.png``
    in the session's temporary folder (never in the repository)."""
    test = request.node.originalname.removeprefix("test_")
    params = getattr(request.node, "callspec", None)
    extra = [str(v) for k, v in (params.params.items() if params else ()) if k != "viewport"]
    test = "-".join([test, *extra])

    def save(page, label: str) -> Path:
        path = shot_dir / f"{test}-{viewport}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def note(request, viewport):
    """``note(text)``: a measurement, printed in the run's summary (and with -s at once)."""

    def add(text: str) -> None:
        line = f"{request.node.originalname.removeprefix('test_')} [{viewport}]: {text}"
        print(line)
        request.config.stash.setdefault(NOTES, []).append(line)

    return add


# ----------------------------------------------------------------------------- page helpers

JS_BUSY = """
() => document.querySelector('[data-testid="stApp"]')
        ?.getAttribute('data-test-script-state') === 'running'
    || document.querySelectorAll('[data-stale="true"]').length > 0
    || [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .filter(c => c.offsetParent !== null)
        .some(c => !c.querySelector('.main-svg'))
"""


def no_exception(page, where: str = "") -> None:
    """No Streamlit exception element on the page (its text is the failure message)."""
    found = page.locator(EXCEPTION)
    if found.count():
        text = found.first.inner_text()
        raise AssertionError(f"exception element on {where or page.url}:\n{text}")


def settle(page, timeout: float = 60.0, quiet: float = 0.4) -> None:
    """Wait until the script is not running, nothing is stale and every visible chart is
    drawn, and it stays so for ``quiet`` seconds (a page without a live fragment)."""
    deadline = time.perf_counter() + timeout
    calm_since = None
    while time.perf_counter() < deadline:
        try:
            busy = page.evaluate(JS_BUSY)
        except Exception:  # navigated under us
            busy = True
        if busy:
            calm_since = None
        elif calm_since is None:
            calm_since = time.perf_counter()
        elif time.perf_counter() - calm_since >= quiet:
            return
        page.wait_for_timeout(100)
    raise TimeoutError(f"{page.url} did not settle in {timeout:.0f} s")


def arrive(page, heading: str, timeout: float = 120.0) -> None:
    """Wait for the page's title heading, then for it to settle; no exception on it."""
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=timeout * 1000)
    settle(page, timeout)
    no_exception(page, heading)


def open_sidebar(page) -> None:
    """Unfold the sidebar, as a person would: below 1100 px it starts folded
    (``ui/glue/layout.py``)."""
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.count() and expand.first.is_visible():
        expand.first.click()
        page.wait_for_selector('[data-testid="stSidebar"][data-collapsed="false"]')
        page.wait_for_timeout(400)  # its slide-in


def nav(page, title: str) -> None:
    """Follow the sidebar's navigation link ``title`` (unfolding the sidebar first)."""
    open_sidebar(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()


def sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def sidebar_steps(page) -> int | None:
    """The "N training steps" of the sidebar's Current model (None if not shown)."""
    m = re.search(r"([\d,]+) training steps", sidebar_text(page))
    return int(m.group(1).replace(",", "")) if m else None


def sidebar_origin(page) -> str | None:
    m = re.search(r"Origin:\s*(.+?)\s+—", sidebar_text(page))
    return m.group(1) if m else None


def button(page, name: str):
    """The visible button called exactly ``name`` (Streamlit keeps hidden stale copies)."""
    return page.get_by_role("button", name=button_name(name)).locator("visible=true")


def sentence_box(page, label: str = "Sentence"):
    return page.get_by_label(label, exact=True)


def has_value(locator, value: str, timeout: float = 10.0) -> bool:
    """Whether the input shows ``value`` within ``timeout`` (a fresh page fills its inputs a
    moment after drawing them)."""
    from playwright.sync_api import expect

    try:
        expect(locator).to_have_value(value, timeout=timeout * 1000)
    except AssertionError:
        return False
    return True


def progress_text(page) -> str | None:
    return train_state(page)["progress"]


def wait_progress(page, predicate, what: str, timeout: float = 90.0) -> dict:
    """Poll the Train page's visible progress until ``predicate(state)``; returns the state."""
    deadline = time.perf_counter() + timeout
    state = train_state(page)
    while time.perf_counter() < deadline:
        state = train_state(page)
        if predicate(state):
            return state
        page.wait_for_timeout(200)
    raise TimeoutError(f"{what} not seen in {timeout:.0f} s; last progress: {state['progress']}")


def open_train(page, base: str, query: str = "") -> None:
    page.goto(f"{base}/train" + (f"?{query}" if query else ""))
    page.get_by_role("button", name=re.compile("Start|Resume")).first.wait_for(timeout=120_000)
    settle(page)
    no_exception(page, "Train")


def train_to_end(page, timeout: float = 120.0) -> int:
    """Press Start (or Resume) and wait for "Finished"; returns the final step."""
    page.get_by_role("button", name=re.compile(r"^▶ (Start|Resume)" + SHORTCUT + "$")).locator(
        "visible=true"
    ).first.click()
    page.get_by_text(re.compile(r"^Finished")).locator("visible=true").first.wait_for(
        timeout=timeout * 1000
    )
    button(page, START).or_(button(page, RESUME)).first.wait_for(timeout=30_000)
    settle(page)
    no_exception(page, "Train after training")
    step = parse_step(progress_text(page))
    assert step is not None and step > 0, progress_text(page)
    return step


def steps_per_second(text: str | None) -> float | None:
    m = re.search(r"([\d,]+(?:\.\d+)?) steps/s", text or "")
    return float(m.group(1).replace(",", "")) if m else None


JS_WIDGETS = """
() => {
    const shown = (e) => e.getClientRects().length > 0;
    const out = {};
    const roots = [...document.querySelectorAll('[data-testid="stElementContainer"]')]
        .filter(e => e.getAttribute('data-stale') !== 'true' && shown(e))
        .filter(e => e.querySelector('[data-testid="stWidgetLabel"]'))
        .filter(e => !e.querySelector('[data-testid="stFileUploader"]'));
    for (const root of roots) {
        const key = [...root.classList].find(c => c.startsWith('st-key-'));
        const label = root.querySelector('[data-testid="stWidgetLabel"]').innerText.trim();
        let name = key ? key.slice(7) : label;
        while (name in out) name += "'";
        let value = null;
        const tags = root.querySelectorAll(
            '[data-testid="stMultiSelectTagsContainer"] [data-tag] span[title]');
        const radios = root.querySelectorAll('[role="radio"]');
        const ranges = root.querySelectorAll('input[type="range"]');
        const box = root.querySelector('input[type="checkbox"]');
        const field = root.querySelector(
            'textarea, input:not([type="range"]):not([type="checkbox"])');
        if (root.querySelector('[data-testid="stMultiSelect"]')) {
            value = [...tags].map(t => t.textContent).join(' | ');
        } else if (radios.length) {
            value = [...radios].filter(r => r.getAttribute('aria-checked') === 'true')
                .map(r => r.innerText.trim()).join(' | ');
        } else if (ranges.length) {
            value = [...ranges].map(r => r.getAttribute('aria-valuetext') ?? r.value).join(' – ');
        } else if (box) {
            value = box.checked ? 'on' : 'off';
        } else if (field) {
            value = field.value;
        }
        out[name] = value;
    }
    return out;
}
"""


def widget_values(page) -> dict[str, str | None]:
    """Every visible widget's visible value, by its key (or label): text and number inputs,
    select boxes, sliders, segmented controls, multiselects, toggles."""
    return page.evaluate(JS_WIDGETS)


def section_text(page, start: str, end: str | None = None) -> str:
    """The main area's text from the heading ``start`` up to the heading ``end``."""
    text = page.locator('[data-testid="stMain"]').inner_text()
    i = text.find(start)
    assert i >= 0, f"no section {start!r} on {page.url}"
    j = text.find(end, i) if end else -1
    return text[i : j if j >= 0 else None]


def lines_with(text: str, pattern: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if re.search(pattern, line)]


def pick(page, group: str, option: str, nth: int = 0) -> None:
    """Click ``option`` of the segmented control (radio group) labelled ``group``."""
    radios = page.get_by_role("radiogroup", name=group, exact=True).nth(nth)
    radios.get_by_role("radio", name=option, exact=True).click()


def choose(page, label: str, option: str, nth: int = 0) -> None:
    """Choose ``option`` in the select box labelled ``label``."""
    box = page.get_by_role("combobox", name=label, exact=True).nth(nth)
    box.fill(option)  # typing filters the options; Enter takes the first
    page.wait_for_timeout(300)
    box.press("Enter")


def nudge(page, label: str, key: str = "ArrowRight", times: int = 1, nth: int = 0) -> None:
    """Move the slider whose label starts with ``label`` with the keyboard."""
    thumb = page.locator(f'input[type="range"][aria-label^="{label}"]').nth(nth)
    thumb.focus()
    for _ in range(times):
        thumb.press(key)


def type_into(page, label: str, text: str, nth: int = 0) -> None:
    box = page.get_by_label(label, exact=True).nth(nth)
    box.fill(text)
    box.press("Enter")


def share_link(page) -> str:
    """The link in the sidebar's "Share this view" expander (opened if closed)."""
    open_sidebar(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    code = sidebar.locator('[data-testid="stCode"]').locator("visible=true")
    if not code.count():
        sidebar.get_by_text("Share this view", exact=True).first.click()
    code.first.wait_for(timeout=10_000)
    return code.first.inner_text().strip()


def open_experiment(page, base: str, key: str, runs: int, timeout: float = 240) -> None:
    """Open ``/gradients?experiment=key`` and wait until all ``runs`` runs have ended (each
    run's progress reads "… steps — done" or "— diverged")."""
    page.goto(f"{base}/gradients?experiment={key}")
    arrive(page, "Gradient lab")
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=\"stProgress\"]')]"
        ".some(b => (b.innerText.match(/steps — /g) || []).length === n)",
        arg=runs,
        timeout=timeout * 1000,
        polling=500,
    )
    settle(page)
