"""Checkpoints: a model, its optimizer state and metadata in one ``.npz`` file — never pickle.

    save_checkpoint("run.npz", trainer.model, task="sentiment", vocab=vocab,
                    train_config=trainer.config, optimizer=trainer.optimizer,
                    step=trainer.step_count)
    ckpt = load_checkpoint("run.npz")          # or bytes, or an uploaded file object
    ckpt.model.forward(ids, mask)

The file is a zip of ``.npy`` arrays (what ``np.savez_compressed`` writes):

    "__meta__"        uint8 array of UTF-8 JSON (format, version, configs, task, vocab, ...)
    "param/<name>"    one per model parameter, names and shapes as ``param_shapes(config)``
    "opt/<slot>/<p>"  optimizer buffers, e.g. "opt/m/l0.W_hh"; "opt/step" the update count

Loading treats the file as hostile: checkpoints are uploaded by strangers to a hosted demo.
Every way a file can be wrong — not a zip, truncated, a zip bomb, pickled objects, a future
version, names, shapes or values that do not fit — raises :class:`CheckpointError` (a
``ValueError``) with a message that names the entry or field at fault. Nothing is unpickled,
nothing is decompressed beyond the declared sizes, and every size is capped before it is read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import re
import struct
import tokenize
import typing
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from rnn_core.checks import is_int
from rnn_core.model import ModelConfig, RNNModel, param_shapes
from rnn_core.optim import OPTIMIZERS, Optimizer, make_optimizer
from rnn_core.train import TrainConfig

FORMAT = "rnn-explorer-checkpoint"
VERSION = 1  # bump when a change would make old readers misread a file

MAX_FILE_BYTES = 64 * 2**20  # the checkpoint file itself
MAX_UNCOMPRESSED_BYTES = 256 * 2**20  # all entries together, as the zip directory declares
MAX_META_BYTES = 8 * 2**20  # the JSON metadata entry
MAX_ENTRIES = 512  # zip members
MAX_COMPRESSION_RATIO = 1000  # uncompressed / compressed size of one entry (zip-bomb guard)
_RATIO_MIN_BYTES = 2**20  # entries smaller than this cannot be bombs; skip the ratio test
_MAX_NPY_HEADER = 10_000  # characters, numpy's own default limit

META_KEYS = (
    "format",
    "version",
    "model_config",
    "task",
    "vocab",
    "train_config",
    "optimizer",
    "step",
    "dtype",
    "extra",
)
DTYPES = ("float32", "float64")

# Zip member names we accept: "__meta__", "param/<name>", "opt/step", "opt/<slot>/<name>"
# (each + ".npy"), where a name is dotted identifiers such as "l0.W_hh".
_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_ENTRY_RE = re.compile(rf"(?:__meta__|param/{_NAME}|opt/step|opt/[a-z]+/{_NAME})\.npy")
_MAX_NAME_CHARS = 200

# Everything the zip, .npy and JSON readers raise on malformed input. Converted to
# CheckpointError at the few places that read untrusted bytes (see _reading).
_CORRUPT = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    zlib.error,
    KeyError,
    IndexError,
    UnicodeDecodeError,
    struct.error,
    SyntaxError,  # a .npy header is a Python literal; numpy may retry it through tokenize
    tokenize.TokenError,
    OverflowError,
    RuntimeError,  # includes RecursionError (deeply nested JSON) and NotImplementedError
    ValueError,
    TypeError,
)


class CheckpointError(ValueError):
    """A file that is not a valid checkpoint (or a model/state that cannot be saved as one)."""


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """What :func:`load_checkpoint` returns. Everything in it has been validated."""

    model: RNNModel  # config and parameters, in the dtype they were saved in
    task: str | None  # the task name the model was trained on
    vocab: tuple[str, ...] | None  # token of each input id (or each feature for dense inputs)
    train_config: TrainConfig | None  # the run's settings
    optimizer_name: str | None  # one of OPTIMIZERS, when optimizer state was saved
    optimizer_state: dict[str, np.ndarray] | None  # for Optimizer.load_state_dict
    step: int  # training steps taken
    extra: dict  # free-form JSON metadata from the caller
    meta: dict  # the whole parsed metadata entry


# --------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------


def save_checkpoint(
    file,
    model: RNNModel,
    *,
    task: str | None = None,
    vocab=None,
    train_config: TrainConfig | None = None,
    optimizer: Optimizer | None = None,
    step: int = 0,
    extra: dict | None = None,
) -> None:
    """Write ``model`` (and optionally its optimizer state and metadata) to ``file``.

    ``file`` is a path (written exactly there: no ".npz" is appended) or a writable binary
    file object such as ``io.BytesIO``. ``vocab`` is a sequence of str, one per input id.
    ``extra`` must be JSON-serialisable. The file is read back before it is written, so
    anything :func:`load_checkpoint` would refuse (non-finite weights, a vocabulary of the
    wrong length, optimizer state of another model, a file over the size limits, ...)
    raises :class:`CheckpointError` here instead and nothing is written.
    """
    if isinstance(vocab, str):
        raise CheckpointError("cannot save: vocab must be a sequence of tokens, not one string")
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "model_config": dataclasses.asdict(model.config),
        "task": task,
        "vocab": None if vocab is None else list(vocab),
        "train_config": None if train_config is None else train_config.to_dict(),
        "optimizer": None if optimizer is None else optimizer.name,
        "step": step,
        "dtype": str(model.dtype),
        "extra": {} if extra is None else extra,
    }
    try:
        text = json.dumps(meta, allow_nan=False, ensure_ascii=False, default=_numpy_scalar)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"cannot save: metadata is not JSON-serialisable: {e}") from e
    arrays = {"__meta__": np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}
    arrays.update({f"param/{k}": v for k, v in model.params.items()})
    if optimizer is not None:
        arrays.update({f"opt/{k}": v for k, v in optimizer.state_dict().items()})
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    try:
        load_checkpoint(buf.getbuffer())
    except CheckpointError as e:
        raise CheckpointError(f"cannot save: the checkpoint would not load: {e}") from e
    if isinstance(file, str | os.PathLike):
        with open(file, "wb") as f:  # np.savez would append ".npz" to a path without it
            f.write(buf.getbuffer())
    else:
        file.write(buf.getbuffer())


def _numpy_scalar(value):
    """json.dumps fallback: numpy scalars (np.int64 sizes, np.float32 rates) as Python ones."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def load_checkpoint(file) -> Checkpoint:
    """Read and validate a checkpoint from a path, ``bytes`` or a readable binary file object.

    A file object is read from its current position (seek(0) a buffer you just wrote).
    Raises :class:`CheckpointError` (a ``ValueError``) for any file that is not a valid
    checkpoint; a path that cannot be opened raises the usual ``OSError``.
    """
    entries = _read_entries(_read_input(file))
    if "__meta__" not in entries:
        raise CheckpointError("not a checkpoint: the '__meta__' entry is missing")
    meta = _parse_meta(_decode_json(entries.pop("__meta__")))

    params = {k.removeprefix("param/"): v for k, v in entries.items() if k.startswith("param/")}
    params = _check_params(meta.model_config, meta.dtype, params)
    model = RNNModel(meta.model_config, params)

    opt = {k.removeprefix("opt/"): v for k, v in entries.items() if k.startswith("opt/")}
    if opt and meta.optimizer is None:
        raise CheckpointError("optimizer entries 'opt/...' are present but 'optimizer' is null")
    if meta.optimizer is not None and not opt:
        raise CheckpointError(f"'optimizer' is {meta.optimizer!r} but there are no 'opt/' entries")
    state = _check_optimizer_state(meta.optimizer, opt, params) if opt else None

    return Checkpoint(
        model=model,
        task=meta.task,
        vocab=meta.vocab,
        train_config=meta.train_config,
        optimizer_name=meta.optimizer,
        optimizer_state=state,
        step=meta.step,
        extra=meta.extra,
        meta=meta.raw,
    )


