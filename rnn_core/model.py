"""A recurrent model: input encoding -> 1 or 2 recurrent layers -> linear readout.

Parameters are one flat dict of named arrays (the names are what checkpoints store):

    "embed"                      (V, E)      learned embedding (input_kind "embedding")
    "l0.W_xh", "l0.W_hh", "l0.b_h"           vanilla RNN layer 0 (see cells.py for gru/lstm)
    "l1.…"                                   layer 1 when num_layers = 2; its input is layer 0's hs
    "W_hy" (H, O), "b_y" (O,)                readout

Inputs are token ids (B, T) for "onehot" and "embedding" inputs, or features (B, T, D) for
"dense" inputs; ``mask`` (B, T) marks real steps (left-aligned; None means all real).
Targets: many-to-one — (B,) class ids or (B, O) values; many-to-many — (B, T) class ids or
(B, T, O) values. Padding never contributes to the loss.

Steering: ``forward``, ``trace``, ``predict`` and ``predict_proba`` take ``clamp=`` — one
:class:`Clamp` or several — to hold a unit of a layer's state at a value at every step while
the model reads (``ablate(layer, unit)`` holds it at 0). Inference only: a clamped forward
has no backward.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnn_core import cells as C
from rnn_core.checks import check_choice, check_count, is_int
from rnn_core.init import make_weight, scale_to_spectral_radius
from rnn_core.losses import LOSSES, mse, softmax, softmax_cross_entropy

INPUT_KINDS = ("onehot", "embedding", "dense")
OUTPUT_KINDS = ("many_to_one", "many_to_many")
GATES = {"rnn": ("h",), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}


@dataclass(frozen=True)
class ModelConfig:
    """The shape of a model. Frozen and hashable: usable as a cache key."""

    cell: str = "gru"  # "rnn", "gru" or "lstm"
    activation: str = "tanh"  # vanilla RNN only: "tanh" or "relu"
    hidden_size: int = 32  # H, units per recurrent layer
    num_layers: int = 1  # 1 or 2 stacked recurrent layers
    input_kind: str = "onehot"  # "onehot" or "embedding" (token ids), "dense" (features)
    input_size: int = 20  # vocabulary size V, or feature count D for dense inputs
    embed_size: int = 16  # E, for input_kind "embedding"
    output_size: int = 2  # classes (xent) or values per prediction (mse)
    output: str = "many_to_one"  # read the last real state, or every real step
    loss: str = "xent"  # "xent" (softmax cross-entropy) or "mse"

    def __post_init__(self):
        check_choice("cell", self.cell, C.CELLS)
        check_choice("activation", self.activation, C.ACTIVATIONS)
        check_choice("input_kind", self.input_kind, INPUT_KINDS)
        check_choice("output", self.output, OUTPUT_KINDS)
        check_choice("loss", self.loss, LOSSES)
        for name in ("hidden_size", "input_size", "output_size", "embed_size"):
            check_count(name, getattr(self, name))
        if not is_int(self.num_layers) or self.num_layers not in (1, 2):
            raise ValueError(f"num_layers must be 1 or 2; got {self.num_layers}")
        if self.loss == "xent" and self.output_size < 2:
            raise ValueError("a classifier needs output_size >= 2 classes")

    @property
    def layer_input_size(self) -> int:
        """Width of what the first recurrent layer reads."""
        return self.embed_size if self.input_kind == "embedding" else self.input_size


@dataclass(frozen=True)
class Clamp:
    """One unit of one layer's state held at a value at every step, while the model reads.

    The state the cell computes at each step is overwritten at that unit before anything
    reads it: the layer's next step (and, for gated cells, its gates), the next layer, the
    readout. For an LSTM it is h that is held; its cell state c runs on. ``value`` is one
    number for every step, or one per step (a sequence as long as the input: clamping a unit
    to its own trace changes nothing). Ablation is a clamp at 0 (:func:`ablate`).
    """

    layer: int  # 0 … num_layers − 1, or −1 for the last layer
    unit: int  # 0 … H − 1
    value: float | tuple[float, ...] = 0.0  # every step's value, or one per step

    def __post_init__(self):
        if not is_int(self.layer) or not is_int(self.unit):
            raise ValueError(f"a clamp's layer and unit are whole numbers; got {self!r}")
        value = self.value
        if isinstance(value, (np.ndarray, Sequence)) and not isinstance(value, str):
            value = tuple(float(v) for v in np.asarray(value, dtype=np.float64).reshape(-1))
            if not value:
                raise ValueError("a clamp's per-step values cannot be empty")
        elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            value = float(value)
        else:
            raise ValueError(f"a clamp's value is a number or one number per step; got {value!r}")
        if not all(math.isfinite(v) for v in (value if isinstance(value, tuple) else (value,))):
            raise ValueError("a clamp's value must be finite")
        object.__setattr__(self, "layer", int(self.layer))
        object.__setattr__(self, "unit", int(self.unit))
        object.__setattr__(self, "value", value)

    @property
    def per_step(self) -> bool:
        return isinstance(self.value, tuple)


def ablate(layer: int, unit: int) -> Clamp:
    """The unit silenced: held at 0 at every step, as if its outgoing weights were zero."""
    return Clamp(layer, unit, 0.0)


def clamp_plans(config: ModelConfig, clamp, T: int, dtype) -> list:
    """Per layer, what the cells take as ``clamp``: None, or (units (k,), values (T, k)).

    ``clamp``: None, a :class:`Clamp` or a sequence of them (each (layer, unit) at most once).
    """
    if clamp is None:
        return [None] * config.num_layers
    clamps = [clamp] if isinstance(clamp, Clamp) else list(clamp)
    by_layer: list[dict[int, np.ndarray]] = [{} for _ in range(config.num_layers)]
    for c in clamps:
        if not isinstance(c, Clamp):
            raise ValueError(f"clamp takes Clamp objects; got {type(c).__name__}")
        if not -config.num_layers <= c.layer < config.num_layers:
            raise ValueError(f"layer {c.layer} does not exist: the model has {config.num_layers}")
        if not 0 <= c.unit < config.hidden_size:
            raise ValueError(f"unit {c.unit} does not exist: layers have {config.hidden_size}")
        layer = c.layer % config.num_layers
        if c.unit in by_layer[layer]:
            raise ValueError(f"unit {c.unit} of layer {layer} is clamped twice")
        if c.per_step and len(c.value) != T:
            raise ValueError(f"per-step clamp values: {T} needed, {len(c.value)} given")
        by_layer[layer][c.unit] = np.broadcast_to(np.asarray(c.value, dtype), (T,))
    plans = []
    for held in by_layer:
        if not held:
            plans.append(None)
            continue
        units = np.fromiter(held, np.intp, len(held))
        plans.append((units, np.stack(list(held.values()), axis=1)))
    return plans


def layer_param_shapes(cell: str, D: int, H: int) -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes of one recurrent layer reading D features."""
    if cell == "rnn":
        return {"W_xh": (D, H), "W_hh": (H, H), "b_h": (H,)}
    if cell == "gru":
        return {"W_x": (D, 3 * H), "W_h": (H, 3 * H), "b_x": (3 * H,), "b_h": (3 * H,)}
    return {"W_x": (D, 4 * H), "W_h": (H, 4 * H), "b": (4 * H,)}


