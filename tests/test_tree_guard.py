"""The tree guard (tests/tree_guard.py) can fail a session.

Each case runs ``python -m pytest -p tests.tree_guard`` on a one-test file inside a throwaway
git repository (``git init`` + ``git add``, no commit) in ``tmp_path``: a test that passes but
writes into a tracked file fails the session and names the file; writing an untracked file,
rewriting identical bytes or nothing at all does not; ``RNNX_ALLOW_TREE_CHANGES=1`` turns the
check off and says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tree_guard import ENV

ROOT = Path(__file__).resolve().parents[1]

TEST_FILE = """
import os
from pathlib import Path

HERE = Path(__file__).parent


def test_passes_but_may_write():
    what = os.environ["GUARD_DEMO"]
    if what == "modify":
        (HERE / "tracked.txt").write_text("changed by a test\\n")
    elif what == "delete":
        (HERE / "tracked.txt").unlink()
    elif what == "same bytes":
        (HERE / "tracked.txt").write_text("original\\n")
    elif what == "untracked":
        (HERE / "scratch.txt").write_text("not tracked\\n")
"""


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pytest.ini").write_text("[pytest]\n")  # the rootdir is this folder
    (repo / "tracked.txt").write_text("original\n")
    (repo / "test_demo.py").write_text(TEST_FILE)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=60)
    subprocess.run(
        ["git", "-C", str(repo), "add", "pytest.ini", "tracked.txt", "test_demo.py"],
        check=True,
        timeout=60,
    )
    return repo


def run_session(repo: Path, demo: str, allow: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != ENV}  # we may run with it set
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["GUARD_DEMO"] = demo
    if allow:
        env[ENV] = "1"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.tree_guard",
            "-p",
            "no:cacheprovider",
            "-q",
            "test_demo.py",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("demo", "says"),
    [("modify", "modified: tracked.txt"), ("delete", "deleted: tracked.txt")],
)
def test_a_passing_test_that_writes_a_tracked_file_fails_the_session(repo, demo, says):
    out = run_session(repo, demo)
    assert "1 passed" in out.stdout, out.stdout + out.stderr
    assert out.returncode == 1, out.stdout + out.stderr
    assert "tracked files changed during the session" in out.stdout
    assert says in out.stdout, out.stdout


@pytest.mark.parametrize("demo", ["nothing", "untracked", "same bytes"])
def test_a_session_that_leaves_tracked_content_alone_passes(repo, demo):
    out = run_session(repo, demo)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "tracked files changed" not in out.stdout


def test_the_opt_out_turns_the_check_off_and_says_so(repo):
    out = run_session(repo, "modify", allow=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"tracked files not checked ({ENV} is set)" in out.stdout
    assert (repo / "tracked.txt").read_text() == "changed by a test\n"


def test_ci_never_sets_the_opt_out():
    assert ENV not in (ROOT / ".ci" / "run").read_text()
