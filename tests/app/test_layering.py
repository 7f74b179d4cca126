"""Dependencies point one way: app_pages -> ui -> rnn_core -> numpy, and the pure ui modules
stay pure (no streamlit) so notebooks can use them.

The pages live in ``app_pages/``, not ``pages/``: with a ``pages/`` folder next to app.py,
Streamlit 1.67 starts every server in its old folder-based mode (PagesManager
.uses_pages_directory) until some session runs app.py, so the first visitor of a shared
``/explore?…`` link gets the page without app.py (no page config, an "app" entry in the nav).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE_UI = (
    "charts.py",
    "charts_train.py",
    "diagnosis.py",
    "html.py",
    "inputs.py",
    "analysis.py",
    "settings.py",
)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_ui_never_imports_pages():
    for path in (ROOT / "ui").glob("*.py"):
        assert "app_pages" not in imported(path), path.name


def test_pure_ui_modules_do_not_import_streamlit():
    for name in PURE_UI:
        assert "streamlit" not in imported(ROOT / "ui" / name), name


def test_app_py_only_routes():
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert imported(ROOT / "app.py") <= {"streamlit", "ui"}


def test_every_page_file_is_listed_in_the_router():
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    pages = list((ROOT / "app_pages").glob("*.py"))
    assert pages
    for page in pages:
        assert f'"app_pages/{page.name}"' in app, page.name


def test_no_pages_folder_that_would_switch_streamlit_to_its_folder_mode():
    assert not (ROOT / "pages").exists()


def test_pages_never_touch_session_state_directly():
    """One owner of the session's state: pages read and write it through ui.state (its
    Slots, seed, carry, forget), so every session key is declared in one module."""
    for path in (ROOT / "app_pages").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        uses = [
            node.lineno
            for node in ast.walk(tree)
            if (isinstance(node, ast.Attribute) and node.attr == "session_state")
            or (isinstance(node, ast.Name) and node.id == "session_state")
        ]
        assert not uses, f"{path.name} uses st.session_state at lines {uses}"


def test_every_session_slot_has_its_own_key_apart_from_the_widgets():
    from ui import state
    from ui.settings import SETTINGS

    slots = [v for v in vars(state).values() if isinstance(v, state.Slot)]
    keys = [s.key for s in slots]
    assert len(keys) == len(set(keys)), keys
    widget_keys = {s.key for s in SETTINGS} | {"task", "sentence", "sentence_b"}
    assert not set(keys) & widget_keys
    assert all(s.about for s in slots)