@contextlib.contextmanager
def _reading(what: str):
    """Turn whatever a reader raises on malformed bytes into a CheckpointError."""
    try:
        yield
    except CheckpointError:
        raise
    except _CORRUPT as e:
        raise CheckpointError(f"not a valid checkpoint: {what}: {type(e).__name__}: {e}") from e


def _read_input(file) -> bytes:
    """The whole file as bytes, at most MAX_FILE_BYTES of them."""
    limit = MAX_FILE_BYTES
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
    elif isinstance(file, str | os.PathLike):
        # open() comes first: an OSError for a missing path is the caller's to see
        with open(file, "rb") as f, _reading("reading the file"):
            data = f.read(limit + 1)
    elif callable(getattr(file, "read", None)):
        with _reading("reading the file"):
            data = file.read(limit + 1)
        if not isinstance(data, bytes):
            raise CheckpointError(
                f"checkpoint file objects must be opened in binary mode; read() gave "
                f"{type(data).__name__}"
            )
    else:
        raise CheckpointError(
            f"cannot read a checkpoint from {type(file).__name__}: "
            "pass a path, bytes or a binary file object"
        )
    if len(data) > limit:
        raise CheckpointError(f"checkpoint file is larger than the {limit // 2**20} MiB limit")
    if not data:
        raise CheckpointError("not a checkpoint: the file is empty")
    return data


