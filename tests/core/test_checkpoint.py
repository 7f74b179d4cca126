"""Checkpoints: exact round trips, and every kind of bad file refused with a clear ValueError.

The loader faces files uploaded by strangers, so most of these tests build broken, foreign
or hostile files by hand and check the message names what is wrong.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import itertools
import json
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core import checkpoint as ckpt_module
from rnn_core.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from rnn_core.data import Dataset, SequenceData, pad_sequences
from rnn_core.model import ModelConfig, RNNModel, param_shapes
from rnn_core.optim import OPTIMIZERS, clip_by_global_norm, make_optimizer
from rnn_core.train import TrainConfig, Trainer
from tests.npz_files import npz_entries, npz_pack

V = 6  # vocabulary of the tiny token task
VOCAB = ["<pad>", "a", "b", "c", "d", "e"]


# --------------------------------------------------------------------------------------
# Tiny models, data and checkpoints
# --------------------------------------------------------------------------------------


def contains_c(n: int, rng: np.random.Generator) -> SequenceData:
    """Many-to-one: does the sequence (length 2..6, tokens 1..5) contain token 3 ("c")?"""
    seqs = [list(rng.integers(1, V, rng.integers(2, 7))) for _ in range(n)]
    ids, mask = pad_sequences(seqs)
    return SequenceData(ids, np.array([int(3 in s) for s in seqs]), mask)


@functools.cache
def token_task() -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(contains_c(48, rng), contains_c(16, rng), V, 2)


def make_model(cell="gru", layers=1, kind="onehot", dtype=np.float32, seed=0) -> RNNModel:
    dense = kind == "dense"
    cfg = ModelConfig(
        cell=cell,
        hidden_size=4,
        num_layers=layers,
        input_kind=kind,
        input_size=3 if dense else V,
        embed_size=3,
        output_size=2,
        output="many_to_many" if dense else "many_to_one",
        loss="mse" if dense else "xent",
    )
    return RNNModel.create(cfg, np.random.default_rng(seed), dtype=dtype)


def sample_inputs(model: RNNModel):
    """A fixed padded batch the model can read: (inputs, mask)."""
    rng = np.random.default_rng(1)
    mask = np.arange(5)[None] < np.array([5, 2, 4])[:, None]
    if model.config.input_kind == "dense":
        return rng.normal(size=(3, 5, model.config.input_size)), mask
    return rng.integers(0, model.config.input_size, size=(3, 5)), mask


def train_config(**overrides) -> TrainConfig:
    settings_ = dict(hidden_size=4, batch_size=8, steps=50, eval_every=100, eval_size=16)
    settings_.update(overrides)
    return TrainConfig(**settings_)


def trained(optimizer="adam", steps=3, **overrides) -> Trainer:
    trainer = Trainer(train_config(optimizer=optimizer, **overrides), token_task())
    trainer.step(steps)
    assert trainer.status == "ok"
    return trainer


def to_bytes(model: RNNModel, **kwargs) -> bytes:
    buf = io.BytesIO()
    save_checkpoint(buf, model, **kwargs)
    return buf.getvalue()


@functools.cache
def base_checkpoint() -> bytes:
    """A valid checkpoint with everything in it: metadata, vocabulary, Adam state."""
    trainer = trained("adam", steps=2)
    return to_bytes(
        trainer.model,
        task="contains_c",
        vocab=VOCAB,
        train_config=trainer.config,
        optimizer=trainer.optimizer,
        step=trainer.step_count,
    )


# Rebuilding checkpoints with one thing changed (the test side may trust its own files).


def meta_array(meta) -> np.ndarray:
    text = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
    return np.frombuffer(text, dtype=np.uint8)


def edited(change_arrays=None, change_meta=None, data: bytes | None = None) -> bytes:
    """The base checkpoint with its arrays and/or its metadata dict changed in place."""
    arrays = npz_entries(base_checkpoint() if data is None else data)
    if change_meta is not None:
        meta = json.loads(arrays["__meta__"].tobytes())
        change_meta(meta)
        arrays["__meta__"] = meta_array(meta)
    if change_arrays is not None:
        change_arrays(arrays)
    return npz_pack(arrays)


def raw_entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def zip_of(entries: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, raw in entries.items():
            zf.writestr(name, raw)
    return buf.getvalue()


def hand_zip(name: str, deflated: bytes, claimed_size: int, crc: int) -> bytes:
    """A one-member zip whose directory says exactly what we tell it to (deflate method)."""
    n = name.encode()
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(deflated), claimed_size, len(n), 0
    )
    central = struct.pack(
        "<4s6H3L5H2L",
        *(b"PK\x01\x02", 20, 20, 0, 8, 0, 0),
        *(crc, len(deflated), claimed_size),
        *(len(n), 0, 0, 0, 0, 0, 0),
    )
    offset = len(local) + len(n) + len(deflated)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(n), offset, 0)
    return local + n + deflated + central + n + end


def zeros_deflated(mib: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``mib`` MiB of zero bytes, built without ever holding them
    (the 1 MiB block after a full flush is self-contained, so it can be repeated), and its CRC."""
    chunk = bytes(2**20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return block * mib + comp.flush(), crc


def assert_same_model(a: RNNModel, b: RNNModel) -> None:
    assert a.config == b.config
    assert list(a.params) == list(b.params)
    for name in a.params:
        assert a.params[name].dtype == b.params[name].dtype, name
        assert np.array_equal(a.params[name], b.params[name]), name
    inputs, mask = sample_inputs(a)
    out_a, out_b = a.forward(inputs, mask).outputs, b.forward(inputs, mask).outputs
    assert out_a.dtype == out_b.dtype
    assert np.array_equal(out_a, out_b)  # bit for bit


def rejects(data, match: str) -> CheckpointError:
    with pytest.raises(ValueError, match=match) as info:
        load_checkpoint(data)
    assert isinstance(info.value, CheckpointError)
    return info.value


# --------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dest", ["path", "bytesio"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    ("cell", "layers", "kind"),
    list(itertools.product(["rnn", "gru", "lstm"], [1, 2], ["onehot", "embedding", "dense"])),
)
def test_round_trip_reproduces_predictions_exactly(tmp_path, cell, layers, kind, dtype, dest):
    model = make_model(cell, layers, kind, dtype)
    if dest == "path":
        path = tmp_path / "model.ckpt"  # no .npz suffix: written exactly here all the same
        save_checkpoint(path, model)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["model.ckpt"]
        loaded = load_checkpoint(str(path))
    else:
        buf = io.BytesIO()
        save_checkpoint(buf, model)
        buf.seek(0)
        loaded = load_checkpoint(buf)
    assert isinstance(loaded, Checkpoint)
    assert_same_model(model, loaded.model)
    assert loaded.model.dtype == np.dtype(dtype)
    assert loaded.optimizer_state is None and loaded.train_config is None
    assert loaded.step == 0 and loaded.extra == {} and loaded.vocab is None


