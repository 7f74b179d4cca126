"""rnn_core is usable on its own: numpy only, no UI libraries, no ML framework."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("streamlit", "plotly", "pandas", "torch", "tensorflow", "jax", "ui", "pages")
CORE = Path(__file__).resolve().parents[2] / "rnn_core"


def test_import_rnn_core_loads_no_ui_library():
    code = (
        "import importlib, pkgutil, sys, rnn_core; "
        "[importlib.import_module(m.name) for m in "
        "pkgutil.walk_packages(rnn_core.__path__, 'rnn_core.')]; "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}); "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=CORE.parent, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"rnn_core pulled in: {out.stdout}"


def test_no_source_file_in_rnn_core_imports_a_forbidden_module():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders
