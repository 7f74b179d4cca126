"""A room of a hundred, in small: two replicas behind Debian's haproxy (``deploy.cluster``),
several browser contexts through the proxy (issue 15).

One cluster for the module (its replicas' outbound connections are audited: none may leave
the loopback). In order: a fresh replica's first visitor finds the default model trained;
sessions spread over the replicas and each explores, trains, uploads a CSV and downloads
its metrics; a visitor under a non-loopback host name; then one replica is killed with
SIGKILL mid-run and restarted, and nobody sees an exception.
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from benchmarks.browser import button_name
from deploy.cluster import cluster
from deploy.proxy import COOKIE, REPLICA_HEADER
from deploy.replica import PREFIX
from tests.browser.server import (
    CHROMIUM_ARGS,
    DRAWN,
    EXCEPTION,
    ROOT,
    find_chromium,
    offsite,
    parse_step,
    train_state,
)

CSV = ROOT / "tests" / "data" / "example.csv"
TASK = "sentiment"
SLOW = 90.0  # seconds before a wait is called stuck (2 shared cores, two replicas, Chromium)
HOST_NAME = "rnn.workshop.test"
TRAINING_NOTE = "Training the default model"
# records whether the default model's progress bar ("Training the default model…") was
# ever on the page, however briefly
JS_WATCH_TRAINING = (
    "(() => {\n"
    "    window.__rnnxSawTraining = false;\n"
    "    const check = () => {\n"
    "        const text = document.body ? document.body.innerText : '';\n"
    f"        if (text.includes({TRAINING_NOTE!r})) window.__rnnxSawTraining = true;\n"
    "    };\n"
    "    const all = {subtree: true, childList: true, characterData: true};\n"
    "    new MutationObserver(check).observe(document, all);\n"
    "})();\n"
)


def probe_404(status: int, url: str) -> bool:
    path = urlsplit(url).path
    return (
        status == 404
        and path.endswith(("/_stcore/health", "/_stcore/host-config"))
        and not path.startswith("/_stcore/")
    )


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """Two replicas behind haproxy; at the end, none may have tried to leave 127.0.0.1."""
    log_dir = tmp_path_factory.mktemp("cluster")
    t0 = time.perf_counter()
    with cluster(2, log_dir=log_dir, audit=True) as c:
        say(f"cluster up in {time.perf_counter() - t0:.1f} s: {c.url}, logs in {log_dir}")
        yield c
        outbound = c.outbound()
    assert not outbound, "a replica tried to leave 127.0.0.1:\n" + "\n".join(outbound)


class Visitor:
    """One browser context through the proxy: its responses (status, URL, replica, when), its
    requests, the replica its pages came from."""

    def __init__(self, browser, base: str, name: str, host: str = "127.0.0.1"):
        self.base, self.name, self.host = base, name, host
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(JS_WATCH_TRAINING)
        self.requests: list[str] = []
        self.responses: list[tuple[int, str, str | None, float]] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on(
            "response",
            lambda r: self.responses.append(
                (r.status, r.url, r.header_value(REPLICA_HEADER), time.perf_counter())
            ),
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(SLOW * 1000)
        self.replica: str | None = None

    def goto(self, path: str) -> str:
        """Open ``path``; returns (and remembers) the replica that served the page."""
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status == 200, (path, response)
        self.replica = response.header_value(REPLICA_HEADER)
        assert self.replica, f"no {REPLICA_HEADER} header on {path}"
        return self.replica

    def cookie(self) -> str | None:
        for c in self.context.cookies():
            if c["name"] == COOKIE:
                return c["value"]
        return None

    def bad_responses(self, since: float = 0.0) -> list[tuple[int, str, str | None, float]]:
        """400, 403, 404 and 5xx answers, except the 404s of Streamlit's base-path probe (on
        /explore, the page first asks /explore/_stcore/health and …/host-config, then the
        root: a single server answers the same)."""
        return [
            r
            for r in self.responses
            if r[3] >= since
            and (r[0] in (400, 403, 404) or r[0] >= 500)
            and not probe_404(r[0], r[1])
        ]

    def no_exception(self, where: str) -> None:
        loc = self.page.locator(EXCEPTION)
        assert loc.count() == 0, f"{self.name} at {where}: {loc.first.inner_text()[:2000]}"

    def check_clean(self, where: str) -> None:
        self.no_exception(where)
        assert not self.bad_responses(), f"{self.name}: {self.bad_responses()}"
        bad = offsite(self.requests, self.host)
        assert not bad, f"{self.name}: requests left {self.host}: {sorted(set(bad))}"

    def saw_training(self) -> bool:
        return bool(self.page.evaluate("() => window.__rnnxSawTraining"))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


@pytest.fixture
def visitors(chromium_browser, two):
    made: list[Visitor] = []

    def make(name: str) -> Visitor:
        v = Visitor(chromium_browser, two.url, name)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()


def wait_until(v: Visitor, check, what: str, timeout: float = SLOW):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        v.no_exception(what)
        try:
            value = check()
        except Exception:  # re-rendered under us
            value = None
        if value:
            return value
        v.page.wait_for_timeout(200)
    raise AssertionError(f"{v.name}: timed out after {timeout:.0f} s waiting for {what}")


def explore(v: Visitor) -> tuple[str, float]:
    """Open Explore through the proxy and wait for the first chart; (replica, seconds)."""
    t0 = time.perf_counter()
    replica = v.goto(f"/explore?task={TASK}")
    v.page.locator(DRAWN).first.wait_for(timeout=SLOW * 1000)
    seconds = time.perf_counter() - t0
    v.no_exception("Explore")
    return replica, seconds


def start_training(v: Visitor, steps: int, seed: int) -> None:
    v.goto(f"/train?task={TASK}&seed={seed}&steps={steps}")
    start = v.page.get_by_role("button", name=button_name("▶ Start")).locator("visible=true")
    start.first.wait_for(timeout=SLOW * 1000)
    start.first.click()


def step(v: Visitor) -> int | None:
    return train_state(v.page)["step"]


def finish(v: Visitor, steps: int, timeout: float = SLOW) -> None:
    def done():
        return (
            parse_step(train_state(v.page)["progress"]) == steps
            and v.page.get_by_text(re.compile(r"^Finished")).locator("visible=true").count()
        )

    wait_until(v, done, f"{steps} steps to finish", timeout)


def download_metrics(v: Visitor) -> list[str]:
    """Download the metrics CSV from the Train page; returns its lines (header first)."""
    button = v.page.get_by_role("button", name="Metrics (CSV)")
    button.wait_for(timeout=SLOW * 1000)  # drawn after "Finished", once the files are made
    with v.page.expect_download(timeout=SLOW * 1000) as info:
        button.click()
    text = info.value.path().read_text()
    lines = text.strip().splitlines()
    assert len(lines) >= 2 and "step" in lines[0], text[:500]
    return lines


def upload_csv(v: Visitor) -> None:
    """Upload tests/data/example.csv on the Train page: the task becomes "csv"."""
    v.page.get_by_text("Load a model or your own data").first.click()
    uploader = v.page.locator('[data-testid="stFileUploader"]').filter(has_text="own CSV")
    uploader.locator('input[type="file"]').set_input_files(str(CSV))
    task = v.page.get_by_role("combobox", name="Task", exact=True)
    wait_until(v, lambda: task.input_value() == "csv", "the task to become csv after the upload")


def trained_lines(log: str) -> list[str]:
    return [
        line for line in log.splitlines() if line.startswith(PREFIX) and "trained default" in line
    ]


# ------------------------------------------------------------------------------ tests


@pytest.fixture(scope="module")
def people(chromium_browser, two):
    """Three visitors who opened Explore through the proxy on the fresh cluster, one after
    the other (leastconn spreads them over both replicas); kept for the module, so their
    browsers' caches (plotly.js) serve the later tests. ``first`` holds each replica's first
    visitor's seconds from the page request to the first chart."""
    made: list[Visitor] = []
    first: dict[str, float] = {}
    saw: dict[str, bool] = {}
    for k in range(3):
        v = Visitor(chromium_browser, two.url, f"person-{k}")
        made.append(v)
        replica, seconds = explore(v)
        if replica not in first:
            first[replica] = seconds
            saw[replica] = v.saw_training()
    try:
        yield made, first, saw
    finally:
        for v in made:
            v.close()