def test_loads_from_bytes_and_uploaded_file_objects():
    model = make_model()
    data = to_bytes(model)

    class UploadedFile(io.BytesIO):  # Streamlit's upload is a BytesIO subclass
        pass

    for source in (data, bytearray(data), memoryview(data), UploadedFile(data)):
        assert_same_model(model, load_checkpoint(source).model)


def test_metadata_round_trip():
    trainer = trained("rmsprop", steps=2, spectral_radius=0.9, truncate=3, lr=0.004)
    extra = {"note": "héllo ✓", "scores": [1, 2.5], "nested": {"ok": True}}
    data = to_bytes(
        trainer.model,
        task="contains_c",
        vocab=tuple(VOCAB),
        train_config=trainer.config,
        optimizer=trainer.optimizer,
        step=trainer.step_count,
        extra=extra,
    )
    loaded = load_checkpoint(data)
    assert loaded.task == "contains_c"
    assert loaded.vocab == tuple(VOCAB)
    assert loaded.train_config == trainer.config
    assert loaded.step == 2
    assert loaded.extra == extra
    assert loaded.optimizer_name == "rmsprop"
    assert loaded.meta["format"] == "rnn-explorer-checkpoint" and loaded.meta["version"] == 1
    assert loaded.meta["dtype"] == "float32"
    assert loaded.meta["model_config"]["cell"] == "gru"


