"""The Dockerfile, built and served: its pins install, its user is not root, its start command
serves Explore and Train in Chromium.

``deploy/image.py`` builds the Dockerfile as it is with Debian's podman (on a debootstrap
stand-in for ``python:3.11-slim``, cached under ``~/.cache/rnn-explorer``) and, since no
container can start on these machines, runs the image's own start command in its mounted
filesystem as the image's user. Skipped, with the reason, where podman, debootstrap or root
are missing (``.ci/run`` installs the packages; this test never does). Timings are printed,
never asserted.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from deploy import image
from tests.browser.server import (
    CHART,
    DRAWN,
    EXCEPTION,
    assert_no_exception,
    browser_unavailable,
    free_port,
    new_context,
    offsite,
    wait_for_ticks,
)

pytestmark = [pytest.mark.browser, pytest.mark.image]

UID = 10001  # the Dockerfile's `useradd --uid`
SENTENCE = "this movie is not bad at all"
START = "▶ Start"


@pytest.fixture(scope="module")
def timings(request):
    """Seconds measured here, printed at the end of the module."""
    found: dict[str, float] = {}
    yield found
    if found:
        line = ", ".join(f"{k}={v:.1f}" for k, v in found.items())
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\nimage timings (s): {line}")


@pytest.fixture(scope="module")
def built(timings):
    """The image, built from the working tree (the base made first where not cached)."""
    reason = image.unavailable() or browser_unavailable()
    if reason:
        pytest.skip(reason)
    t0 = time.perf_counter()
    try:
        steps = image.build()
    except RuntimeError as exc:
        pytest.fail(f"the Dockerfile did not build:\n{exc}", pytrace=False)
    timings.update(steps)
    timings["base+build"] = time.perf_counter() - t0
    return image.inspect()


@pytest.fixture(scope="module")
def served(built, timings, tmp_path_factory):
    """The image's start command, running in its mounted filesystem as its user."""
    log = tmp_path_factory.mktemp("image") / "streamlit.log"
    try:
        with image.serving(free_port(), log) as server:
            timings["healthy"] = server.start_seconds
            yield server
    except RuntimeError as exc:
        pytest.fail(f"the image did not serve:\n{exc}", pytrace=False)
    assert server.proc.poll() is not None, "the server outlived its fixture"
    assert not image.is_mounted(server.rootfs), f"{server.rootfs} is still mounted"


def test_the_image_says_how_it_runs(built):
    assert built.user not in ("", "root", "0"), f"the image runs as {built.user!r}"
    assert built.workdir == "/app"
    assert built.command[:3] == ["streamlit", "run", "app.py"], built.command
    assert built.exposed == ["8501/tcp"], built.exposed
    assert built.healthcheck, "the HEALTHCHECK is missing (an OCI-format build drops it)"
    assert built.env.get("STREAMLIT_SERVER_FILE_WATCHER_TYPE") == "none"


def test_the_server_runs_as_the_image_user(served):
    ids = served.process_ids()
    assert (served.uid, served.gid) == (UID, UID), (served.uid, served.gid)
    assert ids["uid"] == ids["euid"] == ids["suid"] == ids["fsuid"] == UID, ids
    assert 0 not in ids["groups"] and ids["gid"] == UID, ids
    pid = served.proc.pid
    argv = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    assert "streamlit" in " ".join(argv[:2]) and "app.py" in argv, argv
    # the process lives in the image's filesystem, not the machine's
    assert os.path.realpath(f"/proc/{pid}/root") == str(served.rootfs.resolve())
    assert Path(f"/proc/{pid}/cwd/app.py").read_text() == (image.ROOT / "app.py").read_text()


def test_the_image_cannot_change_its_own_code(served):
    """The code is owned by root: the server's user cannot write it."""
    argv = ["sh", "-c", "touch /app/app.py 2>/dev/null && echo writable || echo read-only"]
    done = served.run_as_user(argv)
    assert done.stdout.strip() == "read-only", done


def test_the_healthcheck_passes(served):
    done = served.healthcheck()
    assert done.returncode == 0, f"HEALTHCHECK exited {done.returncode}: {done.stderr}"


def test_explore_and_train_in_chromium(served, chromium_browser, timings):
    requests: list[str] = []
    context = new_context(chromium_browser, requests)
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(f"{served.url}/explore?sentence=" + SENTENCE.replace(" ", "+"))
        page.wait_for_selector(f"{DRAWN}, {EXCEPTION}", timeout=120_000)
        assert_no_exception(page)
        wait_for_ticks(page, SENTENCE.split(), timeout=60)  # the heatmap, along the tokens
        assert page.locator(f"{CHART} .heatmaplayer").count() > 0, "no heatmap drawn"
        timings["explore"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        page.goto(f"{served.url}/train")
        page.get_by_role("button", name=START).wait_for(timeout=120_000)
        assert_no_exception(page)
        timings["train"] = time.perf_counter() - t0
    finally:
        context.close()
    assert requests, "the browser made no request"
    assert not offsite(requests), f"requests left 127.0.0.1: {offsite(requests)}"
    assert served.proc.poll() is None, served.log()