def param_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every parameter name of a model and its shape, in a fixed order."""
    shapes: dict[str, tuple[int, ...]] = {}
    if config.input_kind == "embedding":
        shapes["embed"] = (config.input_size, config.embed_size)
    D, H = config.layer_input_size, config.hidden_size
    for layer in range(config.num_layers):
        for name, shape in layer_param_shapes(config.cell, D, H).items():
            shapes[f"l{layer}.{name}"] = shape
        D = H
    shapes["W_hy"] = (H, config.output_size)
    shapes["b_y"] = (config.output_size,)
    return shapes


def recurrent_blocks(params: dict[str, np.ndarray], cell: str, layer: int) -> dict[str, np.ndarray]:
    """The (H, H) recurrent matrices of one layer, keyed by gate ("h" for a vanilla RNN)."""
    if cell == "rnn":
        return {"h": params[f"l{layer}.W_hh"]}
    W = params[f"l{layer}.W_h"]
    H = W.shape[0]
    return {g: W[:, k * H : (k + 1) * H] for k, g in enumerate(GATES[cell])}


def init_params(
    config: ModelConfig,
    rng: np.random.Generator,
    init: str = "xavier",
    spectral_radius: float | None = None,
    dtype=np.float32,
) -> dict[str, np.ndarray]:
    """Fresh parameters.

    ``init`` chooses the recurrent matrices' initialiser (see init.py; input and readout
    weights use Xavier, or the tutorials' small random numbers for "small_random"). Gated
    cells are initialised block by block. ``spectral_radius`` rescales every (H, H) recurrent
    block to that radius. Biases start at 0, except the LSTM forget gate at 1 (remember by
    default, the usual practice since Gers et al. 2000).
    """
    dtype = np.dtype(dtype)
    H = config.hidden_size
    params: dict[str, np.ndarray] = {}
    for name, shape in param_shapes(config).items():
        base = name.split(".")[-1]
        if name == "embed":
            params[name] = (rng.standard_normal(shape) / np.sqrt(shape[1])).astype(dtype)
        elif base.startswith("b"):
            params[name] = np.zeros(shape, dtype)
        elif base in ("W_hh", "W_h"):
            blocks = [make_weight(init, rng, (H, H), dtype) for _ in range(shape[1] // H)]
            if spectral_radius is not None:
                blocks = [scale_to_spectral_radius(b, spectral_radius) for b in blocks]
            params[name] = np.ascontiguousarray(np.hstack(blocks), dtype=dtype)
        else:  # input and readout weights, block by block for gated cells
            kind = "small_random" if init == "small_random" else "xavier"
            n_blocks = shape[1] // H if base in ("W_xh", "W_x") else 1
            width = shape[1] // n_blocks
            blocks = [make_weight(kind, rng, (shape[0], width), dtype) for _ in range(n_blocks)]
            params[name] = np.ascontiguousarray(np.hstack(blocks), dtype=dtype)
    if config.cell == "lstm":
        for layer in range(config.num_layers):
            params[f"l{layer}.b"][H : 2 * H] = 1.0
    return packed(params)


def packed(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Copies of ``params`` that are consecutive views of one flat buffer, in order: the
    optimizers then update that buffer in place, without copying every parameter in and out
    (see ``optim.shared_buffer``)."""
    flat = np.empty(sum(p.size for p in params.values()), next(iter(params.values())).dtype)
    out, n = {}, 0
    for name, p in params.items():
        out[name] = flat[n : n + p.size].reshape(p.shape)
        out[name][...] = p
        n += p.size
    return out