def test_float_fields_written_as_integers_still_load_as_equal_configs():
    config = train_config(lr=1, clip_value=2)  # ints where floats are annotated
    model = RNNModel.create(config.model_config(token_task()), np.random.default_rng(0))
    loaded = load_checkpoint(to_bytes(model, train_config=config))
    assert loaded.train_config == config
    assert isinstance(loaded.train_config.lr, float)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_state_round_trip_continues_training_identically(name):
    trainer = trained(name, steps=3)
    data = to_bytes(
        trainer.model,
        train_config=trainer.config,
        optimizer=trainer.optimizer,
        step=trainer.step_count,
    )
    loaded = load_checkpoint(data)
    assert loaded.optimizer_name == name
    assert loaded.optimizer_state["step"] == 3
    restored = Trainer(loaded.train_config, token_task(), model=loaded.model)
    restored.optimizer.load_state_dict(loaded.optimizer_state)
    restored.step_count = loaded.step
    fresh = Trainer(loaded.train_config, token_task(), model=trainer.model.copy())

    batch = token_task().train.batch(np.arange(8))

    def one_update(t: Trainer) -> tuple[float, dict, float]:
        loss, grads, _ = t.model.loss_and_grads(*batch)
        clip_by_global_norm(grads, t.config.clip_value)
        t.optimizer.update(t.model.params, grads)
        return loss, t.model.params, t.model.loss_and_grads(*batch)[0]

    loss_a, params_a, next_a = one_update(trainer)
    loss_b, params_b, next_b = one_update(restored)
    assert loss_a == loss_b and next_a == next_b
    for key in params_a:
        assert np.array_equal(params_a[key], params_b[key]), key
    if name != "sgd":  # the state matters: without it the update differs
        _, params_c, _ = one_update(fresh)
        assert not all(np.array_equal(params_a[k], params_c[k]) for k in params_a)


def test_optimizer_state_before_any_update_round_trips():
    model = make_model()
    opt = make_optimizer("adam", 0.01)
    loaded = load_checkpoint(to_bytes(model, optimizer=opt))
    assert loaded.optimizer_name == "adam"
    assert set(loaded.optimizer_state) == {"step"}
    make_optimizer("adam", 0.01).load_state_dict(loaded.optimizer_state)


@pytest.mark.parametrize(
    "convert",
    [lambda a: a.astype(a.dtype.newbyteorder(">")), np.asfortranarray],
    ids=["big-endian", "fortran-order"],
)
def test_other_array_layouts_load_with_the_same_values(convert):
    model = make_model(layers=2, kind="embedding")

    def change(arrays):
        for name in list(arrays):
            if name.startswith("param/"):
                arrays[name] = convert(arrays[name])

    loaded = load_checkpoint(edited(change, data=to_bytes(model)))
    assert_same_model(model, loaded.model)


# --------------------------------------------------------------------------------------
# Saving refuses what loading would refuse
# --------------------------------------------------------------------------------------


def test_save_refuses_non_finite_weights():
    model = make_model()
    model.params["W_hy"][0, 0] = np.nan
    with pytest.raises(ValueError, match="'W_hy' contains NaN"):
        to_bytes(model)


def test_save_refuses_a_vocabulary_of_the_wrong_length_or_a_string():
    with pytest.raises(
        ValueError, match=r"'vocab' has 2 tokens, but model_config\.input_size is 6"
    ):
        to_bytes(make_model(), vocab=["a", "b"])
    with pytest.raises(ValueError, match="not one string"):
        to_bytes(make_model(), vocab="abcdef")


def test_save_refuses_extra_that_is_not_json():
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        to_bytes(make_model(), extra={"x": float("nan")})
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        to_bytes(make_model(), extra={"x": object()})