def test_a_fresh_replicas_first_visitor_finds_the_default_model_trained(two, people):
    """Each replica trained Explore's default model before it answered its health check;
    its first visitor sees no "Training the default model" bar and the replica trains
    nothing more for them (``deploy.replica`` logs every default model it trains)."""
    visitors_, first, saw = people
    assert set(first) == {r.name for r in two.replicas}, [v.replica for v in visitors_]
    assert not any(saw.values()), f"a first visitor saw the default model train: {saw}"
    for replica in two.replicas:
        lines = trained_lines(replica.log())
        assert len(lines) == 1 and f"trained default {TASK} in" in lines[0], lines
        assert "(before serving)" in lines[0], lines
    say(
        "first Explore visit per replica (page → first chart): "
        + ", ".join(f"{k} {s:.1f} s" for k, s in sorted(first.items()))
    )
    for v in visitors_:
        v.check_clean("Explore")


def test_sessions_spread_and_each_explores_trains_uploads_and_downloads(two, people):
    visitors_ = people[0]
    assert {v.replica for v in visitors_} == {r.name for r in two.replicas}
    for k, v in enumerate(visitors_):
        start_training(v, steps=60, seed=k)
    for v in visitors_:
        finish(v, 60)
        lines = download_metrics(v)
        upload_csv(v)
        v.page.wait_for_timeout(500)
        assert v.cookie() == v.replica, (v.name, v.cookie(), v.replica)
        # every response of the session came from its own replica
        served = {r[2] for r in v.responses if r[2]}
        assert served == {v.replica}, (v.name, served)
        v.check_clean("Train after the upload")
        say(f"{v.name} on {v.replica}: trained, {len(lines) - 1} metric rows, CSV uploaded")