@dataclass
class Forward:
    """What one forward pass of the model keeps for its backward pass."""

    caches: list[C.SeqCache]
    x: np.ndarray  # (B, T, D) what the first layer read
    ids: np.ndarray | None  # (B, T) token ids for onehot/embedding inputs
    mask: np.ndarray  # (B, T) bool
    last: np.ndarray  # (B,) index of each sequence's last real step
    top: np.ndarray  # what the readout read: (B, H) many-to-one, (T·B, H) time-major otherwise
    outputs: np.ndarray  # (B, O) or (B, T, O) logits / values
    all_real: bool = False  # the mask has no padding
    clamped: bool = False  # units were held (see Clamp): no backward


@dataclass(frozen=True)
class BackwardInfo:
    """Side results of :meth:`RNNModel.backward`."""

    dh_norm: list[np.ndarray]  # per layer, (B, T) ‖∂L/∂h_t‖
    input_grad: np.ndarray | None = None  # (B, T, D) dL/dx of the first layer, on request


@dataclass(frozen=True)
class LossInfo:
    """Side results of :meth:`RNNModel.loss_and_grads`: the loss's and the backward's."""

    accuracy: float | None  # fraction of correct real predictions; None for regression
    n_predictions: int  # real predictions the loss averaged over
    dh_norm: list[np.ndarray]  # per layer, (B, T) ‖∂L/∂h_t‖
    input_grad: np.ndarray | None = None  # (B, T, D) dL/dx of the first layer, on request