def test_save_refuses_a_file_over_the_load_limit_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(ckpt_module, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.npz"
    with pytest.raises(ValueError, match=r"cannot save: .* larger than the"):
        save_checkpoint(path, make_model())
    assert not path.exists()


def test_save_accepts_numpy_scalars_in_metadata():
    model = make_model()
    config = ModelConfig(**{**dataclasses.asdict(model.config), "input_size": np.int64(V)})
    loaded = load_checkpoint(to_bytes(RNNModel(config, model.params), step=np.int64(7)))
    assert loaded.step == 7 and type(loaded.model.config.input_size) is int
    assert loaded.model.config == model.config


def test_save_refuses_optimizer_state_of_another_model():
    trainer = trained("adam", steps=1)  # a GRU with hidden_size 4
    wider = ModelConfig(cell="gru", hidden_size=5, input_size=V)
    with pytest.raises(ValueError, match=r"'opt/m/l0\.W_x' has shape"):
        to_bytes(RNNModel.create(wider, np.random.default_rng(0)), optimizer=trainer.optimizer)
    with pytest.raises(ValueError, match=r"'opt/m/l0\.W_x' names no model parameter"):
        to_bytes(make_model(cell="rnn"), optimizer=trainer.optimizer)


# --------------------------------------------------------------------------------------
# Not a checkpoint at all
# --------------------------------------------------------------------------------------


def test_rejects_empty_input():
    rejects(b"", "the file is empty")
    rejects(io.BytesIO(), "the file is empty")


def test_rejects_random_bytes_and_text():
    rejects(np.random.default_rng(0).bytes(5000), r"not an \.npz/zip file")
    rejects(b"hidden_size,lr\n32,0.01\n", r"not an \.npz/zip file")
    rejects(io.StringIO("a text-mode file"), "binary mode")


@pytest.mark.parametrize("fraction", [0.01, 0.25, 0.5, 0.9, 0.999])
def test_rejects_truncated_checkpoints(fraction):
    data = base_checkpoint()
    rejects(data[: int(len(data) * fraction)], r"not an \.npz/zip file")


def test_rejects_a_truncated_entry_with_an_intact_directory():
    entries = raw_entries(base_checkpoint())
    entries["param/W_hy.npy"] = entries["param/W_hy.npy"][:-5]
    rejects(zip_of(entries), r"'param/W_hy' is truncated or has trailing data")


def test_rejects_foreign_zips_and_npz_files():
    rejects(zip_of({"hello.txt": b"hello"}), r"unexpected entry 'hello.txt'")
    rejects(npz_pack({"x": np.zeros(3)}), r"unexpected entry 'x.npy'")
    rejects(zip_of({"../../etc/passwd.npy": b""}), r"unexpected entry '../../etc/passwd.npy'")
    no_meta = {k: v for k, v in npz_entries(base_checkpoint()).items() if k != "__meta__"}
    rejects(npz_pack(no_meta), r"'__meta__' entry is missing")


def test_rejects_other_compression_methods_and_duplicate_entries():
    entries = raw_entries(base_checkpoint())
    rejects(zip_of(entries, zipfile.ZIP_BZIP2), "unsupported compression method")
    with pytest.warns(UserWarning, match="Duplicate name"):
        doubled = zip_of(entries) + b""
        buf = io.BytesIO(doubled)
        with zipfile.ZipFile(buf, "a") as zf:
            zf.writestr("param/W_hy.npy", entries["param/W_hy.npy"])
    rejects(buf.getvalue(), "'param/W_hy.npy' appears twice")


def test_rejects_files_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(ckpt_module, "MAX_FILE_BYTES", 1000)
    rejects(base_checkpoint(), "larger than the")
    rejects(io.BytesIO(base_checkpoint()), "larger than the")


def test_a_missing_path_raises_the_usual_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "nope.npz")


# --------------------------------------------------------------------------------------
# Hostile files
# --------------------------------------------------------------------------------------


