"""Dependencies point one way, and the layout says which way (docs/ARCHITECTURE.md, "Layers").

A source file's layer is the folder it lives in; nothing is listed by hand, so a module added
to ``ui/views/`` is checked as a view from its first commit:

    app.py (router) → app_pages/ (pages) → ui/glue/ → ui/views/ → ui/services/ → rnn_core/

Each layer may import the layers to its right and never those to its left. Only the router,
the pages and ``ui/glue/`` import Streamlit; ``rnn_core`` imports numpy and the standard
library, nothing else of ours or of the UI's. The checker reads every import statement (at
any depth, relative ones resolved) and every ``importlib.import_module("…")`` with a literal
name; :func:`test_layering_checker_catches_each_wrong_way_import` proves that it can fail.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UI_KINDS = ("glue", "views", "services")

# layer -> module prefixes it must never import ("ui.glue" also forbids "ui.glue.state"...)
UI_LIBRARIES = ("streamlit", "plotly", "pandas")
FRAMEWORKS = ("torch", "tensorflow", "jax")  # the core is from scratch
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": ("ui", "app_pages", "app", "benchmarks", "tests", *UI_LIBRARIES, *FRAMEWORKS),
    "services": ("app_pages", "app", "ui.glue", "ui.views", "streamlit", "plotly"),
    "views": ("app_pages", "app", "ui.glue", "streamlit"),
    "glue": ("app_pages", "app"),
    "pages": ("app",),
    "router": ("app_pages", "rnn_core", "ui.glue", "ui.views"),
}


def layer_of(path: Path) -> str | None:
    """The layer of a source file, from where it lives (None: not part of the app)."""
    rel = path.relative_to(ROOT)
    parts = rel.parts
    if rel == Path("app.py"):
        return "router"
    if parts[0] == "rnn_core":
        return "core"
    if parts[0] == "app_pages":
        return "pages"
    if parts[0] == "ui" and len(parts) > 2 and parts[1] in UI_KINDS:
        return parts[1]
    return None


def source_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for top in ("rnn_core", "ui", "app_pages"):
        files += sorted((ROOT / top).rglob("*.py"))
    return files


def imports_of(source: str, package: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in ``source``, code that lives in ``package``
    (dotted, to resolve relative imports); ``from a import b`` gives ``a`` and ``a.b``, so
    that a submodule imported by name is seen as itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{a.name}" if base else a.name) for a in node.names]
            found.append((node.lineno, base))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module",)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations(source: str, path: Path, layer: str) -> list[str]:
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    bad = []
    for line, name in imports_of(source, package):
        for prefix in FORBIDDEN[layer]:
            if name == prefix or name.startswith(prefix + "."):
                bad.append(f"{module}:{line} imports {name} ({layer} must not import {prefix})")
                break
    return bad


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def test_layering_every_source_file_has_a_layer():
    """ui/ holds only its three kinds: a module dropped straight into ui/ (or a fourth
    folder) would escape the rules, so it fails here."""
    loose = [
        str(p.relative_to(ROOT))
        for p in source_files()
        if layer_of(p) is None and p != ROOT / "ui" / "__init__.py"
    ]
    assert not loose, f"files outside the layers: {loose}"
    folders = sorted(p.name for p in (ROOT / "ui").iterdir() if p.is_dir() and p.name[0] != "_")
    assert folders == sorted(UI_KINDS)


def test_layering_no_wrong_way_import():
    bad = []
    for path in source_files():
        layer = layer_of(path)
        if layer is not None:
            bad += violations(path.read_text(encoding="utf-8"), path, layer)
    assert not bad, "\n".join(bad)


WRONG_WAY = [
    ("rnn_core/losses.py", "import app_pages"),
    ("rnn_core/losses.py", "from ui.services import run"),
    ("rnn_core/cells.py", "import streamlit as st"),
    ("rnn_core/tasks/text.py", "import plotly.graph_objects as go"),
    ("rnn_core/train.py", "import pandas as pd"),
    ("rnn_core/tasks/text.py", "from ...ui.views import html"),
    ("ui/services/run.py", "import streamlit as st"),
    ("ui/services/limits.py", "from streamlit import session_state"),
    ("ui/services/transfer.py", "from ui.glue import state"),
    ("ui/services/run.py", "from ui.views.html import display_token"),
    ("ui/services/run.py", "from ..views import html"),
    ("ui/views/inputs.py", "import streamlit"),
    ("ui/views/html.py", "from ui.glue.state import seed"),
    ("ui/views/bundle.py", "from app_pages import train"),
    ("ui/glue/state.py", "import app_pages.train"),
    ("ui/glue/controls.py", "importlib.import_module('app_pages.explore')"),
    ("app_pages/train.py", "import app"),
]


@pytest.mark.parametrize(("where", "line"), WRONG_WAY)
def test_layering_checker_catches_each_wrong_way_import(where, line):
    """The checker itself can fail: the file's own code plus one wrong-way import, placed
    inside a function as well as at the top, is flagged."""
    path = ROOT / where
    code = path.read_text(encoding="utf-8")
    assert not violations(code, path, layer_of(path))
    for planted in (f"{code}\n{line}\n", f"{code}\ndef _later():\n    {line}\n"):
        assert violations(planted, path, layer_of(path)), (where, line)


def loaded_by(modules: list[str]) -> set[str]:
    """Top-level packages in sys.modules after importing ``modules`` in a fresh interpreter."""
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def package_modules(folder: str) -> list[str]:
    return [module_name(p) for p in sorted((ROOT / folder).rglob("*.py"))]


def test_imports_of_rnn_core_load_no_ui_library():
    """A notebook can use the core alone: importing all of it loads none of the UI's
    libraries and nothing of the app (checked in a fresh interpreter, so indirect imports
    count too)."""
    loaded = loaded_by(package_modules("rnn_core"))
    assert not loaded & {*UI_LIBRARIES, *FRAMEWORKS, "ui", "app_pages"}
    assert "numpy" in loaded


def test_imports_of_views_and_services_load_no_streamlit():
    """The pure half of ui/ (views and services) works without Streamlit: a notebook or a
    benchmark can draw a chart or run a training loop."""
    loaded = loaded_by(package_modules("ui/views") + package_modules("ui/services"))
    assert "streamlit" not in loaded
    assert {"plotly", "rnn_core"} <= loaded


def test_layering_app_py_only_routes():
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    names = {name for _, name in imports_of((ROOT / "app.py").read_text(), "")}
    assert names == {"streamlit", "ui.services.runtime", "ui.services.runtime.configure_process"}


def test_layering_every_page_file_is_listed_in_the_router():
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    pages = list((ROOT / "app_pages").glob("*.py"))
    assert pages
    for page in pages:
        assert f'"app_pages/{page.name}"' in app, page.name


def test_layering_no_pages_folder_that_would_switch_streamlit_to_its_folder_mode():
    """The pages live in ``app_pages/``: with a ``pages/`` folder next to app.py, Streamlit
    1.67 starts every server in its old folder-based mode (PagesManager
    .uses_pages_directory) until some session runs app.py, so the first visitor of a shared
    ``/explore?…`` link gets the page without app.py (no page config, an "app" entry)."""
    assert not (ROOT / "pages").exists()


# ----------------------------------------------------------------------------- one chart door

CHART_DOOR = Path("ui/glue/charts.py")  # show_chart: the chart, then its summary as a caption


def plotly_chart_calls(source: str) -> list[int]:
    """Lines that reach ``plotly_chart``: ``<anything>.plotly_chart``, a bare name, an
    import of it, or the string (``getattr(st, "plotly_chart")``), at any depth."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        name = {
            ast.Attribute: lambda n: n.attr,
            ast.Name: lambda n: n.id,
            ast.Constant: lambda n: n.value,
            ast.alias: lambda n: n.name.split(".")[-1],
        }.get(type(node), lambda n: None)(node)
        if name == "plotly_chart":
            lines.append(node.lineno)
    return lines


