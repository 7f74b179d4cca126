"""A pytest plugin: no test writes into the repository's tracked files.

At the start of the session it records size, mtime and SHA-256 of every file ``git ls-files``
lists under the rootdir; at the end it looks again (hashing only the files whose size or
mtime moved) and, if any tracked file was changed, created back or deleted, prints which and
fails the session (exit status 1) even when every test passed. Screenshots, logs and models
belong in pytest's ``tmp_path``; ``python -m benchmarks.screenshots`` remakes docs/*.png.

``RNNX_ALLOW_TREE_CHANGES=1`` turns the check off (it says so in the summary): for a developer
who edits files while the tests run. CI (``.ci/run``) never sets it. Where the rootdir is not
a git work tree, or git is missing, there is nothing to compare and the check is skipped
(also said in the summary).

Loaded by ``tests/conftest.py`` (``pytest_plugins``); load it elsewhere with
``-p tests.tree_guard``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

ENV = "RNNX_ALLOW_TREE_CHANGES"

# path -> (size, mtime_ns, sha256), or None for a tracked path missing from the work tree
Snapshot = dict[str, tuple[int, int, str] | None]

BEFORE = pytest.StashKey[Snapshot]()
ROOT = pytest.StashKey[Path]()
CHANGED = pytest.StashKey[list[str]]()
NOTE = pytest.StashKey[str]()


def tracked_files(root: Path) -> list[str] | None:
    """The paths git tracks under ``root`` (relative to it), or None outside a work tree."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [name for name in out.decode("utf-8").split("\0") if name]


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _entry(path: Path, known: tuple[int, int, str] | None = None):
    """(size, mtime_ns, sha256) of ``path`` (None if absent); the hash of ``known`` is reused
    when size and mtime have not moved."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    if not path.is_file():  # a submodule or a symlink to a folder: its stat says enough
        return (st.st_size, st.st_mtime_ns, "")
    if known is not None and known[:2] == (st.st_size, st.st_mtime_ns):
        return known
    return (st.st_size, st.st_mtime_ns, _digest(path))


def snapshot(root: Path, names: list[str]) -> Snapshot:
    return {name: _entry(root / name) for name in names}


def changes(root: Path, before: Snapshot) -> list[str]:
    """What happened to each tracked file whose content changed since ``before``."""
    found = []
    for name, was in sorted(before.items()):
        now = _entry(root / name, was)
        if was is None and now is not None:
            found.append(f"created: {name}")
        elif was is not None and now is None:
            found.append(f"deleted: {name}")
        elif was is not None and now is not None and was[2] != now[2]:
            found.append(f"modified: {name} ({was[0]:,} -> {now[0]:,} bytes)")
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if os.environ.get(ENV, "") not in ("", "0"):
        config.stash[NOTE] = f"tracked files not checked ({ENV} is set)"
        return
    root = Path(config.rootpath)
    names = tracked_files(root)
    if names is None:
        config.stash[NOTE] = f"tracked files not checked ({root} is not a git work tree)"
        return
    config.stash[ROOT] = root
    config.stash[BEFORE] = snapshot(root, names)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    config = session.config
    before = config.stash.get(BEFORE, None)
    if before is None:
        return
    found = changes(config.stash[ROOT], before)
    config.stash[CHANGED] = found
    if found and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    found = config.stash.get(CHANGED, [])
    if found:
        terminalreporter.write_sep("=", "tracked files changed during the session", red=True)
        for line in found:
            terminalreporter.write_line(line, red=True)
        terminalreporter.write_line(
            "Tests must write into tmp_path, never into the repository; the session fails. "
            f"({ENV}=1 turns this check off while you edit files during a run.)"
        )
    elif NOTE in config.stash:
        terminalreporter.write_line(config.stash[NOTE])