class CreatesFile:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("entry", ["__meta__", "param/W_hy", "opt/step"])
def test_pickled_object_arrays_are_refused_without_running_anything(tmp_path, entry):
    marker = tmp_path / "pwned"
    arrays = npz_entries(base_checkpoint())
    arrays[entry] = np.array([CreatesFile(marker)], dtype=object)
    data = npz_pack(arrays)
    rejects(data, rf"'{entry}' is an object array \(pickled Python objects\)")
    assert not marker.exists()
    # The payload is live: a careless loader would have run it.
    with np.load(io.BytesIO(data), allow_pickle=True) as npz:
        npz[entry]
    assert marker.exists()


def test_zip_bomb_is_refused_before_decompressing():
    deflated, crc = zeros_deflated(1024)  # 1 GiB of zeros in about 1 MB
    bomb = hand_zip("param/W_hy.npy", deflated, 2**30, crc)
    assert len(bomb) < 2**21
    tracemalloc.start()
    try:
        rejects(bomb, r"compression ratio above 1000x \(zip bomb\?\)")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_entries_declaring_more_than_the_uncompressed_limit_are_refused():
    junk = np.random.default_rng(0).bytes(2**19)  # ratio 600: not a bomb by ratio alone
    rejects(hand_zip("param/W_hy.npy", junk, 300 * 2**20, 0), "more than the 256 MiB limit")


def test_a_zip_directory_that_understates_an_entry_is_not_trusted():
    deflated, _ = zeros_deflated(64)  # really 64 MiB, but the directory claims 1000 bytes
    data = hand_zip("param/W_hy.npy", deflated, 1000, zlib.crc32(bytes(1000)))
    tracemalloc.start()
    try:
        rejects(data, r"'param/W_hy' is not a \.npy array")  # only 1000 bytes were inflated
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_an_npy_header_claiming_a_huge_array_allocates_nothing():
    entries = raw_entries(base_checkpoint())
    header = io.BytesIO()
    header_dict = {"descr": "<f4", "fortran_order": False, "shape": (10**12,)}
    np.lib.format.write_array_header_1_0(header, header_dict)
    entries["param/W_hy.npy"] = header.getvalue() + bytes(16)
    rejects(zip_of(entries), r"'param/W_hy' is truncated or has trailing data")


def test_rejects_too_many_entries():
    entries = {f"param/p{i}.npy": b"" for i in range(513)}
    rejects(zip_of(entries), r"too many entries \(513; the limit is 512\)")


def test_deeply_nested_json_is_refused():
    arrays = npz_entries(base_checkpoint())
    arrays["__meta__"] = meta_array(b"[" * 100_000 + b"]" * 100_000)
    rejects(npz_pack(arrays), "'__meta__' is not valid JSON")


# --------------------------------------------------------------------------------------
# Checkpoint-shaped files that do not fit together
# --------------------------------------------------------------------------------------


def set_meta(**changes):
    return edited(change_meta=lambda meta: meta.update(changes))


def set_in(section: str, **changes):
    return edited(change_meta=lambda meta: meta[section].update(changes))


def set_in_both(**changes):
    """The same change to model_config and train_config (which must agree)."""

    def change(meta):
        meta["model_config"].update(changes)
        meta["train_config"].update(changes)

    return edited(change_meta=change)


def drop_from(section: str, key: str):
    return edited(change_meta=lambda meta: meta[section].pop(key))


def set_entry(name: str, value: np.ndarray | None):
    def change(arrays):
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value

    return edited(change)


@pytest.mark.parametrize(
    ("meta", "match"),
    [
        (b"{not json", "'__meta__' is not valid JSON"),
        (b'{"format": NaN}', "'__meta__' is not valid JSON: it contains NaN"),
        (b"\xff\xfe{}", "'__meta__' is not UTF-8 text"),
        (b"[1, 2]", "'__meta__' must be a JSON object; got list"),
        (b'{"format": "something-else", "version": 1}', "not an RNN Explorer checkpoint"),
    ],
)
def test_rejects_metadata_that_is_not_ours(meta, match):
    rejects(set_entry("__meta__", meta_array(meta)), match)


def test_rejects_metadata_of_the_wrong_dtype():
    rejects(set_entry("__meta__", np.zeros(3)), "'__meta__' must be a 1-D uint8 array")


