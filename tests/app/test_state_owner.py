"""One owner of the session's state (ui/glue/state.py): pages never touch
``st.session_state``, and every session key is declared once. (The import rules between
layers are in tests/test_layering.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pages_never_touch_session_state_directly():
    """One owner of the session's state: pages read and write it through ui.glue.state (its
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
    from ui.glue import state
    from ui.services.settings import SETTINGS

    slots = [v for v in vars(state).values() if isinstance(v, state.Slot)]
    keys = [s.key for s in slots]
    assert len(keys) == len(set(keys)), keys
    widget_keys = {s.key for s in SETTINGS} | {"task", "sentence", "sentence_b"}
    assert not set(keys) & widget_keys
    assert all(s.about for s in slots)