def _read_entries(data: bytes) -> dict[str, np.ndarray]:
    """Inspect the zip directory, then read every entry as an array, with every size capped."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise CheckpointError("not a checkpoint: not an .npz/zip file") from e
    except _CORRUPT as e:
        raise CheckpointError(
            f"not a checkpoint: not an .npz/zip file ({type(e).__name__}: {e})"
        ) from e
    with archive:
        with _reading("zip directory"):
            infos = archive.infolist()
        _check_directory(infos)
        entries = {}
        for info in infos:
            name = info.filename.removesuffix(".npy")
            with _reading(f"entry {name!r}"), archive.open(info) as f:
                raw = f.read(info.file_size + 1)  # never trust the directory alone
            if len(raw) != info.file_size:
                raise CheckpointError(
                    f"not a valid checkpoint: entry {name!r} holds {len(raw)} bytes where "
                    f"the zip directory says {info.file_size}"
                )
            entries[name] = _parse_npy(name, raw)
            del raw
    return entries


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    """Reject, before decompressing anything, archives that are foreign, huge or bombs."""
    if len(infos) > MAX_ENTRIES:
        raise CheckpointError(
            f"not a checkpoint: too many entries ({len(infos)}; the limit is {MAX_ENTRIES})"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if len(name) > _MAX_NAME_CHARS or not _ENTRY_RE.fullmatch(name):
            raise CheckpointError(
                f"not a checkpoint: unexpected entry {name[:_MAX_NAME_CHARS]!r} (expected "
                "'__meta__.npy', 'param/<name>.npy' and 'opt/<name>.npy' entries only)"
            )
        if name in seen:
            raise CheckpointError(f"not a valid checkpoint: entry {name!r} appears twice")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise CheckpointError(f"not a valid checkpoint: entry {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CheckpointError(
                f"not a valid checkpoint: entry {name!r} uses unsupported compression "
                f"method {info.compress_type} (only stored and deflated)"
            )
        if (
            info.file_size > _RATIO_MIN_BYTES
            and info.file_size > MAX_COMPRESSION_RATIO * info.compress_size
        ):
            raise CheckpointError(
                f"not a valid checkpoint: entry {name!r} would expand {info.compress_size} "
                f"compressed bytes to {info.file_size}, a compression ratio above "
                f"{MAX_COMPRESSION_RATIO}x (zip bomb?)"
            )
        total += info.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise CheckpointError(
                f"not a valid checkpoint: entries uncompress to more than the "
                f"{MAX_UNCOMPRESSED_BYTES // 2**20} MiB limit (at entry {name!r})"
            )


def _parse_npy(name: str, raw: bytes) -> np.ndarray:
    """One ``.npy`` entry -> array. The header is checked before any data is allocated."""
    fmt = np.lib.format
    buf = io.BytesIO(raw)
    with _reading(f"entry {name!r} is not a .npy array"):
        version = fmt.read_magic(buf)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(buf, max_header_size=_MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(buf, max_header_size=_MAX_NPY_HEADER)
        else:
            raise CheckpointError(f"entry {name!r} has unsupported .npy version {version}")
    if dtype.hasobject:
        raise CheckpointError(
            f"entry {name!r} is an object array (pickled Python objects); checkpoints never "
            "load those"
        )
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise CheckpointError(f"entry {name!r} has unsupported dtype {dtype}")
    if any(n < 0 for n in shape):
        raise CheckpointError(f"entry {name!r} has invalid shape {shape}")
    if math.prod(shape) * dtype.itemsize != len(raw) - buf.tell():
        raise CheckpointError(
            f"not a valid checkpoint: entry {name!r} is truncated or has trailing data "
            f"(shape {shape} {dtype} needs {math.prod(shape) * dtype.itemsize} bytes, "
            f"it holds {len(raw) - buf.tell()})"
        )
    with _reading(f"entry {name!r}"):
        arr = np.load(io.BytesIO(raw), allow_pickle=False, max_header_size=_MAX_NPY_HEADER)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))  # same values, this machine's byte order
    return arr if arr.flags.c_contiguous else arr.copy(order="C")  # (keeps 0-d arrays 0-d)


# --------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Meta:
    raw: dict
    model_config: ModelConfig
    task: str | None
    vocab: tuple[str, ...] | None
    train_config: TrainConfig | None
    optimizer: str | None
    step: int
    dtype: str
    extra: dict


def _decode_json(arr: np.ndarray):
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise CheckpointError(
            f"'__meta__' must be a 1-D uint8 array of UTF-8 JSON; got {arr.dtype} "
            f"with shape {arr.shape}"
        )
    if arr.size > MAX_META_BYTES:
        raise CheckpointError(f"'__meta__' is larger than the {MAX_META_BYTES // 2**20} MiB limit")
    try:
        text = arr.tobytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise CheckpointError(f"'__meta__' is not UTF-8 text: {e}") from e
    with _reading("'__meta__' is not valid JSON"):
        return json.loads(text, parse_constant=_reject_constant)


def _reject_constant(name: str):
    raise CheckpointError(f"'__meta__' is not valid JSON: it contains {name}")


def _parse_meta(meta) -> _Meta:
    """Validate the metadata dict field by field; the order matters for the messages."""
    if not isinstance(meta, dict):
        raise CheckpointError(f"'__meta__' must be a JSON object; got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"not an RNN Explorer checkpoint: '__meta__' format is {_short(meta.get('format'))}, "
            f"expected {FORMAT!r}"
        )
    version = meta.get("version")
    if not is_int(version) or version < 1:
        raise CheckpointError(
            f"'__meta__' version must be a positive integer; got {_short(version)}"
        )
    if version > VERSION:
        raise CheckpointError(
            f"this checkpoint was written by a newer version of RNN Explorer (checkpoint "
            f"version {version}; this one reads up to version {VERSION})"
        )
    _check_keys("'__meta__'", meta, META_KEYS)

    config = _build_config(ModelConfig, meta["model_config"], "model_config")
    train = meta["train_config"]
    if train is not None:
        train = _build_config(TrainConfig, train, "train_config")
        _check_agreement(config, train)

    task = meta["task"]
    if task is not None and not isinstance(task, str):
        raise CheckpointError(f"'task' must be a string or null; got {type(task).__name__}")
    vocab = meta["vocab"]
    if vocab is not None:
        if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab):
            raise CheckpointError("'vocab' must be a list of strings or null")
        if len(vocab) != config.input_size:
            raise CheckpointError(
                f"'vocab' has {len(vocab)} tokens, but model_config.input_size is "
                f"{config.input_size}"
            )
        vocab = tuple(vocab)
    optimizer = meta["optimizer"]
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise CheckpointError(
            f"'optimizer' must be one of {OPTIMIZERS} or null; got {_short(optimizer)}"
        )
    step = meta["step"]
    if not is_int(step) or step < 0:
        raise CheckpointError(f"'step' must be a non-negative integer; got {_short(step)}")
    if meta["dtype"] not in DTYPES:
        raise CheckpointError(f"'dtype' must be one of {DTYPES}; got {_short(meta['dtype'])}")
    if not isinstance(meta["extra"], dict):
        raise CheckpointError(f"'extra' must be a JSON object; got {type(meta['extra']).__name__}")
    return _Meta(meta, config, task, vocab, train, optimizer, step, meta["dtype"], meta["extra"])


def _short(value, limit: int = 80) -> str:
    """repr of an untrusted value, cut to ``limit`` characters for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_keys(what: str, d: dict, expected) -> None:
    missing = [k for k in expected if k not in d]
    unknown = sorted(str(k) for k in d if k not in expected)
    if missing or unknown:
        parts = ([f"unknown keys {_short(unknown, 200)}"] if unknown else []) + (
            [f"missing keys {missing}"] if missing else []
        )
        raise CheckpointError(f"{what} has {' and '.join(parts)}")