def test_a_host_name_that_is_not_the_loopback(chromium_browser, two):
    """Through the proxy under a host name of its own (Chromium maps it to 127.0.0.1): the
    page loads (Streamlit's Origin = Host check passes because haproxy keeps Host) and no
    replica looks anything up outside."""
    port = two.port
    browser = chromium_browser.browser_type.launch(
        executable_path=find_chromium(),
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST_NAME} 127.0.0.1"],
    )
    try:
        v = Visitor(browser, f"http://{HOST_NAME}:{port}", "named", host=HOST_NAME)
        explore(v)
        v.page.wait_for_timeout(1000)
        v.check_clean("Explore under a host name")
        v.close()
    finally:
        browser.close()
    assert not two.outbound(), two.outbound()


def test_a_drained_replica_takes_no_new_visitors(two):
    """``drain`` (haproxy's admin socket): new visitors go elsewhere; ``ready`` undoes it."""
    names = [r.name for r in two.replicas]

    def served() -> set[str]:
        seen = set()
        for _ in range(6):  # no cookie: a new visitor each time
            with urllib.request.urlopen(f"{two.url}/", timeout=10) as r:
                seen.add(r.headers[REPLICA_HEADER])
        return seen

    two.drain(names[0])
    try:
        assert two.states()[names[0]] == "DRAIN", two.states()
        assert served() == {names[1]}
    finally:
        two.ready(names[0])
    assert two.states()[names[0]] == "UP", two.states()


