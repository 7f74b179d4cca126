"""Exercise links through AppTest: ``lock=`` and ``hide=`` fix chosen controls on every page,
nothing in the app changes a locked value, a tampered link unlocks nothing, and "Share this
view" builds such a link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from rnn_core.tasks import load_task
from tests.app.conftest import APP, no_exceptions, open_page
from ui.glue.exercise import LOCKED_HELP
from ui.glue.state import SHARE_HIDE, SHARE_LOCK, SHARE_OPEN
from ui.services.exercise import LOCKABLE, parse_exercise
from ui.services.limits import Limits
from ui.services.run import TrainingRun
from ui.services.settings import SETTINGS, snapped_config
from ui.services.transfer import checkpoint_bytes
from ui.views.inputs import read_text

TRAIN = "app_pages/train.py"
TINY = "sentiment-tiny"


def widgets(at: AppTest) -> dict:
    """Every drawn widget with a key, by key."""
    out = {}
    for kind in ("button_group", "number_input", "selectbox", "select_slider", "text_input"):
        for w in at.get(kind):
            if w.key:
                out[w.key] = w
    return out


def shown_locked(w) -> bool:
    return w.disabled and w.label.startswith("🔒") and LOCKED_HELP in (w.help or "")


def tampered(w):
    """A disabled widget as a tampered client treats it: AppTest, like a browser, refuses to
    change a disabled widget; a hand-made websocket message would not."""
    w.proto.disabled = False
    return w


def run_of(at: AppTest):
    return at.session_state["run"]


def messages(at: AppTest) -> list[str]:
    return [m.value for m in (*at.info, *at.warning, *at.error)]


def test_locked_controls_are_disabled_show_the_lock_and_take_the_links_values():
    at = open_page("train", task=TINY, cell="gru", hidden="8", lock="cell,hidden")
    w = widgets(at)
    assert shown_locked(w["cell"]) and w["cell"].value == "gru"
    assert shown_locked(w["hidden"]) and w["hidden"].value == 8
    others = [k for k in (s.key for s in SETTINGS) if k in w and k not in ("cell", "hidden")]
    assert len(others) > 10 and not any(w[k].label.startswith("🔒") for k in others)
    assert not any(w[k].disabled for k in others if k != "activation")  # off for a GRU
    assert not w["task"].disabled and not w["sentence"].disabled
    c = run_of(at).config
    assert (c.cell, c.hidden_size) == ("gru", 8)
    assert any("Cell and Hidden units are locked" in c.value for c in at.caption)


def test_a_hidden_control_is_not_drawn_and_its_value_still_applies():
    at = open_page("train", task=TINY, clip="none", hide="clip")
    assert "clip" not in widgets(at)
    assert run_of(at).config.clip == "none"
    assert widgets(at)["clip_value"].disabled  # the page still follows its value
    # no value in the link: the task's own value applies, and stays hidden
    at = open_page("train", task=TINY, hide="clip,lr")
    assert "clip" not in widgets(at) and "lr" not in widgets(at)
    default = load_task(TINY).default_config
    assert (run_of(at).config.clip, run_of(at).config.lr) == (default.clip, default.lr)


def test_a_locked_control_with_an_unusable_link_value_keeps_the_default_and_says_so():
    at = open_page("train", task=TINY, hidden="inf", lock="hidden")
    w = widgets(at)
    assert shown_locked(w["hidden"])
    assert w["hidden"].value == load_task(TINY).default_config.hidden_size
    assert any("hidden" in m and "cannot be used" in m for m in messages(at))


def test_a_browser_sending_another_value_for_a_locked_control_changes_nothing():
    """The widget is disabled, but a tampered client could still send a value."""
    at = open_page("train", task=TINY, cell="gru", hidden="8", lock="cell,hidden")
    tampered(at.button_group(key="cell")).set_value("lstm").run()
    tampered(at.number_input(key="hidden")).set_value(30).run()
    no_exceptions(at)
    assert widgets(at)["cell"].value == "gru" and widgets(at)["hidden"].value == 8
    assert (run_of(at).config.cell, run_of(at).config.hidden_size) == ("gru", 8)


def test_recommended_settings_and_a_task_change_keep_locked_values():
    at = open_page("train", task=TINY, hidden="8", lr="0.5", lock="hidden,lr")
    next(b for b in at.button if b.label.startswith("Recommended")).click().run()
    no_exceptions(at)
    assert widgets(at)["hidden"].value == 8 and widgets(at)["lr"].value == "0.5"
    at.selectbox(key="task").set_value("parity").run()
    no_exceptions(at)
    assert widgets(at)["hidden"].value == 8 and widgets(at)["lr"].value == "0.5"
    assert run_of(at).task.name == "parity" and run_of(at).config.hidden_size == 8
    # an unlocked setting did follow the new task
    assert widgets(at)["steps"].value == load_task("parity").default_config.steps


def diverge(at: AppTest, tries: int = 10):
    next(b for b in at.button if b.label.endswith("Start")).click().run()
    for _ in range(tries):
        if run_of(at).state == "diverged":
            break
        at.run()
    return run_of(at)


def test_one_click_fixes_cannot_change_a_locked_value():
    """The workshop's divergence with the learning rate and clipping locked: the fixes that
    would change them are drawn off, with the lock; clicked anyway, they change nothing."""
    at = open_page("train", task="adding", lr="100", clip="none", optimizer="sgd", lock="lr,clip")
    assert diverge(at).state == "diverged"
    fixes = [b for b in at.button if b.key and b.key.startswith("fix_")]
    assert fixes
    for fix in fixes:
        assert fix.disabled and fix.label.startswith("🔒"), fix.label
    for i in range(len(fixes)):
        fix = [b for b in at.button if b.key and b.key.startswith("fix_")][i]
        tampered(fix).click().run()
        no_exceptions(at)
        w = widgets(at)
        assert w["lr"].value == "100" and w["clip"].value == "none"
        assert (run_of(at).config.lr, run_of(at).config.clip) == (100.0, "none")


def test_a_fix_of_an_unlocked_setting_still_works_beside_a_lock():
    at = open_page("train", task="adding", lr="100", clip="none", optimizer="sgd", lock="lr")
    assert diverge(at).state == "diverged"
    fixes = {b.label: b for b in at.button if b.key and b.key.startswith("fix_")}
    assert any(label.startswith("🔒 Learning rate") for label in fixes)
    (clip,) = [b for label, b in fixes.items() if label.startswith("Clip")]
    assert not clip.disabled
    clip.click().run()
    no_exceptions(at)
    assert (run_of(at).config.clip, run_of(at).config.lr) == ("norm", 100.0)
    assert widgets(at)["clip"].value == "norm" and widgets(at)["lr"].value == "100"


def test_a_checkpoint_that_would_change_a_locked_value_is_refused():
    task = load_task(TINY)
    lstm = snapped_config(task.default_config, {"cell": "lstm"})
    run = TrainingRun(task, lstm, read_text(task, task.example).seq, Limits())
    data = checkpoint_bytes(run, task)
    at = open_page("train", task=TINY, cell="gru", lock="cell")
    before = run_of(at)
    (up,) = [u for u in at.file_uploader if u.key == "model_upload"]
    up.set_value(("lstm.npz", data, "application/zip")).run()
    no_exceptions(at)
    assert any("locks cell" in m for m in messages(at))
    assert run_of(at) is before and widgets(at)["cell"].value == "gru"
    # the same checkpoint loads where cell is not locked
    at = open_page("train", task=TINY, cell="gru", lock="hidden")
    (up,) = [u for u in at.file_uploader if u.key == "model_upload"]
    up.set_value(("lstm.npz", data, "application/zip")).run()
    assert run_of(at).config.cell == "lstm"


def test_the_csv_upload_is_off_while_the_task_is_locked():
    at = open_page("train", task=TINY, lock="task")
    assert shown_locked(widgets(at)["task"])
    rows = b"".join(b"good film %d,pos\nbad film %d,neg\n" % (i, i) for i in range(10))
    csv = b"text,label\n" + rows
    (up,) = [u for u in at.file_uploader if u.key == "csv_upload"]
    assert up.proto.disabled and up.label.startswith("🔒")
    tampered(up).set_value(("mine.csv", csv, "text/csv")).run()
    no_exceptions(at)
    # (Streamlit 1.67 discards a disabled uploader's file; load_csv_upload refuses it too)
    assert run_of(at).task.name == TINY and widgets(at)["task"].value == TINY
    assert "csv" not in widgets(at)["task"].options and "csv_task" not in at.session_state


@pytest.mark.parametrize(
    "lock",
    ["all", "*", "cell;hidden", "x" * 5000, "CELL;", ["zzz", "*"], "🔒", "cell hidden"],
)
def test_a_tampered_link_locks_nothing_and_says_so(lock):
    at = open_page("train", task=TINY, cell="gru", lock=lock)
    w = widgets(at)
    assert not any(x.label.startswith("🔒") for x in w.values())
    assert not w["cell"].disabled and not w["hidden"].disabled and not w["task"].disabled
    notes = [m for m in messages(at) if "lock/hide" in m]
    assert len(notes) == 1 and "ignored" in notes[0]
    assert "x" * 20 not in notes[0] and "🔒" not in notes[0]


link_items = hs.one_of(
    hs.sampled_from(["cell", "hidden", " LR ", "task", "clip", "a_cell", "seed"]),
    hs.text(max_size=12),
)
link_values = hs.lists(link_items, max_size=5).map(",".join)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lock=link_values, hide=link_values)
def test_any_link_locks_exactly_the_named_controls_on_the_page(lock, hide):
    at = open_page("train", task=TINY, lock=lock, hide=hide)  # no exception (checked there)
    expected = parse_exercise([lock], [hide])
    w = widgets(at)
    drawn = {k for k in w if k in LOCKABLE}
    assert {k for k, x in w.items() if x.label.startswith("🔒")} == drawn & (
        expected.locked - expected.hidden
    )
    assert not drawn & expected.hidden


def test_repeated_lock_keys_add_up_and_junk_beside_them_unlocks_nothing():
    at = open_page("train", task=TINY, lock=["cell", "all,hidden", "*"], hide=["", "clip;"])
    w = widgets(at)
    assert shown_locked(w["cell"]) and shown_locked(w["hidden"])
    locked = {k for k, x in w.items() if x.label.startswith("🔒")}
    assert locked == {"cell", "hidden"}
    assert "clip" in w


def test_compare_locks_its_own_keys_and_shares_steps_and_seed():
    at = open_page("compare", task=TINY, lock="cell,a_lr,seed", a_lr="0.001")
    w = widgets(at)
    assert not w["a_cell"].disabled and not w["b_cell"].disabled  # cell is Train's control
    assert shown_locked(w["a_lr"]) and w["a_lr"].value == "0.001" and not w["b_lr"].disabled
    assert shown_locked(w["seed"])  # the key Train and Compare share
    # presets that would set a locked key are off; clicked anyway, they change nothing
    b_lr = w["b_lr"].value
    two_lrs = next(b for b in at.button if b.label.endswith("two learning rates"))
    assert two_lrs.disabled and two_lrs.label.startswith("🔒")
    tampered(two_lrs).click().run()
    no_exceptions(at)
    assert widgets(at)["a_lr"].value == "0.001"
    assert widgets(at)["b_lr"].value == b_lr  # the preset did not half-apply


def test_the_explore_and_learn_sentence_can_be_locked_or_hidden():
    at = open_page("explore", sentence="not bad at all", lock="sentence,task")
    w = widgets(at)
    assert shown_locked(w["sentence"]) and w["sentence"].value == "not bad at all"
    assert shown_locked(w["task"])
    at = open_page("learn", sentence="not bad", hide="sentence")
    assert "sentence" not in widgets(at)
    assert at.session_state["sentence"] == "not bad"


def param(at: AppTest, key: str) -> list[str]:
    """A URL key's values in AppTest's query parameters (a string or a list)."""
    value = at.query_params[key]
    return value if isinstance(value, list) else [value]


def test_locks_survive_page_changes_and_come_back_into_the_address():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"task": TINY, "cell": "gru", "lock": "cell", "hide": "clip"})
    at.run()
    at.switch_page(TRAIN).run()
    assert shown_locked(widgets(at)["cell"]) and widgets(at)["cell"].value == "gru"
    # a page change that drops the keys from the address: the session still has them and
    # puts them back, so a reload keeps the exercise
    for key in ("lock", "hide"):
        del at.query_params[key]
    at.switch_page("app_pages/explore.py").run()
    no_exceptions(at)
    assert param(at, "lock") == ["cell"] and param(at, "hide") == ["clip"]
    at.switch_page(TRAIN).run()
    w = widgets(at)
    assert shown_locked(w["cell"]) and w["cell"].value == "gru" and "clip" not in w
    # the gradient lab draws no lockable control, and keeps the exercise in its address too
    for key in ("lock", "hide"):
        del at.query_params[key]
    at.switch_page("app_pages/gradients.py").run()
    no_exceptions(at)
    assert param(at, "lock") == ["cell"] and param(at, "hide") == ["clip"]


def share_link(at: AppTest) -> dict:
    return parse_qs(urlsplit(at.sidebar.code[0].value).query)


def test_share_builds_an_exercise_link_that_reproduces_the_locks():
    at = open_page("train", session={SHARE_OPEN: True}, task=TINY, lr="0.002", clip="value")
    at.multiselect(key=SHARE_LOCK).set_value(["lr", "cell"]).run()
    at.multiselect(key=SHARE_HIDE).set_value(["clip"]).run()
    no_exceptions(at)
    offered = at.multiselect(key=SHARE_LOCK).options  # this page's controls, by label
    assert "Learning rate (log scale)" in offered and "Task" in offered
    assert not any(o.startswith("Compare") for o in offered)
    query = share_link(at)
    assert query["lock"] == ["cell,lr"] and query["hide"] == ["clip"]
    assert query["lr"] == ["0.002"] and query["clip"] == ["value"]
    assert not widgets(at)["lr"].disabled  # the link is built; this page is not locked
    opened = open_page("train", **{k: v[0] for k, v in query.items()})
    w = widgets(opened)
    assert shown_locked(w["lr"]) and w["lr"].value == "0.002" and shown_locked(w["cell"])
    assert "clip" not in w and run_of(opened).config.clip == "value"


def test_a_shared_view_of_a_locked_page_keeps_its_locks():
    at = open_page("train", session={SHARE_OPEN: True}, task=TINY, hidden="8", lock="hidden")
    query = share_link(at)
    assert query["lock"] == ["hidden"] and query["hidden"] == ["8"]
    at.multiselect(key=SHARE_LOCK).set_value(["lr"]).run()  # adding one keeps the others
    assert share_link(at)["lock"] == ["hidden,lr"]
    # the hidden control's value is in the link even when it came from the default
    at = open_page("train", session={SHARE_OPEN: True}, task=TINY, hide="seed")
    assert share_link(at)["seed"] == [str(load_task(TINY).default_config.seed)]
    assert share_link(at)["hide"] == ["seed"]