def _build_config(cls, data, what: str):
    """A ModelConfig / TrainConfig from JSON, with exact keys and JSON types checked first:
    the dataclasses check values but not types (``hidden_size="32"`` would slip through)."""
    if not isinstance(data, dict):
        raise CheckpointError(f"{what!r} must be a JSON object; got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    _check_keys(repr(what), data, [f.name for f in dataclasses.fields(cls)])
    values = {key: _json_value(f"{what}.{key}", value, hints[key]) for key, value in data.items()}
    try:
        return cls(**values)
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"invalid {what}: {e}") from e


def _json_value(what: str, value, hint):
    """``value`` if its JSON type fits the annotation ``hint`` (ints are accepted as floats)."""
    allowed = typing.get_args(hint) or (hint,)
    if type(value) in allowed:  # exact JSON types: a bool is not an int here
        return value
    if type(value) is int and float in allowed:
        with _reading(what):
            return float(value)
    names = " or ".join("null" if a is type(None) else a.__name__ for a in allowed)
    raise CheckpointError(f"{what} must be {names}; got {_short(value)}")


def _check_agreement(config: ModelConfig, train: TrainConfig) -> None:
    """The train config must describe the same network as the model config."""
    shared = ["cell", "activation", "hidden_size", "num_layers", "embed_size"]
    if config.input_kind != "dense":
        shared.append("input_kind")
    for key in shared:
        if getattr(config, key) != getattr(train, key):
            raise CheckpointError(
                f"train_config.{key} ({getattr(train, key)!r}) disagrees with "
                f"model_config.{key} ({getattr(config, key)!r})"
            )


