"""Hostile input, part 3: every parser of user input in ui/ fuzzed with Hypothesis.

URL values (ui.glue.controls.url_value_ok / url_number_ok), uploaded checkpoints
(ui.services.transfer.read_checkpoint), uploaded CSVs (read_csv_task, short_filename), typed text
(ui.views.inputs.read_text), the share link (ui.glue.share.view_link) and the server's environment
(ui.services.limits.Limits.from_env). Each either gives a usable value or says why not with its own
error type — never another exception — and never touches the model it was handed.
(tests/app/test_transfer.py has the hand-written hostile files; these are the random ones.)
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct
import tracemalloc
import zlib
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rnn_core.tasks import load_task
from tests.npz_files import npz_entries, npz_pack
from ui.glue.share import view_link
from ui.services.limits import Limits
from ui.services.run import TrainingRun
from ui.services.settings import (
    BY_KEY,
    COMPARE_KEYS,
    TRAIN_KEYS,
    url_number_ok,
    url_value_ok,
    widget_values,
)
from ui.services.transfer import (
    MAX_CHECKPOINT_BYTES,
    MAX_FILENAME_CHARS,
    UploadError,
    checkpoint_bytes,
    read_checkpoint,
    read_csv_task,
    short_filename,
)
from ui.views.inputs import MAX_CHARS, MAX_TOKENS, read_text

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMITS = Limits()

# What a link can carry: any text a browser decodes from a URL (no lone surrogates: invalid
# UTF-8 in a URL decodes to U+FFFD), plus the values that trip number parsers.
NASTY = (
    "",
    " ",
    "-1",
    "0",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "-inf",
    "9" * 400,
    "9" * 5000,
    "0x10",
    "5.5",
    "1e-400",
    "1_0",
    "１２",
    "🙂" * 50,
    "a\x00b",
    "\x00",
    "x" * 10_000,
    "<script>alert(1)</script>",
    "None",
    "true",
    "[1, 2]",
    "\u202e",
    "\ufffd",
)
url_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(codec="utf-8"), max_size=60),
    st.integers().map(str),
    st.floats().map(repr),
    st.floats().map(str),
    st.sampled_from([str(v) for s in BY_KEY.values() for v in s.options]),
)
CHOICES = {k: {str(o) for o in s.options} for k, s in BY_KEY.items() if s.widget != "number"}


def numeric_range(key: str) -> tuple[type, float, float]:
    s = BY_KEY[key]
    return (s.number, *s.bounds(LIMITS))


@pytest.fixture(scope="module")
def tiny():
    return load_task("sentiment-tiny")


@pytest.fixture(scope="module")
def chars():
    return load_task("chars")


@pytest.fixture(scope="module")
def run(tiny):
    run = TrainingRun(tiny, tiny.default_config, tiny.encoder.encode(tiny.example), LIMITS)
    run.advance(0, max_steps=3)
    return run


@pytest.fixture(scope="module")
def saved(run, tiny) -> bytes:
    return checkpoint_bytes(run, tiny)


# ----------------------------------------------------------------------------- URL values


def reference_ok(key: str, raw: str) -> bool:
    """What url_value_ok must answer, written out the long way."""
    if key in CHOICES:
        return raw in CHOICES[key]
    kind, lo, hi = numeric_range(key)
    try:
        value = float(raw)
    except ValueError:
        return False
    if math.isnan(value) or math.isinf(value):
        return False
    if kind is int and not value.is_integer():
        return False
    return lo <= value <= hi


@FUZZ
@given(key=st.sampled_from(sorted(TRAIN_KEYS)), raw=url_text)
def test_url_value_ok_answers_for_any_text_and_never_raises(key, raw):
    ok = url_value_ok(key, raw, LIMITS)
    assert ok is reference_ok(key, raw)
    if ok and key not in CHOICES:  # what the widget will hold is in its range
        kind, lo, hi = numeric_range(key)
        assert lo <= kind(float(raw)) <= hi


@FEW
@given(
    raw=url_text,
    kind=st.sampled_from([int, float]),
    lo=st.integers(-10, 10),
    span=st.integers(0, 10**6),
)
def test_url_number_ok_is_finite_in_range_and_whole_for_ints(raw, kind, lo, span):
    if url_number_ok(raw, kind, lo, lo + span):
        value = float(raw)
        assert math.isfinite(value) and lo <= value <= lo + span
        assert kind is float or value.is_integer()


def test_every_train_and_compare_key_is_checked_and_every_tasks_own_values_pass():
    """url_value_ok knows every URL key of the training and compare widgets, and each task's
    recommended settings (what a fresh page writes to the URL) pass it."""
    assert set(COMPARE_KEYS) <= set(TRAIN_KEYS)
    assert set(TRAIN_KEYS) == set(CHOICES) | {k for k, s in BY_KEY.items() if s.number}
    for name in ("sentiment-tiny", "parity", "adding", "sine"):
        values = widget_values(load_task(name).default_config)
        assert set(values) == set(TRAIN_KEYS)
        for key, value in values.items():
            assert url_value_ok(key, str(value), LIMITS), (name, key, value)
        for key in TRAIN_KEYS:
            for raw in NASTY:
                assert isinstance(url_value_ok(key, raw, LIMITS), bool)


# ----------------------------------------------------------------------------- typed text


@FUZZ
@given(text=st.one_of(st.none(), st.text(max_size=400), st.sampled_from(NASTY)))
def test_read_text_takes_any_text(tiny, chars, text):
    """Any text — emoji, NUL, lone surrogates, RTL marks — is read, never raises."""
    for task in (tiny, chars):
        r = read_text(task, text)
        assert len(r.tokens) == len(r.unknown) == len(r.seq) <= MAX_TOKENS
        assert r.seq.dtype.kind in "iu"
        assert ((r.seq >= 0) & (r.seq < len(task.encoder))).all()
        assert r.cut >= 0 and r.unread == (len(text or "") > MAX_CHARS)


def test_read_text_of_a_pasted_book_says_the_rest_was_not_read(tiny):
    book = "good " * 300_000  # 1.5 MB: 300 000 tokens, of which only MAX_CHARS are looked at
    r = read_text(tiny, book)
    assert len(r.tokens) == MAX_TOKENS and r.unread
    assert 0 < r.cut < 300_000 - MAX_TOKENS  # the count covers only what was tokenised
    one_word = read_text(tiny, "x" * (MAX_CHARS + 1))
    assert one_word.cut == 0 and one_word.unread  # nothing "cut" in tokens, but text was
    assert not read_text(tiny, "good " * 10).unread


# ----------------------------------------------------------------------------- checkpoints


def assert_untouched(run, before: dict[str, bytes]) -> None:
    assert {k: v.tobytes() for k, v in run.model.params.items()} == before


def refused(data: bytes, task) -> str:
    with pytest.raises(UploadError) as info:
        read_checkpoint(data, task, LIMITS)
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 700, message
    return message


@FUZZ
@given(data=st.binary(max_size=4000))
def test_random_bytes_are_refused_with_an_upload_error(tiny, data):
    message = refused(data, tiny)
    assert message.startswith(("Not a usable checkpoint", "The file is empty"))


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_inside_a_zip_header_are_refused(tiny, data):
    refused(b"PK\x03\x04" + data, tiny)
    refused(b"PK\x05\x06" + data, tiny)


def bad_array(draw, name: str, original: np.ndarray) -> np.ndarray:
    """A replacement for one entry: another shape, another dtype, NaN/inf, or objects."""
    how = draw(st.sampled_from(["shape", "dtype", "nonfinite", "object", "scalar", "empty"]))
    if how == "shape":
        shape = draw(st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple))
        if shape == original.shape:
            shape = (*shape, 2)
        return np.zeros(shape, dtype=original.dtype)
    if how == "dtype":
        # another integer kind holding the same whole number is a fair file (the loader makes
        # 'opt/step' an int64), so an integer entry gets a non-integer dtype
        kinds = ["float16", "int32", "uint8", "bool", "complex64"]
        same = "iu" if original.dtype.kind in "iu" else original.dtype.kind
        dtype = draw(st.sampled_from([d for d in kinds if np.dtype(d).kind not in same]))
        return original.astype(dtype)
    if how == "nonfinite":
        if original.dtype.kind != "f" or original.size == 0:
            return np.array(np.nan)
        out = original.copy()
        flat = out.reshape(-1)
        flat[draw(st.integers(0, flat.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return out
    if how == "object":
        return np.array([{"x": 1}, None], dtype=object)
    if how == "scalar":
        return np.array(draw(st.floats(allow_nan=True)))
    return np.zeros((0,), dtype=original.dtype)


@st.composite
def damaged(draw, saved: bytes) -> tuple[bytes, str]:
    """A real checkpoint with one entry swapped for a bad one, removed, or added."""
    arrays = npz_entries(saved)
    names = sorted(arrays)
    what = draw(st.sampled_from(["swap", "drop", "add"]))
    name = draw(st.sampled_from(names))
    if what == "swap" and name != "__meta__":
        arrays[name] = bad_array(draw, name, arrays[name])
    elif what == "drop":
        del arrays[name]
    else:
        extra = draw(st.sampled_from(["param/extra", "opt/m/l0.W_hh", "opt/zzz/x", "junk"]))
        arrays[extra] = np.zeros(3, dtype=np.float32)
        name = extra
    return npz_pack(arrays), name


@FUZZ
@given(data=st.data())
def test_a_real_checkpoint_with_one_entry_wrong_is_refused(tiny, run, saved, data):
    before = {k: v.tobytes() for k, v in run.model.params.items()}
    blob, _entry = data.draw(damaged(saved))
    message = refused(blob, tiny)
    assert message.startswith(("Not a usable checkpoint", "This checkpoint")), message
    assert_untouched(run, before)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@FUZZ
@given(data=st.data())
def test_a_real_checkpoint_with_one_metadata_field_wrong_is_refused_or_loads(
    tiny, run, saved, data
):
    """Any JSON in any metadata field (top level, model_config, train_config): refused with a
    message, or — when the value happens to be valid — a checkpoint that loads."""
    arrays = npz_entries(saved)
    meta = json.loads(arrays["__meta__"].tobytes())
    section = data.draw(st.sampled_from(["top", "model_config", "train_config"]))
    target = meta if section == "top" else meta[section]
    key = data.draw(st.sampled_from(sorted(target)))
    target[key] = data.draw(json_value)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    try:
        ckpt = read_checkpoint(npz_pack(arrays), tiny, LIMITS)
    except UploadError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert ckpt.model.params.keys() == run.model.params.keys()
    assert arrays["param/W_hy"].tobytes() == run.model.params["W_hy"].tobytes()


def local_header(name: bytes, size: int, csize: int, crc: int) -> bytes:
    return struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, csize, size, len(name), 0)


def bomb(members: int, mib: int, noise: int) -> bytes:
    """A zip of ``members`` deflated entries, each really inflating to ``mib`` MiB (mostly
    zeros; ``noise`` random bytes per MiB keep the compression ratio where we want it).
    Built without ever holding the inflated data."""
    chunk = bytes(2**20 - noise) + np.random.default_rng(0).bytes(noise)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    stream = block * mib + comp.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    size = mib * 2**20
    body, central = b"", b""
    for i in range(members):
        name = f"param/w{i}.npy".encode()
        offset = len(body)
        body += local_header(name, size, len(stream), crc) + name + stream
        central += (
            struct.pack(
                "<4s6H3L5H2L",
                *(b"PK\x01\x02", 20, 20, 0, 8, 0, 0),
                *(crc, len(stream), size),
                *(len(name), 0, 0, 0, 0, 0, offset),
            )
            + name
        )
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, members, members, len(central), len(body), 0)
    return body + central + end


@pytest.mark.parametrize(
    ("members", "mib", "noise", "words"),
    [
        (1, 1100, 0, "compression ratio above 1000x"),  # one 1.1 GiB member of zeros
        (8, 160, 600, "more than the 256 MiB limit"),  # 1.25 GiB in members of ratio < 1000
    ],
)
def test_zip_bombs_are_refused_by_their_sizes_without_inflating(tiny, members, mib, noise, words):
    data = bomb(members, mib, noise)
    assert len(data) < MAX_CHECKPOINT_BYTES  # small enough to be uploaded
    assert members * mib * 2**20 > 2**30  # and really more than 1 GiB inside
    tracemalloc.start()
    try:
        message = refused(data, tiny)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert words in message
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"


# ----------------------------------------------------------------------------- CSV uploads


def csv_refused_or_task(data, name="fuzz.csv"):
    try:
        task = read_csv_task(data, name)
    except UploadError as e:
        assert str(e) and len(str(e)) < 1000
        return None
    assert task.name == "csv" and len(task.class_names) >= 2
    return task


@FEW
@given(data=st.binary(max_size=3000))
def test_random_csv_bytes_are_refused_or_read(data):
    csv_refused_or_task(data)


csv_cell = st.text(st.characters(codec="utf-8"), max_size=12)


@FEW
@given(
    rows=st.lists(st.tuples(csv_cell, csv_cell), max_size=30),
    delimiter=st.sampled_from([",", ";", "\t", "|", " "]),
    header=st.booleans(),
)
def test_csv_shaped_text_is_refused_or_read(rows, delimiter, header):
    lines = (["text" + delimiter + "label"] if header else []) + [
        t + delimiter + label for t, label in rows
    ]
    csv_refused_or_task("\n".join(lines).encode("utf-8"))


def test_huge_csv_files_and_a_10_mb_line_are_refused_by_size():
    example = b"text,label\n" + b"".join(
        b"a good day %d,pos\nbad %d,neg\n" % (i, i) for i in range(10)
    )
    assert csv_refused_or_task(example) is not None  # the base file is fine
    for data in (example * 60_000, b"x" * 10_000_000 + b",pos\n" + example):
        with pytest.raises(UploadError, match=r"^The file is \d+\.\d MB; the limit is 5 MB"):
            read_csv_task(data, "huge.csv")


def test_a_single_line_just_under_the_size_limit_is_refused_with_a_reason():
    line = b'"' + b"word " * 900_000 + b'",pos\n'  # 4.5 MB in one field
    with pytest.raises(UploadError) as info:
        read_csv_task(line + b"a,neg\nb,pos\nc,neg\n", "line.csv")
    assert "longer than" in str(info.value) and "characters" in str(info.value)


@FUZZ
@given(name=st.text(max_size=300))
def test_filenames_are_shortened_and_cleaned(name):
    shown = short_filename(name)
    assert 0 < len(shown) <= MAX_FILENAME_CHARS
    assert "/" not in shown and "\\" not in shown
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in shown)


# ----------------------------------------------------------------------------- share link, env


@FEW
@given(
    params=st.dictionaries(
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=10),
        st.text(st.characters(codec="utf-8"), max_size=40),
        max_size=6,
    )
)
def test_the_share_link_carries_any_url_values_back_exactly(params):
    link = view_link("http://localhost:8501/train?old=1#frag", params)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "http",
        "localhost:8501",
        "/train",
        "",
    )
    assert dict(parse_qsl(parts.query, keep_blank_values=True)) == params


@FEW
@given(
    environ=st.dictionaries(
        st.sampled_from([f"RNNX_{f.name.upper()}" for f in dataclasses.fields(Limits)]),
        url_text,
        max_size=7,
    )
)
def test_limits_from_any_environment_are_positive_and_finite(environ):
    assume(not any(overflows(raw) for raw in environ.values()))  # the known bug below
    limits, notes = Limits.from_env(environ)
    for f in dataclasses.fields(Limits):
        value = getattr(limits, f.name)
        assert math.isfinite(value) and value > 0, (f.name, value)
    assert len(notes) <= len(environ)


def overflows(raw: str) -> bool:
    """A whole number too large for a float: what trips Limits.from_env."""
    try:
        value = int(raw.strip())
    except ValueError:
        return False
    try:
        float(value)
    except OverflowError:
        return True
    return False


def test_a_huge_whole_number_in_the_environment_keeps_the_default():
    limits, notes = Limits.from_env({"RNNX_MAX_HIDDEN": "9" * 400})
    assert limits.max_hidden == Limits().max_hidden and notes
