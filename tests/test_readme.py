"""The README's promises hold: its set-up commands come first and its notebook code runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_setup_commands():
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
    assert "from ui.views import charts" in code
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["Figure", "(16,", "5)"]