# --------------------------------------------------------------------------------------
# Arrays
# --------------------------------------------------------------------------------------


def _check_params(config: ModelConfig, dtype: str, params: dict) -> dict[str, np.ndarray]:
    """Exactly the parameters of ``config``, with their shapes, all ``dtype``, all finite.
    Returns them in the order of ``param_shapes(config)``."""
    expected = param_shapes(config)
    missing = [k for k in expected if k not in params]
    extra = sorted(set(params) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"parameters do not fit model_config: missing {missing}, extra {extra}"
        )
    for name, shape in expected.items():
        p = params[name]
        if p.shape != shape:
            raise CheckpointError(f"parameter {name!r} has shape {p.shape}, expected {shape}")
        if p.dtype != np.dtype(dtype):
            raise CheckpointError(
                f"parameter {name!r} has dtype {p.dtype}, expected {dtype} "
                "(all parameters share the dtype the metadata names; float32 or float64)"
            )
        if not np.isfinite(p).all():
            raise CheckpointError(f"parameter {name!r} contains NaN or infinite values")
    return {name: params[name] for name in expected}


def _check_optimizer_state(name: str | None, state: dict, params: dict) -> dict[str, np.ndarray]:
    """Optimizer buffers "<slot>/<param>" fit the parameters; "step" is a 0-d integer.

    Each slot of the named optimizer holds either no buffers (no update taken yet) or one
    per parameter. Deeper checks are Optimizer.load_state_dict's.
    """
    if "step" not in state:
        raise CheckpointError("optimizer state is missing 'opt/step'")
    step = state["step"]
    if step.shape != () or step.dtype.kind not in "iu" or int(step) < 0:
        raise CheckpointError(
            f"'opt/step' must be a 0-d non-negative integer; got {step.dtype} {step.shape}"
        )
    slots = make_optimizer(name, 0.0).slots if name in OPTIMIZERS else ()
    found: dict[str, set[str]] = {slot: set() for slot in slots}
    for key, arr in state.items():
        if key == "step":
            continue
        slot, _, pname = key.partition("/")
        if slot not in found:
            raise CheckpointError(
                f"unexpected optimizer entry 'opt/{key}': {name} keeps "
                + (", ".join(f"'{s}/<param>'" for s in slots) or "no buffers")
            )
        if pname not in params:
            raise CheckpointError(f"optimizer entry 'opt/{key}' names no model parameter")
        if arr.shape != params[pname].shape:
            raise CheckpointError(
                f"optimizer entry 'opt/{key}' has shape {arr.shape}, expected {params[pname].shape}"
            )
        if arr.dtype not in (np.float32, np.float64):
            raise CheckpointError(
                f"optimizer entry 'opt/{key}' has dtype {arr.dtype}, expected float32 or float64"
            )
        if not np.isfinite(arr).all():
            raise CheckpointError(f"optimizer entry 'opt/{key}' contains NaN or infinite values")
        found[slot].add(pname)
    for slot, names in found.items():
        if names and names != set(params):
            raise CheckpointError(
                f"optimizer slot '{slot}/' lacks parameters {sorted(set(params) - names)}"
            )
    if len({frozenset(n) for n in found.values()}) > 1:
        raise CheckpointError(f"{name} optimizer state has some slots filled and others empty")
    out = {k: v for k, v in state.items() if k != "step"}
    out["step"] = np.array(int(step), dtype=np.int64)
    return out