def test_rejects_a_future_version():
    err = rejects(set_meta(version=2, model_config="whatever"), "written by a newer version")
    assert "checkpoint version 2" in str(err)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (lambda: set_meta(version=0), "version must be a positive integer; got 0"),
        (lambda: set_meta(comment="hi"), r"'__meta__' has unknown keys \['comment'\]"),
        (lambda: drop_from("model_config", "hidden_size"), r"missing keys \['hidden_size'\]"),
        (lambda: set_in("model_config", dropout=0.5), r"unknown keys \['dropout'\]"),
        (lambda: set_in("model_config", hidden_size="4"), "model_config.hidden_size must be int"),
        (lambda: set_in("model_config", hidden_size=True), "model_config.hidden_size must be int"),
        (lambda: set_in("model_config", cell="transformer"), "invalid model_config: cell must"),
        (lambda: set_in("model_config", num_layers=3), "invalid model_config: num_layers must"),
        (lambda: set_meta(model_config=[1]), "'model_config' must be a JSON object"),
        (
            lambda: set_in("train_config", lr=-1.0),
            "invalid train_config: lr must be a positive number",
        ),
        (lambda: set_in("train_config", lr=10**400), "train_config.lr: OverflowError"),
        (lambda: set_in("train_config", truncate=2.5), "train_config.truncate must be int or null"),
        (lambda: set_in("train_config", momentum=0.9), r"unknown keys \['momentum'\]"),
        (lambda: set_in("train_config", hidden_size=8), "train_config.hidden_size .8. disagrees"),
        (
            lambda: set_meta(vocab=["a", "b", "c"]),
            r"'vocab' has 3 tokens, but model_config\.input_size is 6",
        ),
        (lambda: set_meta(vocab=[1, 2, 3, 4, 5, 6]), "'vocab' must be a list of strings"),
        (lambda: set_meta(task=7), "'task' must be a string or null"),
        (lambda: set_meta(step=-1), "'step' must be a non-negative integer; got -1"),
        (lambda: set_meta(step=1.5), "'step' must be a non-negative integer; got 1.5"),
        (lambda: set_meta(optimizer="lbfgs"), "'optimizer' must be one of"),
        (lambda: set_meta(dtype="float16"), "'dtype' must be one of"),
        (lambda: set_meta(extra=[1]), "'extra' must be a JSON object"),
    ],
)
def test_rejects_bad_metadata_fields(data, match):
    rejects(data(), match)


def test_a_long_bad_value_is_cut_short_in_the_message():
    err = rejects(set_meta(task=None, step="x" * 10_000), "'step' must be")
    assert len(str(err)) < 200


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (lambda: set_entry("param/l0.W_h", np.zeros((4, 9), np.float32)), "'l0.W_h' has shape"),
        (lambda: set_entry("param/l0.W_h", None), r"missing \['l0.W_h'\], extra \[\]"),
        (lambda: set_entry("param/bogus", np.zeros(2, np.float32)), r"extra \['bogus'\]"),
        (lambda: set_entry("param/b_y", np.array([0, np.nan], np.float32)), "'b_y' contains NaN"),
        (lambda: set_entry("param/b_y", np.array([0, np.inf], np.float32)), "'b_y' contains NaN"),
        (lambda: set_entry("param/b_y", np.zeros(2, np.int64)), "'b_y' has dtype int64"),
        (
            lambda: set_entry("param/b_y", np.zeros(2, np.float64)),
            "dtype float64, expected float32",
        ),
        (lambda: set_entry("param/b_y", np.zeros(2, "U3")), "unsupported dtype <U3"),
        (lambda: set_meta(dtype="float64"), "'l0.W_x' has dtype float32, expected float64"),
        (lambda: set_in_both(hidden_size=5), "'l0.W_x' has shape"),
        (lambda: set_in_both(num_layers=2), r"missing \['l1.W_x'"),
    ],
)
def test_rejects_parameters_that_do_not_fit(data, match):
    rejects(data(), match)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (lambda: set_entry("opt/m/W_hy", np.zeros((2, 2), np.float32)), "'opt/m/W_hy' has shape"),
        (lambda: set_entry("opt/m/bogus", np.zeros(2, np.float32)), "names no model parameter"),
        (lambda: set_entry("opt/q/W_hy", np.zeros((4, 2), np.float32)), "unexpected optimizer"),
        (lambda: set_entry("opt/v/b_y", np.array([0, np.nan], np.float32)), "'opt/v/b_y' contains"),
        (lambda: set_entry("opt/v/b_y", np.zeros(2, np.int32)), "'opt/v/b_y' has dtype int32"),
        (lambda: set_entry("opt/v/b_y", None), r"slot 'v/' lacks parameters \['b_y'\]"),
        (lambda: set_entry("opt/step", None), "missing 'opt/step'"),
        (lambda: set_entry("opt/step", np.array(2.0)), "'opt/step' must be a 0-d non-negative"),
        (lambda: set_entry("opt/step", np.array(-1)), "'opt/step' must be a 0-d non-negative"),
        (lambda: set_meta(optimizer=None), "'opt/...' are present but 'optimizer' is null"),
        (lambda: set_meta(optimizer="sgd"), "unexpected optimizer entry 'opt/m/"),
    ],
)
def test_rejects_optimizer_state_that_does_not_fit(data, match):
    rejects(data(), match)


