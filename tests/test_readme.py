"""The README and docs/ keep their promises.

The README opens with its two set-up commands and its notebook code runs; its headline
figures name their hardware and agree with docs/DEVELOPING.md, whose speed table agrees with
benchmarks/RESULTS.md; docs/ARCHITECTURE.md names files and functions that exist and the gate
orders the code uses; every link between the documents lands on a file and a heading; and
nothing in the repository points outside it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_core.model import GATES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
DEVELOPING = (ROOT / "docs" / "DEVELOPING.md").read_text(encoding="utf-8")
RESULTS = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
DOCS = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
DOCS += ["benchmarks/README.md", "benchmarks/RESULTS.md"]
HARDWARE = re.compile(r"2-core (AMD EPYC|Intel Xeon) VM")  # the VMs the figures came from


def section(text: str, title: str) -> str:
    """The body of the markdown section headed ``title``, up to the next heading of the same
    or a higher level (headings inside code blocks do not count)."""
    masked = re.sub(r"```.*?```", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
    found = re.search(rf"^(#+) {re.escape(title)}$", masked, re.M)
    assert found, f"no section {title!r}"
    level = len(found.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(masked, found.end())
    return text[found.end() : end.start() if end else len(text)]


def table_rows(text: str) -> list[list[str]]:
    """The cells of every markdown table row in ``text``, header rows left out."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if re.fullmatch(r"\|[\s:|-]+\|", line.strip()):
            rows.pop()  # the row above a rule is a header
        elif line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


# --------------------------------------------------------------------------------------
# README: commands and code
# --------------------------------------------------------------------------------------


def test_readme_opens_with_the_two_setup_commands():
    lines = README.splitlines()
    assert lines[0].startswith("# ")
    first = next(line for line in lines[1:] if line.strip())
    assert first == "```bash", "the README must open with the set-up commands"
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert first_block == [
        "pip install -r requirements.txt && streamlit run app.py",
        "pip install -r requirements-dev.txt && python -m pytest",
    ]


def test_readme_notebook_example_runs_and_learns():
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    accuracy = float(out.stdout.split()[0])
    assert accuracy >= 0.97


def test_ci_script_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci
    assert "pip install -r requirements-dev.txt && python -m pytest" in ci
    assert "playwright install" not in ci.replace("never `playwright install`", "")


def test_readme_chart_example_builds_figures_from_rnn_core_arrays():
    code = re.findall(r"```python\n(.*?)```", README, re.S)[1]
    assert "from ui.views import charts_explore" in code
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["Figure", "(16,", "5)"]


def test_readme_screenshots_exist_and_are_remade_by_one_command():
    shots = re.findall(r"!\[[^\]]+\]\((docs/[\w-]+\.png)\)", README)
    assert {"docs/explore.png", "docs/train.png", "docs/gradients.png"} <= set(shots)
    assert all((ROOT / s).is_file() for s in shots), shots
    assert "python -m benchmarks.screenshots" in README


# --------------------------------------------------------------------------------------
# Figures: the hardware is named, and the numbers agree with where they were measured
# --------------------------------------------------------------------------------------


def test_readme_never_speaks_of_this_machine():
    for phrase in ("this machine", "this VM", "this 2-core", "measured here", "this CPU"):
        assert phrase.lower() not in README.lower(), phrase


def test_readme_headline_figures_name_their_hardware():
    bullets = re.findall(r"^- (.*?)(?=^- |\Z)", section(README, "How fast it is"), re.M | re.S)
    assert len(bullets) >= 4
    for bullet in bullets:
        assert HARDWARE.search(" ".join(bullet.split())), bullet[:60]


def test_readme_headline_figures_are_the_measured_ones():
    """Every number with a unit in the README's headline figures is one docs/DEVELOPING.md
    reports (where the full tables and their commands are)."""
    fast = " ".join(section(README, "How fast it is").split())
    figures = re.findall(r"(\d[\d.]*(?: \d{3})*)\s?(ms|s|MiB|steps/s|×)(?![\w])", fast)
    assert len(figures) >= 10, figures
    developing = " ".join(DEVELOPING.split())
    for number, unit in figures:
        assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", developing), (number, unit)


def results_float32() -> dict[tuple, list[str]]:
    """benchmarks/RESULTS.md's float32 rows, keyed by (cell, output, B, T, H, V)."""
    rows = table_rows(section(RESULTS, "Forward + backward + Adam update"))
    return {(r[0], r[1], *r[3:7]): r for r in rows if r[2] == "float32"}


