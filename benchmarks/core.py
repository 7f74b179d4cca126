"""Speed of the numpy core: one training step (forward + backward + Adam update) per batch.

    python -m benchmarks.core               # full run (a few minutes on 2 cores)
    python -m benchmarks.core --quick       # smoke test
    python -m benchmarks.core --markdown    # tables as markdown, for docs/DEVELOPING.md
    python -m benchmarks.core --save benchmarks/RESULTS.md
    python -m benchmarks.core --malloc-tuned  # glibc malloc thresholds raised first
    python -m benchmarks.core --only gru,lstm  # a subset of the cases (see below)

Each row times ``RNNModel.loss_and_grads`` (one-hot inputs of vocabulary V, a linear readout,
softmax cross-entropy over V classes) followed by ``Adam.update``, for many-to-one (the readout
reads the last state) and many-to-many (the readout reads every state). No gradient clipping.

Where PyTorch is importable, the same step is timed in the same run, interleaved sample by
sample, for ``nn.RNN``/``nn.GRU``/``nn.LSTM`` (batch_first) + ``nn.Linear`` +
``F.cross_entropy`` + ``torch.optim.Adam`` with its defaults, fed the same one-hot float
inputs and starting from a copy of the same weights (the losses are checked to agree).
The ratio torch_ms / numpy_ms is > 1 when numpy is faster. PyTorch is only a yardstick here:
rnn_core never imports it.

Times are ms per step: the median over many samples (each sample runs the step enough times
to last a few ms) and the interquartile range. BLAS runs on one thread by default, as the
server does; ``--threads N`` changes it for numpy (threadpoolctl) and torch alike. Each case
runs in a fresh process (see :func:`in_fresh_process`) and counts its minor page faults:
glibc returns freed memory to the kernel between steps unless its thresholds are raised,
which ``--malloc-tuned`` does (as ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` would).

``--only`` keeps the cases matching comma-separated keys, for quick iterations: cell names
(``rnn``, ``gru``, ``lstm``), dtypes (``float32``, ``float64``), outputs (``many-to-one``,
``many-to-many``) and shapes ``BxTxH`` (``32x20x64``). Keys of one kind are alternatives, kinds
combine: ``--only rnn,float32,32x20x64`` is the float32 vanilla RNN at that shape, both outputs.
It skips the denormal section.

``--save`` writes the markdown report over the generated part of the file and keeps whatever
follows the line ``(the benchmark took … s)`` (hand-written notes) as it was.

The last section shows why cells.py flushes float32 denormals in the backward pass: a long
many-to-one sequence whose gradient shrinks through time into the denormal range, timed with
the flush on (the default) and off.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import math
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from rnn_core import cells
from rnn_core.model import ModelConfig, RNNModel
from rnn_core.optim import make_optimizer

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # optional: without it numpy's BLAS keeps its own thread count
    threadpool_info = threadpool_limits = None
try:
    import resource  # page-fault counts (Unix only)
except ImportError:
    resource = None

LR = 1e-3
SEED = 1234
DEFAULT_REPEATS = 81
QUICK_REPEATS = 5
MIN_SAMPLE_S = 0.004  # each sample repeats the step until it lasts about this long
QUICK_MIN_SAMPLE_S = 0.001

# (B, T, H, V) for the vanilla tanh RNN; the gated cells run at GATED_SHAPE.
SHAPES = ((1, 6, 64, 20), (32, 20, 64, 20), (32, 50, 128, 65), (64, 100, 256, 65))
GATED_SHAPE = (32, 20, 64, 20)
# float32 targets for torch_ms / numpy_ms by (cell, shape), both outputs (issue 16).
TARGETS = {
    ("rnn", SHAPES[0]): 3.0,
    ("rnn", SHAPES[1]): 4.0,
    ("rnn", SHAPES[2]): 1.5,
    ("rnn", SHAPES[3]): 1.3,
    ("gru", GATED_SHAPE): 3.0,
    ("lstm", GATED_SHAPE): 2.5,
}

# The denormal demonstration: many-to-one, one loss at the last of T steps, so the gradient
# only shrinks on its way back. A recurrent spectral radius of DENORMAL_RADIUS makes it reach
# float32's denormal range (< 1.18e-38) some way before step 0 and stay there for a few dozen
# steps before it underflows to exact zero (which is fast again).
DENORMAL_SHAPE = (32, 200, 64, 20)
DENORMAL_RADIUS = 0.6
F32_TINY = float(np.finfo(np.float32).tiny)
ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


@dataclass(frozen=True)
class Case:
    cell: str
    output: str
    B: int
    T: int
    H: int
    V: int
    dtype: str  # "float32" or "float64"

    @property
    def target(self) -> float | None:
        if self.dtype != "float32":
            return None
        return TARGETS.get((self.cell, (self.B, self.T, self.H, self.V)))

    def labels(self) -> dict[str, str]:
        """What ``--only`` matches, by kind."""
        shape = f"{self.B}x{self.T}x{self.H}"
        return {"cell": self.cell, "dtype": self.dtype, "output": self.output, "shape": shape}

    def config(self) -> ModelConfig:
        return ModelConfig(
            cell=self.cell,
            hidden_size=self.H,
            input_kind="onehot",
            input_size=self.V,
            output_size=self.V,
            output=self.output,
            loss="xent",
        )


@dataclass
class Stats:
    median: float  # ms
    q1: float
    q3: float

    @classmethod
    def of(cls, seconds: list[float]) -> Stats:
        ms = [1e3 * s for s in seconds]
        if len(ms) < 2:
            return cls(ms[0], ms[0], ms[0])
        q1, q2, q3 = statistics.quantiles(ms, n=4, method="inclusive")
        return cls(q2, q1, q3)

    def __str__(self) -> str:
        return f"{_fmt_ms(self.median)} ±{_fmt_ms((self.q3 - self.q1) / 2)}"


@dataclass
class Row:
    case: Case
    numpy: Stats
    torch: Stats | None = None
    loss_gap: float | None = None  # relative difference of the two losses at the same weights
    faults: dict[str, float] = field(default_factory=dict)  # minor page faults per step

    @property
    def ratio(self) -> float | None:
        return None if self.torch is None else self.torch.median / self.numpy.median

    @property
    def verdict(self) -> str:
        target, ratio = self.case.target, self.ratio
        if target is None:
            return ""
        if ratio is None:
            return "n/a"
        return "PASS" if ratio >= target else "MISS"


@dataclass
class DenormalResult:
    shape: tuple[int, int, int, int]
    radius: float
    on: Stats
    off: Stats
    denormals_on: int
    denormals_off: int
    steps_on: int  # timesteps whose dh_total holds at least one denormal
    steps_off: int
    notes: list[str] = field(default_factory=list)

    @property
    def slowdown(self) -> float:
        return self.off.median / self.on.median


# ----------------------------------------------------------------------------- steps


def _batch(case: Case, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    ids = rng.integers(0, case.V, (case.B, case.T))
    shape = (case.B,) if case.output == "many_to_one" else (case.B, case.T)
    return ids, rng.integers(0, case.V, shape)


def numpy_step(case: Case) -> tuple[Callable[[], None], RNNModel, np.ndarray, np.ndarray]:
    """A closure running one training step of a fresh rnn_core model on a fixed batch."""
    rng = np.random.default_rng(SEED)
    model = RNNModel.create(case.config(), rng, dtype=np.dtype(case.dtype))
    ids, targets = _batch(case, rng)
    opt = make_optimizer("adam", LR)

    def step() -> None:
        _, grads, _ = model.loss_and_grads(ids, targets)
        opt.update(model.params, grads)

    return step, model, ids, targets


def torch_step(torch, model: RNNModel, ids: np.ndarray, targets: np.ndarray):
    """The same step in PyTorch, from a copy of ``model``'s weights.

    Returns the closure and the relative gap between the two models' initial losses.
    """
    nn, F = torch.nn, torch.nn.functional
    cfg, p = model.config, model.params
    dtype = {"float32": torch.float32, "float64": torch.float64}[model.dtype.name]
    kind = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cfg.cell]
    extra = {"nonlinearity": cfg.activation} if cfg.cell == "rnn" else {}
    rnn = kind(cfg.input_size, cfg.hidden_size, batch_first=True, dtype=dtype, **extra)
    readout = nn.Linear(cfg.hidden_size, cfg.output_size, dtype=dtype)
    if cfg.cell == "rnn":
        w_x, w_h, b_x, b_h = p["l0.W_xh"], p["l0.W_hh"], p["l0.b_h"], None
    elif cfg.cell == "gru":
        w_x, w_h, b_x, b_h = p["l0.W_x"], p["l0.W_h"], p["l0.b_x"], p["l0.b_h"]
    else:
        w_x, w_h, b_x, b_h = p["l0.W_x"], p["l0.W_h"], p["l0.b"], None

    def tensor(a: np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(a))

    with torch.no_grad():  # torch stores weights as (out, in): the transposes of ours
        rnn.weight_ih_l0.copy_(tensor(w_x.T))
        rnn.weight_hh_l0.copy_(tensor(w_h.T))
        rnn.bias_ih_l0.copy_(tensor(b_x))
        if b_h is None:
            rnn.bias_hh_l0.zero_()
        else:
            rnn.bias_hh_l0.copy_(tensor(b_h))
        readout.weight.copy_(tensor(p["W_hy"].T))
        readout.bias.copy_(tensor(p["b_y"]))

    V, many_to_one = cfg.input_size, cfg.output == "many_to_one"
    ids_t = torch.from_numpy(ids)
    targets_t = torch.from_numpy(targets.reshape(-1))
    params = [*rnn.parameters(), *readout.parameters()]
    opt = torch.optim.Adam(params, lr=LR)

    def loss():
        x = F.one_hot(ids_t, V).to(dtype)  # one-hot floats, built per step like rnn_core does
        out, _ = rnn(x)
        logits = readout(out[:, -1]) if many_to_one else readout(out).reshape(-1, V)
        return F.cross_entropy(logits, targets_t)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    with torch.no_grad():
        torch_loss = float(loss())
    numpy_loss = model.loss(model.forward(ids), targets)[0]
    gap = abs(torch_loss - numpy_loss) / max(abs(numpy_loss), 1e-12)
    return step, gap


# ----------------------------------------------------------------------------- timing


def _time_once(fn: Callable[[], None], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource is not None else 0


def measure(
    fns: dict[str, Callable[[], None]],
    repeats: int,
    min_sample_s: float,
    faults: dict[str, float] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of every function: ``repeats`` samples each, interleaved.

    Each sample calls its function enough times to last ``min_sample_s``; the order of the
    functions alternates from one round to the next, so slow phases of a noisy machine hit
    all of them alike. ``faults``, if given, receives the minor page faults per call.
    """
    inner = {}
    for name, fn in fns.items():
        fn()  # warm-up: first-call allocations, optimizer state, torch's lazy set-up
        fn()
        per_call = statistics.median(_time_once(fn, 1) for _ in range(3))
        inner[name] = max(1, math.ceil(min_sample_s / max(per_call, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    counted = dict.fromkeys(fns, 0)
    names = list(fns)
    for r in range(repeats):
        for name in names if r % 2 == 0 else reversed(names):
            before = _minor_faults()
            samples[name].append(_time_once(fns[name], inner[name]))
            counted[name] += _minor_faults() - before
    if faults is not None and resource is not None:
        faults.update({name: counted[name] / (repeats * inner[name]) for name in fns})
    return samples


def cases() -> list[Case]:
    out = [
        Case("rnn", output, *shape, dtype)
        for dtype in ("float32", "float64")
        for output in ("many_to_one", "many_to_many")
        for shape in SHAPES
    ]
    out += [
        Case(cell, output, *GATED_SHAPE, "float32")
        for cell in ("gru", "lstm")
        for output in ("many_to_one", "many_to_many")
    ]
    return out


def select(todo: list[Case], only: str) -> list[Case]:
    """The cases matching ``only`` (see the module docstring); ValueError for unknown keys."""
    wanted: dict[str, set[str]] = {}
    known = {kind: {c.labels()[kind] for c in todo} for kind in todo[0].labels()}
    for key in filter(None, (k.strip().replace("-", "_") for k in only.split(","))):
        kind = next((k for k, values in known.items() if key in values), None)
        if kind is None:
            raise ValueError(f"--only: no case has {key!r}")
        wanted.setdefault(kind, set()).add(key)
    return [c for c in todo if all(c.labels()[k] in v for k, v in wanted.items())]


def run_case(case: Case, torch, repeats: int, min_sample_s: float) -> Row:
    step, model, ids, targets = numpy_step(case)
    fns = {"numpy": step}
    gap = None
    if torch is not None:
        fns["torch"], gap = torch_step(torch, model, ids, targets)
    faults: dict[str, float] = {}
    samples = measure(fns, repeats, min_sample_s, faults)
    torch_stats = Stats.of(samples["torch"]) if "torch" in samples else None
    return Row(case, Stats.of(samples["numpy"]), torch_stats, gap, faults)


# ----------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Options:
    repeats: int
    min_sample_s: float
    threads: int
    use_torch: bool
    malloc_tuned: bool


def _setup(opts: Options):
    """Per worker process: malloc thresholds, torch (or None), thread counts."""
    if opts.malloc_tuned:
        tune_malloc()
    torch = _import_torch(opts.use_torch)
    if torch is not None:
        torch.set_num_threads(opts.threads)
    if threadpool_limits is not None:
        threadpool_limits(limits=opts.threads)  # stays in force for the rest of the process
    return torch


def _case_job(case: Case, opts: Options) -> Row:
    return run_case(case, _setup(opts), opts.repeats, opts.min_sample_s)


def _denormal_job(opts: Options) -> DenormalResult | None:
    _setup(opts)
    return denormal_demo(opts.repeats, opts.min_sample_s)


def _child(conn, job, args) -> None:
    try:
        conn.send((True, job(*args)))
    except BaseException:
        conn.send((False, traceback.format_exc()))
    finally:
        conn.close()


def in_fresh_process(job, *args):
    """``job(*args)`` in a new process, so every case starts from the same allocator state.

    glibc's malloc adapts its thresholds to the largest block freed so far, so in one long
    process the cases would time differently depending on which ran before them. Forked
    (spawned where fork is missing) workers run one at a time, never in parallel.
    """
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, job, args))
    proc.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:
        ok, value = False, "the worker process died"
    proc.join()
    if not ok:
        raise RuntimeError(f"benchmark worker failed (exit code {proc.exitcode}):\n{value}")
    return value


# ----------------------------------------------------------------------------- denormals


def count_denormals(a: np.ndarray) -> tuple[int, int]:
    """(entries of ``a`` that are float32 denormals, leading-axis slices holding any)."""
    tiny = (np.abs(a) < F32_TINY) & (a != 0)
    return int(np.count_nonzero(tiny)), int(np.count_nonzero(tiny.reshape(len(a), -1).any(1)))


@contextlib.contextmanager
def denormal_flush(enabled: bool) -> Iterator[None]:
    """Temporarily switch cells.py's periodic float32 denormal flush off (or leave it on)."""
    saved = cells._FLUSH_EVERY
    try:
        if not enabled:
            cells._FLUSH_EVERY = 1 << 62  # only step 0 is ever a multiple: flushes nothing useful
        yield
    finally:
        cells._FLUSH_EVERY = saved


def denormal_demo(repeats: int, min_sample_s: float) -> DenormalResult | None:
    """Forward + backward (fixed weights, no update) of a long many-to-one float32 RNN."""
    if not hasattr(cells, "_FLUSH_EVERY"):
        return None
    B, T, H, V = DENORMAL_SHAPE
    case = Case("rnn", "many_to_one", B, T, H, V, "float32")
    rng = np.random.default_rng(SEED)
    model = RNNModel.create(case.config(), rng, spectral_radius=DENORMAL_RADIUS, dtype=np.float32)
    ids, targets = _batch(case, rng)

    def counts(enabled: bool) -> tuple[int, int]:
        with denormal_flush(enabled), np.errstate(under="ignore"):
            fw = model.forward(ids)
            _, dout, _, _ = model.loss(fw, targets)
            model.backward(fw, dout)
            return count_denormals(fw.caches[0].dh_total)

    def on() -> None:
        with denormal_flush(True):
            model.loss_and_grads(ids, targets)

    def off() -> None:
        with denormal_flush(False):
            model.loss_and_grads(ids, targets)

    (n_on, s_on), (n_off, s_off) = counts(True), counts(False)
    samples = measure({"on": on, "off": off}, repeats, min_sample_s)
    result = DenormalResult(
        DENORMAL_SHAPE,
        DENORMAL_RADIUS,
        Stats.of(samples["on"]),
        Stats.of(samples["off"]),
        n_on,
        n_off,
        s_on,
        s_off,
    )
    if n_off == 0:
        result.notes.append(
            "WARNING: no denormals reached dh_total with the flush off; the demo shape no "
            "longer exercises the denormal range"
        )
    result.notes.append(denormal_cost(repeats, min_sample_s))
    return result


def denormal_cost(repeats: int, min_sample_s: float) -> str:
    """How much this CPU slows the backward step's two operations on denormal operands."""
    B, _, H, _ = DENORMAL_SHAPE
    rng = np.random.default_rng(SEED)
    W = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(np.float32)
    slope = rng.uniform(0.5, 1.0, (B, H)).astype(np.float32)
    normal = rng.standard_normal((B, H)).astype(np.float32)
    denormal = normal * np.float32(1e-40)  # every entry is a float32 denormal
    out = np.empty_like(normal)

    def ops(g: np.ndarray) -> Callable[[], None]:
        def run() -> None:
            np.multiply(g, slope, out=out)
            np.matmul(out, W)

        return run

    with np.errstate(under="ignore"):
        samples = measure({"normal": ops(normal), "denormal": ops(denormal)}, repeats, min_sample_s)
    a, b = (statistics.median(samples[k]) * 1e6 for k in ("normal", "denormal"))
    return (
        f"this CPU on one backward step's ops (dh ⊙ slope, then @ W_hhᵀ; {B}×{H}): "
        f"{a:.2f} µs with normal values, {b:.2f} µs with denormals ({b / a:.2f}×)"
    )


# ----------------------------------------------------------------------------- malloc


def tune_malloc() -> str:
    """Tune glibc's malloc as the server does (``ui.services.runtime.tune_malloc``): keep
    freed memory for reuse instead of returning it to the kernel, in at most a few arenas.

    By default glibc serves arrays above 128 KiB (or above its dynamic threshold) with
    mmap, and trims the heap top once 2× that threshold is free: every training step then
    maps fresh pages and pays a page fault for each one it touches. Raising both thresholds
    (what ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` do from the environment)
    lets the next step reuse the previous step's memory. Affects numpy and torch alike.
    ``RNNX_MALLOC_TRIM_MIB`` / ``RNNX_MALLOC_ARENAS`` change the values, as for the server.
    """
    from ui.services import runtime

    if not runtime.tune_malloc():
        return "malloc: not glibc or mallopt refused, --malloc-tuned ignored"
    return (
        f"malloc: tuned as the server (--malloc-tuned): mmap threshold "
        f"{runtime.MMAP_THRESHOLD >> 20} MiB, trim threshold {runtime.TRIM_THRESHOLD >> 20} MiB, "
        f"at most {runtime.ARENA_MAX} arenas"
    )


# ----------------------------------------------------------------------------- report


def _fmt_ms(ms: float) -> str:
    return f"{ms:.3f}" if ms < 10 else f"{ms:.2f}" if ms < 100 else f"{ms:.1f}"


def environment(threads: int, torch, malloc: str) -> list[str]:
    lines = [
        f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"python {platform.python_version()}, numpy {np.__version__}, "
        + (f"torch {torch.__version__}" if torch is not None else "torch not installed"),
        f"cpu: {_cpu_name()}, {os.cpu_count()} logical cores",
    ]
    if threadpool_info is None:
        lines.append("BLAS: threadpoolctl not installed, cannot report or limit BLAS threads")
    else:
        for lib in threadpool_info():
            if lib.get("user_api") != "blas":
                continue
            lines.append(
                f"BLAS: {lib.get('internal_api')} {lib.get('version')}, kernel "
                f"{lib.get('architecture')}, {lib.get('threading_layer')} "
                f"({os.path.basename(lib.get('filepath', ''))})"
            )
    env = ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in ENV_VARS)
    lines.append(f"environment: {env}")
    lines.append(malloc)
    default = " (the default, as the server runs)" if threads == 1 else ""
    lines.append(f"threads: {threads}{default} for numpy's BLAS and torch")
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        lines.append(f"load average (1, 5, 15 min) at the end: {load}")
    return lines


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