def test_a_killed_replica_costs_its_sessions_their_run_and_nothing_else(two, people, visitors):
    # one session on each replica, both training
    victim = people[0][0]
    victim_name = victim.replica
    survivor = next(p for p in people[0] if p.replica != victim_name)
    # enough steps that the survivor is still training when the victim's replica dies (with
    # 800, a faster trainer had nearly finished by then: 780 of 800 at the kill)
    steps = 4000
    for k, v in enumerate((victim, survivor)):
        start_training(v, steps=steps, seed=10 + k)
    wait_until(victim, lambda: (step(victim) or 0) > 20, "the victim to train")
    wait_until(survivor, lambda: (step(survivor) or 0) > 20, "the survivor to train")

    two.kill(victim_name)
    killed_at = time.perf_counter()
    before = step(survivor) or 0
    say(f"killed {victim_name} (the survivor was at step {before})")

    # the survivor keeps training, finishes and downloads its metrics
    wait_until(
        survivor, lambda: (step(survivor) or 0) > before + 20, "the survivor to keep training"
    )
    two.wait_state(victim_name, "DOWN", timeout=30)
    say(f"haproxy marked {victim_name} down {time.perf_counter() - killed_at:.1f} s after the kill")

    # a new visitor lands on a living replica
    newcomer = visitors("newcomer")
    landed, _ = explore(newcomer)
    assert landed == survivor.replica, landed
    newcomer.check_clean("Explore while a replica is down")

    # the victim's page reconnects to the living replica as a fresh session: no exception;
    # the user presses Start again and trains from step 0
    wait_until(
        victim,
        lambda: (
            victim.cookie() == survivor.replica
            or victim.page.get_by_role("button", name=button_name("▶ Start"))
            .locator("visible=true")
            .count()
        ),
        "the victim to reconnect",
        timeout=60,
    )
    reconnected = time.perf_counter() - killed_at
    victim.page.wait_for_timeout(1000)
    victim.no_exception("after its replica was killed")
    # ... and says why the run is gone (app_pages/train.py, LOST_RUN)
    note = victim.page.get_by_text("not there any more")
    wait_until(victim, lambda: note.count() > 0, "the note that the run is gone", timeout=30)
    fresh = time.perf_counter()  # from here on, the victim is a new session on the survivor's
    start_training(victim, steps=40, seed=3)
    finish(victim, 40)
    download_metrics(victim)
    assert victim.cookie() == survivor.replica, victim.cookie()
    say(f"the victim's page came back on {survivor.replica} {reconnected:.1f} s after the kill")

    finish(survivor, steps, timeout=180)
    download_metrics(survivor)
    survivor.check_clean("Train after the other replica died")

    # restart: it warms before it is marked up; nobody errors, new visitors may land on it
    seconds = two.restart(victim_name)
    say(f"{victim_name} restarted and up in haproxy in {seconds:.1f} s")
    after = visitors("after-restart")
    landed, first = explore(after)
    assert landed == victim_name, landed  # leastconn: the empty replica takes the next visitor
    assert not after.saw_training()
    log = two.replica(victim_name).log()
    assert [line for line in trained_lines(log) if "while serving" in line] == [], log
    say(f"first Explore visit on the restarted {victim_name}: {first:.1f} s")
    for v in (victim, survivor, newcomer, after):
        v.no_exception("after the restart")
    for v in (survivor, newcomer, after):
        v.check_clean("after the restart")
    # the victim saw its replica vanish. Once it is a new session, nothing fails; before,
    # only what the dead session held may: requests in flight at the kill (5xx) and its
    # media (its download links: /media/… answers 404 on the living replica)
    assert not victim.bad_responses(since=fresh), victim.bad_responses(since=fresh)
    lost = victim.bad_responses(since=killed_at)
    say(f"the victim's failed requests between the kill and its new session: {lost}")
    assert all(r[0] >= 500 or urlsplit(r[1]).path.startswith("/media/") for r in lost), lost
