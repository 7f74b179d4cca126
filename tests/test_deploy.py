"""Deployment files: the Dockerfile, .dockerignore, docs/DEPLOY.md and the pins.

Static checks only: no image is built here (docs/DEPLOY.md says what was verified how). The
one dynamic check runs the app from a copy of the Docker build context, to prove nothing it
needs is left out by .dockerignore.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from deploy.proxy import COOKIE
from ui.services import runtime
from ui.services.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DEPLOY = (ROOT / "docs" / "DEPLOY.md").read_text()
LIMIT_VARS = {f"RNNX_{f.name.upper()}": f.default for f in dataclasses.fields(Limits)}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def env() -> dict[str, str]:
    found = {}
    for word, rest in instructions(DOCKERFILE):
        if word == "ENV":
            found.update(kv.split("=", 1) for kv in shlex.split(rest))
    return found


def only(word: str) -> str:
    found = [rest for w, rest in instructions(DOCKERFILE) if w == word]
    assert len(found) == 1, f"expected one {word}, found {found}"
    return found[0]


# --------------------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------------------


def test_base_image_and_install():
    steps = instructions(DOCKERFILE)
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = [rest for w, rest in steps if w == "RUN"]
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    # requirements are copied and installed before the code, so code changes keep the layer
    order = [f"{w} {rest}" for w, rest in steps]
    first_copy_all = order.index("COPY . .")
    assert order.index("COPY requirements.txt .") < first_copy_all
    assert order.index("RUN pip install --no-cache-dir -r requirements.txt") < first_copy_all


def test_runs_as_a_non_root_user():
    steps = instructions(DOCKERFILE)
    users = [rest for w, rest in steps if w == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(w == "RUN" and "useradd" in rest and users[-1] in rest for w, rest in steps)
    words = [w for w, _ in steps]
    assert words.index("USER") < words.index("CMD")


def test_healthcheck_asks_streamlit_health_with_python():
    check = only("HEALTHCHECK")
    assert "CMD" in check
    command = json.loads(check[check.index("CMD") + 3 :].strip())
    assert command[0] == "python"  # the slim image has no curl or wget
    assert "http://127.0.0.1:8501/_stcore/health" in command[-1]
    assert not re.search(r"\bcurl\b|\bwget\b", check)
    assert "--timeout=" in check and "--interval=" in check


def test_cmd_and_port():
    assert json.loads(only("CMD")) == [
        "streamlit",
        "run",
        "app.py",
        "--server.address=0.0.0.0",
        "--server.port=8501",
        "--server.headless=true",
    ]
    assert only("EXPOSE") == "8501"


def test_env_turns_off_usage_stats_and_tunes_the_process():
    values = env()
    assert values["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    assert values["STREAMLIT_BROWSER_SERVER_ADDRESS"] == "localhost"  # no external-IP lookup
    assert values["OPENBLAS_NUM_THREADS"] == "1"
    # the same numbers ui/services/runtime.py sets with mallopt
    assert int(values["MALLOC_MMAP_THRESHOLD_"]) == runtime.MMAP_THRESHOLD == 33554432
    assert int(values["MALLOC_TRIM_THRESHOLD_"]) == runtime.TRIM_THRESHOLD == 33554432
    assert int(values["MALLOC_ARENA_MAX"]) == runtime.ARENA_MAX == 2


def test_dockerfile_shows_every_hosted_limit_with_its_default():
    for name, default in LIMIT_VARS.items():
        found = re.search(rf"^# ENV {name}=(\S+)", DOCKERFILE, re.M)
        assert found, f"{name} is not among the Dockerfile's ENV examples"
        assert float(found.group(1)) == default, name
    assert not any(k.startswith("RNNX_") for k in env())  # examples only: defaults live in code


def test_streamlit_config_turns_off_usage_stats():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["headless"] is True


def test_streamlit_config_skips_the_full_collection_after_every_run():
    """Streamlit's default gc.collect(2) after each script run took 19% of the server's time
    while the Train page's live fragment ran (benchmarks/train_page.py: page ÷ bare
    trainer 0.36 with it, 0.73 without); the janitor collects when training is quiet."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


# --------------------------------------------------------------------------------------
# DEPLOY.md, requirements
# --------------------------------------------------------------------------------------


def test_deploy_md_documents_every_limit_with_its_default():
    for name, default in LIMIT_VARS.items():
        row = re.search(rf"^\| `{name}` \| ([0-9.]+) \|", DEPLOY, re.M)
        assert row, f"{name} has no row in docs/DEPLOY.md's limits table"
        assert float(row.group(1)) == default, name
    # besides the limits: the balancer's cookie, and the memory janitor's log switch
    documented = set(re.findall(r"RNNX_[A-Z_]+", DEPLOY)) - {COOKIE, "RNNX_DEBUG_MEMORY"}
    assert documented <= set(LIMIT_VARS), documented - set(LIMIT_VARS)