def test_only_show_chart_calls_plotly_chart():
    """Every chart reaches a page through ui/glue/charts.py's show_chart, which puts the
    chart's summary under it (and is where display restyling lives): no page, router or
    other glue module calls plotly_chart itself."""
    bad = []
    for path in source_files():
        rel = path.relative_to(ROOT)
        if layer_of(path) in ("router", "pages", "glue") and rel != CHART_DOOR:
            bad += [f"{rel}:{n}" for n in plotly_chart_calls(path.read_text(encoding="utf-8"))]
    assert not bad, "plotly_chart outside ui/glue/charts.py: " + ", ".join(bad)
    assert plotly_chart_calls((ROOT / CHART_DOOR).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "line",
    [
        'st.plotly_chart(fig, key="k")',
        'col.plotly_chart(fig, key="k", width="stretch")',
        "from streamlit import plotly_chart",
        'getattr(st, "plotly_chart")(fig)',
    ],
)
def test_plotly_chart_finder_catches_each_way_of_calling_it(line):
    code = (ROOT / "app_pages/explore.py").read_text(encoding="utf-8")
    assert not plotly_chart_calls(code)
    assert plotly_chart_calls(f"{code}\n{line}\n")
    assert plotly_chart_calls(f"{code}\ndef _later():\n    {line}\n")
