"""``python -m benchmarks.screenshots`` makes every screenshot the README shows (no browser
here: the command itself is run by hand, see its docstring)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks import screenshots

ROOT = Path(__file__).resolve().parents[1]


def readme_pngs() -> set[str]:
    """The names of the docs/*.png files README.md links to."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"\(docs/([^)\s/]+\.png)\)", text))


def test_the_command_makes_every_screenshot_the_readme_links():
    linked = readme_pngs()
    assert linked, "README.md links no docs/*.png (the pattern no longer matches its images?)"
    missing = linked - set(screenshots.SCREENSHOTS)
    assert not missing, f"README.md links {sorted(missing)}, which the command never makes"


def test_every_screenshot_it_makes_is_in_docs():
    for name in screenshots.SCREENSHOTS:
        assert (ROOT / "docs" / name).is_file(), name
    assert screenshots.DOCS == ROOT / "docs"


def test_the_command_lists_its_names_without_a_browser_or_a_test_module():
    """``--list`` prints the names; importing the command loads no test module (the shared
    launcher lives in benchmarks/browser.py, the tests import it, not the other way)."""
    code = (
        "import sys; from benchmarks.screenshots import main; code = main(['--list']); "
        "print('tests loaded:', sorted(m for m in sys.modules if m.split('.')[0] == 'tests')); "
        "sys.exit(code)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[: len(screenshots.SCREENSHOTS)] == list(screenshots.SCREENSHOTS)
    assert "tests loaded: []" in lines, out.stdout