HEADER = (
    "cell",
    "output",
    "dtype",
    "B",
    "T",
    "H",
    "V",
    "numpy ms",
    "torch ms",
    "torch/numpy",
    "target",
    "result",
    "page faults/step np, torch",
)
LEFT = 3  # the first columns are text; the rest align right


def _cells(row: Row) -> list[str]:
    c = row.case
    faults = ", ".join(f"{row.faults[k]:.0f}" for k in ("numpy", "torch") if k in row.faults)
    return [
        c.cell,
        c.output.replace("_", "-"),
        c.dtype,
        str(c.B),
        str(c.T),
        str(c.H),
        str(c.V),
        str(row.numpy),
        str(row.torch) if row.torch is not None else "skipped",
        f"{row.ratio:.2f}" if row.ratio is not None else "",
        f"≥ {c.target:g}" if c.target is not None else "",
        row.verdict,
        faults,
    ]


def table(rows: list[Row], markdown: bool) -> list[str]:
    body = [_cells(r) for r in rows]
    if markdown:
        rule = ["---" if i < LEFT else "---:" for i in range(len(HEADER))]
        return ["| " + " | ".join(r) + " |" for r in [list(HEADER), rule, *body]]
    widths = [max(len(r[i]) for r in [HEADER, *body]) for i in range(len(HEADER))]
    fmt = "  ".join(f"{{:{'<' if i < LEFT else '>'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*r).rstrip() for r in [HEADER, *body]]


def denormal_lines(d: DenormalResult | None, markdown: bool) -> list[str]:
    if d is None:
        return ["skipped (--only, or rnn_core.cells has no _FLUSH_EVERY switch any more)"]
    B, T, H, V = d.shape
    lines = [
        f"vanilla tanh RNN, many-to-one, float32, B={B} T={T} H={H} V={V}, recurrent "
        f"spectral radius {d.radius}; forward + backward at fixed weights (no update).",
        f"denormal entries in dh_total (of B·T·H = {B * T * H}): flush on {d.denormals_on} "
        f"(in {d.steps_on} of {T} steps), flush off {d.denormals_off} "
        f"(in {d.steps_off} of {T} steps).",
        *d.notes,
    ]
    rows = [
        ("flush on (default)", str(d.on)),
        ("flush off", str(d.off)),
        ("slowdown without the flush", f"{d.slowdown:.2f}×"),
    ]
    if markdown:
        lines = [f"- {line}" for line in lines]
        return [*lines, "", "| backward pass | ms/step |", "| --- | ---: |"] + [
            f"| {a} | {b} |" for a, b in rows
        ]
    width = max(len(a) for a, _ in rows)
    return [*lines, *(f"  {a:<{width}}  {b}" for a, b in rows)]


def report(args, torch, rows, denormal, command: str, malloc: str) -> list[str]:
    md = args.markdown
    bullet = "- " if md else ""
    head = [
        f"command: {command}",
        *environment(args.threads, torch, malloc),
        f"ms/step: median ± half the interquartile range of {args.repeats} samples, each "
        "sample repeating the step for a few ms; numpy and torch samples interleaved",
        "each case runs in a fresh process forked from one that imported numpy, rnn_core"
        + (" and torch" if torch is not None else " (not torch)")
        + "; page faults/step counts the minor page faults of each framework's steps",
    ]
    out = ["# rnn_core training-step benchmark" if md else "rnn_core training-step benchmark", ""]
    out += [bullet + line for line in head]
    out += ["", "## Forward + backward + Adam update" if md else "Forward + backward + Adam", ""]
    out += table(rows, md)
    out.append("")
    if torch is None:
        out.append("torch is not installed (or --no-torch): skipped the comparison.")
    else:
        gaps = [r.loss_gap for r in rows if r.loss_gap is not None]
        targets = ", ".join(
            f"{cell} {B}×{T}×{H} ≥ {t:g}" for (cell, (B, T, H, _)), t in TARGETS.items()
        )
        out += [
            f"torch/numpy > 1 means numpy is faster. Targets (float32, B×T×H): {targets}.",
            f"Both start from the same weights; their initial losses differ by at most "
            f"{max(gaps):.1e} (relative).",
        ]
    out += ["", "## Float32 denormals" if md else "Float32 denormals", ""]
    out += denormal_lines(denormal, md)
    return out


# ----------------------------------------------------------------------------- main


def _import_torch(wanted: bool):
    if not wanted:
        return None
    try:
        import torch  # only a yardstick: rnn_core never imports it
    except ImportError:
        return None
    return torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.core",
        description="Time forward + backward + Adam per batch of rnn_core, against PyTorch.",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help=f"samples per timing (default {DEFAULT_REPEATS})"
    )
    parser.add_argument("--quick", action="store_true", help="few repeats, for a smoke test")
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads for numpy and torch (default 1)"
    )
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparison")
    parser.add_argument(
        "--malloc-tuned",
        action="store_true",
        help="raise glibc's mmap/trim thresholds first (what the server could do)",
    )
    parser.add_argument(
        "--only",
        metavar="KEYS",
        help="only the cases matching these comma-separated keys (cells, dtypes, outputs, "
        "shapes BxTxH; e.g. gru,lstm or rnn,float32,32x20x64); skips the denormal section",
    )
    parser.add_argument(
        "--save",
        metavar="PATH",
        help="also write the markdown report to PATH (keeping its notes after the timing line)",
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = QUICK_REPEATS if args.quick else DEFAULT_REPEATS
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be at least 1")
    todo = cases()
    if args.only:
        try:
            todo = select(todo, args.only)
        except ValueError as e:
            parser.error(str(e))
    min_sample_s = QUICK_MIN_SAMPLE_S if args.quick else MIN_SAMPLE_S
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m benchmarks.core", *given])

    malloc = tune_malloc() if args.malloc_tuned else "malloc: glibc defaults"
    torch = _import_torch(not args.no_torch)  # imported once here; forked workers inherit it
    opts = Options(args.repeats, min_sample_s, args.threads, torch is not None, args.malloc_tuned)
    t_start = time.perf_counter()
    rows = []
    for i, case in enumerate(todo, 1):
        rows.append(in_fresh_process(_case_job, case, opts))
        print(f"  {i}/{len(todo)} done", file=sys.stderr, flush=True)
    denormal = None if args.only else in_fresh_process(_denormal_job, opts)
    lines = report(args, torch, rows, denormal, command, malloc)
    took = f"(the benchmark took {time.perf_counter() - t_start:.0f} s)"
    print("\n".join([*lines, "", took]))
    if args.save:
        args.markdown = True
        md = report(args, torch, rows, denormal, command, malloc)
        notes = hand_written_tail(args.save)
        with open(args.save, "w", encoding="utf-8") as f:
            f.write("\n".join([*md, "", took, ""]) + notes)
    return 0


def hand_written_tail(path: str) -> str:
    """What follows the generated report in an earlier ``--save`` file ("" if none)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return ""
    _, sep, tail = text.partition("\n(the benchmark took ")
    return tail.partition("\n")[2] if sep else ""


if __name__ == "__main__":
    sys.exit(main())