@dataclass
class Trace:
    """Everything the network computed for one sequence (see :meth:`RNNModel.trace`)."""

    hs: list[np.ndarray]  # per layer, (T, H) states
    cs: list[np.ndarray] | None  # LSTM only: per layer, (T, H) cell states
    gates: list[dict[str, np.ndarray]]  # per layer, gate name -> (T, H) (rnn: empty)
    outputs: np.ndarray  # (T, O) logits or values, the readout applied after every step
    probs: np.ndarray | None  # (T, O) softmax of outputs for classifiers


class RNNModel:
    """Parameters plus the three verbs: forward, backward (via loss_and_grads), update.

    The dtype of every computation follows the parameters.
    """

    def __init__(self, config: ModelConfig, params: dict[str, np.ndarray]):
        expected = param_shapes(config)
        if list(params) != list(expected):
            missing = sorted(set(expected) - set(params))
            extra = sorted(set(params) - set(expected))
            if missing or extra:
                raise ValueError(
                    f"parameters do not fit the config: missing {missing}, extra {extra}"
                )
            params = {k: params[k] for k in expected}
        for name, shape in expected.items():
            if params[name].shape != shape:
                raise ValueError(f"{name} has shape {params[name].shape}, expected {shape}")
        self.config = config
        self.params = params

    @classmethod
    def create(cls, config, rng, init="xavier", spectral_radius=None, dtype=np.float32):
        return cls(config, init_params(config, rng, init, spectral_radius, dtype))

    @property
    def dtype(self) -> np.dtype:
        return self.params["W_hy"].dtype

    def copy(self, dtype=None) -> RNNModel:
        """A deep copy, optionally in another dtype (float64 for gradient checks)."""
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        return RNNModel(
            self.config, {k: v.astype(dtype, copy=True) for k, v in self.params.items()}
        )

    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    # --------------------------------------------------------------------- forward / backward

    def _encode(self, inputs):
        cfg = self.config
        if cfg.input_kind == "dense":
            x = np.asarray(inputs, dtype=self.dtype)
            if x.ndim != 3 or x.shape[2] != cfg.input_size:
                raise ValueError(f"dense inputs must be (B, T, {cfg.input_size}); got {x.shape}")
            return x, None
        ids = np.asarray(inputs)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"token inputs must be a (B, T) integer array; got {ids.shape} {ids.dtype}"
            )
        if ids.size and (ids.min() < 0 or ids.max() >= cfg.input_size):
            raise ValueError(
                f"token ids must lie in [0, {cfg.input_size}); got {ids.min()}..{ids.max()}"
            )
        if cfg.input_kind == "embedding":
            return self.params["embed"][ids], ids
        return ids, ids  # one-hot: the first layer gathers rows of W_x (see cells._prepare)

    def forward(self, inputs, mask=None, clamp=None) -> Forward:
        """Run the model; ``Forward.outputs`` are logits (classifier) or values (regression).

        ``clamp``: a :class:`Clamp` or several, held at every step (no backward then)."""
        cfg = self.config
        x, ids = self._encode(inputs)
        B, T = x.shape[:2]
        onehot = cfg.input_kind == "onehot"
        if T == 0:
            raise ValueError("sequences must have at least one step")
        mask = np.ones((B, T), bool) if mask is None else np.asarray(mask, bool)
        if mask.shape != (B, T):
            raise ValueError(f"mask must be (B, T) = {(B, T)}; got {mask.shape}")
        all_real = bool(mask.all())  # then the cells and the loss skip the padding work
        if all_real:
            last = np.full(B, T - 1)
        else:
            lengths = mask.sum(axis=1)
            if (lengths == 0).any():
                raise ValueError("every sequence needs at least one real step")
            last = lengths - 1
        plans = clamp_plans(cfg, clamp, T, self.dtype)
        caches, h, cell_mask = [], x, None if all_real else mask
        for layer in range(cfg.num_layers):
            p = self.layer_params(layer)
            h, cache = C.cell_forward(cfg.cell, h, None, p, cell_mask, cfg.activation, plans[layer])
            caches.append(cache)
            if layer == 0 and onehot:
                x = cache.x.transpose(1, 0, 2)  # (B, T, V) view of the one-hot inputs
        W_hy, b_y = self.params["W_hy"], self.params["b_y"]
        if cfg.output == "many_to_one":
            top = h[:, -1] if all_real else h[np.arange(B), last]  # the last real token's state
            outputs = top @ W_hy + b_y
        else:
            top = caches[-1].hbuf[1:].reshape(T * B, -1)  # time-major rows: t·B + b
            outputs = (top @ W_hy + b_y).reshape(T, B, -1).transpose(1, 0, 2)  # (B, T, O) view
        clamped = any(p is not None for p in plans)
        return Forward(caches, x, ids, mask, last, top, outputs, all_real, clamped)

    def layer_params(self, layer: int) -> dict[str, np.ndarray]:
        prefix = f"l{layer}."
        return {k[len(prefix) :]: v for k, v in self.params.items() if k.startswith(prefix)}

    def loss(self, fw: Forward, targets) -> tuple[float, np.ndarray, float | None, int]:
        """Loss of a forward pass against ``targets``.

        Returns (loss, dL/doutputs — (B, O) for many-to-one, (T·B, O) time-major for
        many-to-many —, accuracy or None for regression, number of real predictions the loss
        averaged over).
        """
        cfg = self.config
        B, T = fw.mask.shape
        O = cfg.output_size
        targets = np.asarray(targets)
        if cfg.output == "many_to_one":
            shapes = [(B,)] if cfg.loss == "xent" else [(B, O), (B,)] if O == 1 else [(B, O)]
        else:
            shapes = [(B, T)] if cfg.loss == "xent" else [(B, T, O)] + [(B, T)] * (O == 1)
        if targets.shape not in shapes:
            raise ValueError(f"targets must have shape {shapes[0]}; got {targets.shape}")
        if cfg.output == "many_to_one":
            out, weights = fw.outputs, None
        else:  # time-major rows (t·B + b), as the readout computed them: no copies
            out = fw.outputs.transpose(1, 0, 2).reshape(T * B, O)
            weights = None if fw.all_real else fw.mask.T.reshape(-1)
            targets = targets.swapaxes(0, 1)
        n = out.shape[0] if weights is None else int(weights.sum())  # B, or T·B per step
        if cfg.loss == "xent":
            flat = targets.reshape(-1)
            real = flat if weights is None else flat[weights]
            if real.min() < 0 or real.max() >= O:
                raise ValueError(f"class ids must lie in [0, {O}); got {real.min()}..{real.max()}")
            if weights is not None:
                flat = np.where(weights, flat, 0)  # padding may hold any id: make it a valid one
            loss, dout = softmax_cross_entropy(out, flat, weights)
            hits = out.argmax(axis=1) == flat
            accuracy = np.count_nonzero(hits if weights is None else hits[weights]) / n
        else:
            loss, dout = mse(out, targets.reshape(-1, O), weights)
            accuracy = None
        return loss, dout, accuracy, n

    def loss_and_grads(self, inputs, targets, mask=None, truncate=None, input_grad=False):
        """Loss, gradients of every parameter (same keys), and a :class:`LossInfo`.

        ``truncate`` limits how many steps back each step's loss sends gradient (per layer).
        ``input_grad`` also returns dL/dx of the first layer's input in the info.
        """
        fw = self.forward(inputs, mask)
        loss, dout, accuracy, n = self.loss(fw, targets)
        grads, back = self.backward(fw, dout, truncate, input_grad)
        return loss, grads, LossInfo(accuracy, n, back.dh_norm, back.input_grad)

    def backward(self, fw: Forward, dout: np.ndarray, truncate=None, input_grad: bool = False):
        """Gradients of every parameter from dL/doutputs, flattened as :meth:`loss` returns it:
        (B, O) for many-to-one, (T·B, O) time-major (row t·B + b) for many-to-many.

        Returns (grads keyed like the params, a :class:`BackwardInfo` with the per-layer
        ‖∂L/∂h_t‖ and, if ``input_grad``, dL/dx of the first layer's input).
        """
        cfg = self.config
        if fw.clamped:
            raise ValueError("a clamped forward pass has no backward: run it without clamp")
        B, T = fw.mask.shape
        H = cfg.hidden_size
        W_hy = self.params["W_hy"]
        grads: dict[str, np.ndarray] = {}
        grads["W_hy"] = fw.top.T @ dout
        grads["b_y"] = np.ones(dout.shape[0], dout.dtype) @ dout
        dtop = dout @ W_hy.T
        if cfg.output == "many_to_one":  # only the last real state feeds the readout
            dhs = np.zeros((T, B, H), self.dtype)  # time-major, as the cells keep their states
            if fw.all_real:
                dhs[-1] = dtop
            else:
                dhs[fw.last, np.arange(B)] = dtop
        else:
            dhs = dtop.reshape(T, B, H)
        dhs = dhs.transpose(1, 0, 2)  # (B, T, H) view
        norms = []
        for layer in range(cfg.num_layers - 1, -1, -1):
            need_dx = layer > 0 or cfg.input_kind == "embedding" or input_grad
            dx, _, g = C.cell_backward(dhs, fw.caches[layer], truncate=truncate, need_dx=need_dx)
            for k, v in g.items():
                grads[f"l{layer}.{k}"] = v
            norms.append(fw.caches[layer].dh_norm)
            dhs = dx
        if cfg.input_kind == "embedding":
            dE = np.zeros_like(self.params["embed"])
            np.add.at(dE, fw.ids.reshape(-1), dhs.reshape(B * T, -1))
            grads["embed"] = dE
        info = BackwardInfo(norms[::-1], dhs if input_grad else None)
        return {k: grads[k] for k in self.params}, info

    # --------------------------------------------------------------------- inference

    def predict_proba(self, inputs, mask=None, clamp=None) -> np.ndarray:
        """Class probabilities: (B, C) many-to-one, (B, T, C) many-to-many."""
        if self.config.loss != "xent":
            raise ValueError("predict_proba is for classifiers; use predict for regression")
        return softmax(self.forward(inputs, mask, clamp).outputs)

    def predict(self, inputs, mask=None, clamp=None) -> np.ndarray:
        """Class ids (argmax) for classifiers, values for regression."""
        out = self.forward(inputs, mask, clamp).outputs
        return out.argmax(axis=-1) if self.config.loss == "xent" else out

    def trace(self, tokens, clamp=None) -> Trace:
        """Every layer's states (and LSTM c and gates) and the per-step outputs for one sequence.

        tokens: (T,) ids, or (T, D) features for dense inputs. For a many-to-one model the
        readout is applied after every step too: how the prediction evolves as it reads.
        ``clamp``: a :class:`Clamp` or several, held at every step while it reads.
        """
        seq = np.asarray(tokens)
        fw = self.forward(seq[None], clamp=clamp)
        cfg = self.config
        hs, cs, gates = [], [] if cfg.cell == "lstm" else None, []
        for cache in fw.caches:
            hs.append(cache.hs[0].copy())
            if cfg.cell == "lstm":
                cs.append(cache.saved["C"][1:, 0].copy())
            gates.append({g: v[:, 0].copy() for g, v in C.gate_values(cache).items()})
        outputs = hs[-1] @ self.params["W_hy"] + self.params["b_y"]
        probs = softmax(outputs) if cfg.loss == "xent" else None
        return Trace(hs, cs, gates, outputs, probs)
