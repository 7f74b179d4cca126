"""Hostile input, part 3: hostile files uploaded on the Train page (the app's only uploads).

Every file ends in a plain st.error saying what is wrong, no exception element, and the
session's run and model bit-identical: same run object, same step count, same weights.
(tests/app/test_train_page.py covers empty/garbage/another task's files; these are the rest.)
"""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import no_exceptions, open_page
from tests.npz_files import npz_entries, npz_pack
from tests.ui.test_parsers_fuzz import bomb
from ui.services.transfer import checkpoint_bytes

TASK = "sentiment-tiny"


@pytest.fixture(scope="module")
def page():
    """The Train page with a model one step in, and that model's own checkpoint."""
    at = open_page("train", timeout=60, task=TASK)
    (step,) = [b for b in at.button if b.label.endswith("Step")]
    step.click().run()
    run = at.session_state["run"]
    assert run.steps == 1
    return at, checkpoint_bytes(run, run.task)


def uploader(at: AppTest, key: str):
    (match,) = [u for u in at.file_uploader if u.key == key]
    return match


def upload(at: AppTest, key: str, name: str, data: bytes, mime: str) -> list[str]:
    """Upload a file; check nothing moved; return the page's error messages."""
    run = at.session_state["run"]
    weights = {k: v.tobytes() for k, v in run.model.params.items()}
    steps, task = run.steps, at.selectbox(key="task").value
    uploader(at, key).set_value((name, data, mime)).run()
    no_exceptions(at)
    assert at.session_state["run"] is run and run.steps == steps
    assert {k: v.tobytes() for k, v in run.model.params.items()} == weights
    assert at.session_state["models"][TASK].model is run.model
    assert at.selectbox(key="task").value == task and "csv_task" not in at.session_state
    errors = [e.value for e in at.error]
    assert errors, "a refused file is explained"
    return errors


def changed(saved: bytes, name: str, value) -> bytes:
    arrays = npz_entries(saved)
    arrays[name] = value(arrays[name]) if callable(value) else value
    return npz_pack(arrays, compress=True)


class Pwned:
    calls: list[str] = []  # noqa: RUF012

    def __reduce__(self):
        return (Pwned.calls.append, ("unpickled",))


def nan_in(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.reshape(-1)[0] = np.nan
    return a


def test_hostile_checkpoints_are_refused_and_change_nothing(page):
    at, saved = page
    meta = json.loads(npz_entries(saved)["__meta__"].tobytes())
    meta["model_config"]["hidden_size"] = 10**12
    files = {
        "random bytes": (np.random.default_rng(5).bytes(50_000), "Not a usable checkpoint"),
        "pickled object array": (
            changed(saved, "param/W_hy", np.array([Pwned()], dtype=object)),
            "object array",
        ),
        "weights of another shape": (
            changed(saved, "param/W_hy", lambda a: np.zeros((a.shape[0] + 1, a.shape[1]), a.dtype)),
            "has shape",
        ),
        "weights transposed": (changed(saved, "param/W_hy", lambda a: a.T.copy()), "has shape"),
        "weights as float16": (
            changed(saved, "param/W_hy", lambda a: a.astype(np.float16)),
            "dtype",
        ),
        "weights as integers": (
            changed(saved, "param/W_hy", lambda a: a.astype(np.int64)),
            "dtype",
        ),
        "NaN weights": (changed(saved, "param/W_hy", nan_in), "NaN"),
        "optimizer state of another shape": (
            changed(saved, "opt/m/W_hy", lambda a: a[:-1].copy()),
            "has shape",
        ),
        "a negative step count": (changed(saved, "opt/step", np.array(-3)), "opt/step"),
        "a huge model config": (
            changed(saved, "__meta__", np.frombuffer(json.dumps(meta).encode(), np.uint8)),
            "Not a usable checkpoint",
        ),
    }
    for what, (data, words) in files.items():
        errors = upload(at, "model_upload", f"{what}.npz", data, "application/zip")
        assert any(words in e for e in errors), (what, errors)
    assert Pwned.calls == []


@pytest.mark.parametrize(
    ("members", "mib", "noise", "words"),
    [(1, 1100, 0, "zip bomb"), (8, 160, 600, "256 MiB limit")],
)
def test_zip_bombs_are_refused_without_inflating(page, members, mib, noise, words):
    at, _ = page
    data = bomb(members, mib, noise)  # > 1 GiB inside, a few MB outside
    tracemalloc.start()
    try:
        errors = upload(at, "model_upload", "bomb.npz", data, "application/zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert any(words in e for e in errors), errors
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_hostile_csv_files_are_refused_and_change_nothing(page):
    at, _ = page
    rows = b"".join(b"a good day %d,pos\nbad %d,neg\n" % (i, i) for i in range(50))
    files = {
        "random.csv": (np.random.default_rng(6).bytes(20_000), "binary file"),
        "huge.csv": (b"text,label\n" + rows * 5000, "the limit is 5 MB"),
        "many-rows.csv": (b"text,label\n" + rows * 3000, "more than 50 000 rows"),
        "one-line.csv": (b"x" * 10_000_000 + b",pos\n" + rows, "the limit is 5 MB"),
        "one-field.csv": (b'"' + b"word " * 900_000 + b'",pos\n' + rows, "longer than"),
        "one-class.csv": (b"text,label\n" + b"hello,a\n" * 1000, "at least 2 classes"),
        "checkpoint.csv": (page[1], "zip archive"),
        "utf16.csv": ("text,label\nhi,a\n".encode("utf-16-le"), "UTF-16 text without a byte"),
    }
    for name, (data, words) in files.items():
        errors = upload(at, "csv_upload", name, data, "text/csv")
        assert any(words in e for e in errors), (name, errors)