def test_rejects_an_optimizer_name_without_state():
    data = to_bytes(make_model())
    rejects(edited(change_meta=lambda m: m.update(optimizer="adam"), data=data), "no 'opt/'")


def test_a_half_empty_optimizer_state_is_refused():
    def drop_v(arrays):
        for name in [n for n in arrays if n.startswith("opt/v/")]:
            del arrays[name]

    rejects(edited(drop_v), "some slots filled and others empty")


# --------------------------------------------------------------------------------------
# Fuzzing: a mangled checkpoint loads as a valid model or raises ValueError, nothing else
# --------------------------------------------------------------------------------------


def loads_or_value_error(data: bytes) -> None:
    try:
        loaded = load_checkpoint(data)
    except ValueError as e:
        assert isinstance(e, CheckpointError), repr(e)
        assert str(e)
        return
    model = loaded.model
    assert isinstance(model, RNNModel)
    assert {k: v.shape for k, v in model.params.items()} == param_shapes(model.config)
    assert all(np.isfinite(p).all() for p in model.params.values())
    model.forward(*sample_inputs(model))


edits = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8)


def mutate(data: bytes, changes, cut: float | None) -> bytes:
    buf = bytearray(data)
    for where, value in changes:
        buf[int(where * len(buf))] = value
    if cut is not None:
        del buf[int(cut * len(buf)) :]
    return bytes(buf)


@settings(max_examples=100, deadline=None)
@given(changes=edits, cut=st.none() | st.floats(0, 1))
def test_mutated_files_load_or_raise_value_error(changes, cut):
    loads_or_value_error(mutate(base_checkpoint(), changes, cut))


@functools.cache
def stored_entries() -> dict[str, bytes]:
    return raw_entries(base_checkpoint())


@settings(max_examples=100, deadline=None)
@given(
    entry=st.sampled_from(sorted(stored_entries())),
    changes=edits.filter(bool),
    cut=st.none() | st.floats(0, 1),
)
def test_mutated_entries_with_valid_crcs_load_or_raise_value_error(entry, changes, cut):
    """Re-zipped so the CRCs match: the damage reaches the .npy and JSON parsers."""
    entries = dict(stored_entries())
    entries[entry] = mutate(entries[entry], changes, cut)
    loads_or_value_error(zip_of(entries))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(
    path=st.sampled_from(
        [(k,) for k in ckpt_module.META_KEYS]
        + [("model_config", f.name) for f in dataclasses.fields(ModelConfig)]
        + [("train_config", f.name) for f in dataclasses.fields(TrainConfig)]
    ),
    value=json_values,
)
def test_any_json_in_any_metadata_field_loads_or_raises_value_error(path, value):
    def change(meta):
        *parents, key = path
        target = meta
        for parent in parents:
            target = target[parent]
        target[key] = value

    loads_or_value_error(edited(change_meta=change))