def test_deploy_md_covers_local_docker_and_community_cloud():
    for text in (
        "streamlit run app.py",
        "docker build",
        "docker run",
        "/_stcore/health",
        "app.py",
        "requirements.txt",
        ".streamlit/config.toml",
        "packages.txt",
        "ui/services/runtime.py",
        "OPENBLAS_NUM_THREADS",
    ):
        assert text in DEPLOY, text
    # it says no apt packages are needed, and the repository indeed has none
    assert "No `packages.txt`" in DEPLOY
    assert not (ROOT / "packages.txt").exists()
    # it says honestly whether the image was built
    if shutil.which("docker") is None:
        assert "not been built" in DEPLOY


def test_requirements_are_pinned_to_what_is_installed():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.+-]*)", line)
        assert match, f"not pinned with ==: {line!r}"
        pins[match.group(1)] = match.group(2)
    assert {"numpy", "streamlit", "plotly", "pandas"} <= set(pins)
    for name, pinned in pins.items():
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"


# --------------------------------------------------------------------------------------
# .dockerignore: the image gets what the app needs and nothing else
# --------------------------------------------------------------------------------------


def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as Docker matches it: ``*`` and ``?`` within one path part,
    ``**`` across parts, anchored at the context root."""
    out, i, p = "", 0, pattern.strip().strip("/")
    while i < len(p):
        if p.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif p.startswith("**", i):
            out, i = out + ".*", i + 2
        elif p[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif p[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(p[i]), i + 1
    return re.compile(out)


def build_context() -> list[str]:
    """The files `docker build .` would send (a path is out if it or a parent matches)."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    lines = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not any(line.startswith("!") for line in lines)  # no exceptions to emulate
    patterns = [_pattern(line) for line in lines]
    kept = []
    for path in sorted(ROOT.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(ROOT).as_posix()
        parts = rel.split("/")
        prefixes = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
        if not any(p.fullmatch(prefix) for p in patterns for prefix in prefixes):
            kept.append(rel)
    return kept


def test_dockerignore_keeps_the_app_and_drops_the_rest():
    kept = build_context()
    for needed in (
        "app.py",
        "requirements.txt",
        "pyproject.toml",
        ".streamlit/config.toml",
        "rnn_core/__init__.py",
        "ui/services/runtime.py",
        "ui/views/bundle.py",
    ):
        assert needed in kept, needed
    for page in (ROOT / "app_pages").glob("*.py"):
        assert f"app_pages/{page.name}" in kept
    data = [p.relative_to(ROOT).as_posix() for p in (ROOT / "rnn_core/tasks/data").rglob("*")]
    assert {d for d in data if (ROOT / d).is_file()} <= set(kept)
    for dropped in ("tests/", "benchmarks/", ".git/", ".ci/", ".venv/", ".pytest_cache/"):
        assert not any(k.startswith(dropped) for k in kept), dropped
    assert not any("__pycache__" in k or k.endswith(".pyc") for k in kept)
    assert ".streamlit/secrets.toml" not in kept


@pytest.mark.slow
def test_the_app_runs_from_the_build_context(tmp_path):
    """Copy what .dockerignore lets through, run the app there with the Dockerfile's ENV
    (Streamlit's AppTest, in a fresh interpreter that sees only the copy): every page
    renders without an exception, so no needed file is ignored."""
    for rel in build_context():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    script = """
import os, sys
from streamlit.testing.v1 import AppTest
import rnn_core, ui
assert ui.__file__.startswith(os.getcwd()) and rnn_core.__file__.startswith(os.getcwd())
for page in sys.argv[1:]:
    at = AppTest.from_file("app.py", default_timeout=120).run()
    if page != "home":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, (page, [e.value for e in at.exception])
    print(page, "ok")
"""
    pages = ["home", *(p.stem for p in sorted((tmp_path / "app_pages").glob("*.py")))]
    pages.remove("explore")  # the home page is Explore
    child_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    child_env.update(env())
    result = subprocess.run(
        [sys.executable, "-c", script, *pages],
        cwd=tmp_path,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.split() == [w for p in pages for w in (p, "ok")]


def test_the_server_config_fetches_nothing():
    """Usage statistics off, and a named browser.serverAddress: without it a headless server
    asks checkip.amazonaws.com for an "External URL" at start-up (seen in its log as "Did not
    auto detect external IP")."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["browser"]["serverAddress"] == "localhost"