def agrees(doc: str, measured: str) -> bool:
    """A figure rounded for the docs agrees with the measured one to its last digit."""
    doc = doc.rstrip("×")
    measured = measured.split("±")[0].strip()
    decimals = len(doc.partition(".")[2])
    return abs(float(doc) - float(measured)) <= 0.5 * 10.0**-decimals + 1e-12


def test_developing_speed_table_is_benchmarks_results():
    rows = table_rows(section(DEVELOPING, "The training step against PyTorch"))
    results = results_float32()
    assert len(rows) >= 10
    for row in rows:
        cell, output, B, T, H, V, numpy_ms, torch_ms, ratio, target = row
        measured = results[(cell, output, B, T, H, V)]
        assert agrees(numpy_ms, measured[7]), (row, measured)
        assert agrees(torch_ms, measured[8]), (row, measured)
        assert agrees(ratio, measured[9]), (row, measured)
        assert target.rstrip("×").strip() == measured[10].strip(), (row, measured)


# --------------------------------------------------------------------------------------
# ARCHITECTURE.md: what it names exists, and says what the code does
# --------------------------------------------------------------------------------------


def defines(path: Path, name: str) -> bool:
    """Whether the module at ``path`` defines ``name`` (a function, class or module-level
    name; for ``Class.method`` the method inside that file)."""
    text = path.read_text(encoding="utf-8")
    last = name.rpartition(".")[2]
    return bool(re.search(rf"^\s*(?:def|class)\s+{last}\b|^{last}\s*[:=]", text, re.M))


def concept_rows() -> list[tuple[str, list[str], list[str]]]:
    rows = table_rows(section(ARCHITECTURE, "Concept → file"))
    out = []
    for concept, files, names in rows:
        paths = re.findall(r"`([^`]+)`", files)
        paths = [p if "/" in p else f"{Path(paths[0]).parent}/{p}" for p in paths]
        out.append((concept, paths, re.findall(r"`([^`]+)`", names)))
    return out


def test_architecture_concepts_include_the_ones_a_reader_looks_for():
    concepts = " ".join(c for c, _, _ in concept_rows())
    for needed in (
        "GRU backward",
        "where a training step happens",
        "where the Explore heatmap is built",
        "where URL values are parsed",
        "the settings table",
        "the session state owner",
        "limits",
        "checkpoints",
        "probes",
        "the fair-share gate",
        "the diagnosis",
        "the export bundle",
    ):
        assert needed in concepts, needed


@pytest.mark.parametrize(("concept", "paths", "names"), concept_rows())
def test_architecture_concept_table_names_what_exists(concept, paths, names):
    """One hop from a concept to its code: the file exists (a pattern matches at least one
    file) and defines every name the row gives."""
    assert paths, concept
    for pattern in paths:
        assert list(ROOT.glob(pattern)), f"{concept}: no file {pattern}"
    for name in names:
        assert defines(ROOT / paths[0], name), f"{concept}: {paths[0]} defines no {name}"


def test_architecture_paths_exist():
    """Every repository path the architecture quotes (in backticks) is there."""
    quoted = re.findall(r"`(\.?[\w-]+(?:/[\w.*-]+)+)`", ARCHITECTURE)
    missing = [p for p in quoted if not list(ROOT.glob(p))]
    assert not missing, missing


def test_architecture_gate_orders_are_the_code_s():
    rows = {r[0]: r[2] for r in table_rows(section(ARCHITECTURE, "Gate orders"))}
    for cell, title in (("gru", "GRU"), ("lstm", "LSTM")):
        letters = tuple(re.findall(r"\b([a-z]) \(", rows[title]))
        assert letters == GATES[cell], (cell, letters)


# --------------------------------------------------------------------------------------
# Links, and nothing pointing outside the repository
# --------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("doc", DOCS)
def test_doc_links_land_on_a_file_and_a_heading(doc):
    path = ROOT / doc
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # an external address
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        assert dest.is_file(), f"{doc}: {target} is not a file"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{doc}: {target} has no such heading"


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return out.stdout.splitlines()


# spelled in pieces, so that this file does not match itself
OUTSIDE = ("shared" + "/design", "ARCHITECTURE.md " + "§", "STREAMLIT" + "-NOTES")


def test_nothing_points_outside_the_repository():
    """The design documents this project grew from are not part of it: every pointer names
    docs/ARCHITECTURE.md or docs/DEVELOPING.md and a section title."""
    found = []
    for name in tracked_files():
        path = ROOT / name
        if name == "docs/ARCHITECTURE.md" or not path.is_file():
            continue
        data = path.read_bytes()
        for line_no, line in enumerate(data.splitlines(), 1):
            for needle in OUTSIDE:
                if needle.encode() in line:
                    found.append(f"{name}:{line_no}: {needle}")
    assert not found, "\n".join(found)
