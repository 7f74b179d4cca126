"""Gradient clipping and first-order optimizers for dict-of-arrays parameters.

Parameters and gradients are plain ``dict[str, np.ndarray]`` with the same keys, e.g.
``{"W_xh": (D, H), "W_hh": (H, H), "b_h": (H,), ...}``, all of one dtype. Every optimizer
updates the parameter arrays IN PLACE (``params[k]`` stays the same object) and keeps its
state in buffers created on the first update with the parameters' dtype (a float32 model
keeps float32 state). Internally the arithmetic runs once over flat, preallocated buffers
that hold every parameter end to end, so a step allocates no new arrays and costs a dozen
numpy calls whatever the number of parameters.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

Arrays = dict[str, np.ndarray]

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")


# --------------------------------------------------------------------------------------
# Gradient norms and clipping
# --------------------------------------------------------------------------------------


def param_norms(grads: Arrays) -> dict[str, float]:
    """‖g_k‖ for every gradient array, accumulated in float64 even for float32 gradients, so
    large-but-finite float32 values neither lose precision nor overflow."""
    norms = {}
    for key, g in grads.items():
        flat = np.asarray(g).ravel().astype(np.float64, copy=False)
        norms[key] = math.sqrt(float(np.dot(flat, flat)))
    return norms


def global_norm(grads: Arrays) -> float:
    """Euclidean norm of all gradient entries taken together, sqrt(Σ_k ‖g_k‖²).

    Returns ``inf`` or ``nan`` when a gradient contains them.
    """
    return math.sqrt(sum(n * n for n in param_norms(grads).values()))


def clip_by_global_norm(
    grads: Arrays, max_norm: float, norm: float | None = None
) -> tuple[float, bool]:
    """Rescale all gradients in place so their global norm is at most ``max_norm``.

    When ‖g‖ > max_norm every array is multiplied by max_norm/‖g‖: the update keeps its
    direction and only its length shrinks (Pascanu et al. 2013). This is the default clip.

    A non-finite norm (inf/nan) is returned unchanged and the gradients are left alone:
    rescaling cannot repair them, and the trainer decides what divergence means.

    ``norm``: the global norm if the caller has already computed it.

    Returns:
        ``(norm, clipped)``: the global norm BEFORE clipping and whether clipping happened.
    """
    _check_positive("max_norm", max_norm)
    norm = global_norm(grads) if norm is None else norm
    if not math.isfinite(norm) or norm <= max_norm:
        return norm, False
    scale = max_norm / norm
    for g in grads.values():
        np.multiply(g, scale, out=g)
    return norm, True


def clip_by_value(grads: Arrays, limit: float, norm: float | None = None) -> tuple[float, bool]:
    """EXPERIMENT: clip every gradient entry to [-limit, +limit] in place.

    Unlike global-norm clipping this changes the DIRECTION of the update (large components
    are cut, small ones kept), and it hides explosions: a gradient a million times too big
    looks just like one slightly too big. Global-norm clipping (:func:`clip_by_global_norm`)
    is the default; this exists so its effect can be compared.

    ``norm``: the global norm if the caller has already computed it.

    Returns:
        ``(norm, clipped)``: the global norm BEFORE clipping and whether any entry was
        clipped.
    """
    _check_positive("limit", limit)
    norm = global_norm(grads) if norm is None else norm
    clipped = False
    for g in grads.values():
        if g.size and (g.max() > limit or g.min() < -limit):
            clipped = True
            np.clip(g, -limit, limit, out=g)
    return norm, clipped


# --------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------


class Optimizer:
    """Base class: lazily created per-parameter state buffers plus a step counter.

    Subclasses set ``name``, list their per-parameter buffers in ``slots`` and implement
    :meth:`_apply`. ``lr`` may be changed between updates (e.g. by a schedule or a UI
    slider): the new value applies from the next update and all state is kept.

    ``state_dict()`` names buffers ``"<slot>/<param name>"`` (e.g. ``"m/W_hh"``) and stores
    the number of updates taken as ``"step"``, a 0-d int64 array.
    """

    name: ClassVar[str] = ""
    slots: ClassVar[tuple[str, ...]] = ()

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self._steps = 0
        self._state: dict[str, Arrays] = {slot: {} for slot in self.slots}
        self._flat: dict | None = None  # flat buffers, built on the first update

    # -- public API ---------------------------------------------------------------------

    @property
    def lr(self) -> float:
        """Learning rate (≥ 0). Assigning a new value keeps the optimizer state."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"lr must be a finite number >= 0, got {value}")
        self._lr = value

    @property
    def steps(self) -> int:
        """Number of updates applied so far (Adam's bias correction uses it)."""
        return self._steps

    def update(self, params: Arrays, grads: Arrays) -> None:
        """Apply one update to ``params`` in place, using ``grads`` (same keys and shapes).

        ``grads`` is only read. Raises ValueError when keys or shapes do not match the
        parameters or the optimizer's existing state.

        The arithmetic runs once over flat buffers holding every parameter end to end (the
        per-parameter state entries are views into them): a dozen numpy calls per step
        instead of a dozen per parameter, which matters for small models.
        """
        flat = self._flat
        if flat is None or not self._fits(flat, params, grads):
            self._check_compatible(params, grads)  # everything is checked before anything changes
            flat = self._flat_layout(params)
        self._steps += 1
        shared = flat["shared"] is not None  # the parameters are views of the flat buffer p
        for key, (a, b) in flat["spans"].items():
            if not shared:
                flat["p"][a:b] = params[key].reshape(-1)
            flat["g"][a:b] = grads[key].reshape(-1)
        self._apply(flat["p"], flat["g"], flat["tmp"], **flat["slots"])
        if not shared:
            for key, (a, b) in flat["spans"].items():
                np.copyto(params[key], flat["p"][a:b].reshape(params[key].shape))

    def _fits(self, flat: dict, params: Arrays, grads: Arrays) -> bool:
        """Whether the layout of the last update serves this one without the checks: the very
        same parameter arrays, gradients of their shapes, state buffers nobody replaced."""
        arrays = flat["arrays"]
        if len(params) != len(arrays) or grads.keys() != arrays.keys():
            return False
        for key, p in arrays.items():
            if params.get(key) is not p or grads[key].shape != p.shape:
                return False
        views = flat["views"]
        return all(self._state[s][k] is v for s in self.slots for k, v in views[s].items())

    def _flat_layout(self, params: Arrays) -> dict:
        """Flat p, g, scratch and slot buffers for these parameters, (re)built when the
        parameters' layout changes or loaded state replaced a buffer.

        When the parameters are consecutive views of one buffer (``model.init_params`` makes
        them so), that buffer is p itself and nothing is copied in or out.
        """
        flat = self._flat
        shapes = {k: (p.shape, p.dtype) for k, p in params.items()}
        if flat is not None and flat["shapes"] == shapes:
            views = flat["views"]
            if all(self._state[s].get(k) is views[s][k] for s in self.slots for k in params):
                flat["arrays"], flat["shared"] = dict(params), shared_buffer(params)
                flat["p"] = flat["own_p"] if flat["shared"] is None else flat["shared"]
                return flat
        dtypes = {p.dtype for p in params.values()}
        if len(dtypes) > 1:
            raise ValueError(f"all parameters must share one dtype; got {sorted(map(str, dtypes))}")
        dtype = dtypes.pop() if dtypes else np.dtype(np.float64)
        spans, n = {}, 0
        for key, p in params.items():
            spans[key] = (n, n + p.size)
            n += p.size
        slots, views = {}, {}
        for slot in self.slots:
            slots[slot] = np.zeros(n, dtype)
            views[slot] = {}
            for key, (a, b) in spans.items():
                view = slots[slot][a:b].reshape(params[key].shape)
                old = self._state[slot].get(key)
                if old is not None:
                    view[...] = old  # carry loaded or earlier state into the new layout
                self._state[slot][key] = views[slot][key] = view
        shared, own_p = shared_buffer(params), np.empty(n, dtype)
        self._flat = {
            "shapes": shapes,
            "spans": spans,
            "arrays": dict(params),  # the arrays this layout was checked for
            "shared": shared,
            "own_p": own_p,
            "p": own_p if shared is None else shared,
            "g": np.empty(n, dtype),
            "tmp": np.empty(n, dtype),
            "slots": slots,
            "views": views,
        }
        return self._flat

    def state_dict(self) -> Arrays:
        """Copy of the optimizer state: ``{"<slot>/<param>": array, ..., "step": int64}``."""
        state = {
            f"{slot}/{key}": buf.copy()
            for slot in self.slots
            for key, buf in self._state[slot].items()
        }
        state["step"] = np.array(self._steps, dtype=np.int64)
        return state

    def load_state_dict(self, state: Arrays) -> None:
        """Replace the optimizer state with (a copy of) ``state`` from :meth:`state_dict`.

        Names and shapes are validated against the existing buffers when this optimizer has
        already taken a step, otherwise against each other (and against the parameters on
        the next :meth:`update`). Raises ValueError with the offending names on a mismatch.
        """
        if "step" not in state:
            raise ValueError(f"{self.name} state is missing 'step'")
        step = np.asarray(state["step"])
        if step.shape != () or step.dtype.kind not in "iu" or int(step) < 0:
            raise ValueError(f"'step' must be a 0-d non-negative integer array, got {step!r}")

        new: dict[str, Arrays] = {slot: {} for slot in self.slots}
        for full_name, value in state.items():
            if full_name == "step":
                continue
            slot, sep, key = full_name.partition("/")
            if not sep or slot not in new:
                valid = ", ".join(f"'{s}/<param>'" for s in self.slots) or "none"
                raise ValueError(
                    f"unexpected entry {full_name!r} in {self.name} state "
                    f"(expected 'step' and {valid})"
                )
            arr = np.asarray(value)
            if arr.dtype.kind != "f":
                raise ValueError(f"{full_name!r} must be a floating array, got {arr.dtype}")
            new[slot][key] = arr

        reference = self._state[self.slots[0]] if self.slots else {}
        if not reference and self.slots:
            reference = new[self.slots[0]]
        for slot in self.slots:
            _check_same_keys(f"'{slot}/' entries", new[slot], "expected parameters", reference)
            for key, arr in new[slot].items():
                if arr.shape != reference[key].shape:
                    raise ValueError(
                        f"{slot}/{key} has shape {arr.shape}, expected {reference[key].shape}"
                    )

        for slot in self.slots:
            old = self._state[slot]
            for key, arr in new[slot].items():
                if key in old:
                    np.copyto(old[key], arr, casting="same_kind")  # keep buffer + dtype
                else:
                    old[key] = arr.copy()
        self._steps = int(step)

    # -- for subclasses -----------------------------------------------------------------

    def _apply(self, p: np.ndarray, g: np.ndarray, tmp: np.ndarray, **buffers: np.ndarray):
        """Update ``p`` in place from ``g``; ``tmp`` is scratch of the same shape and dtype.
        All arrays are flat (every parameter end to end); ``buffers`` are the slots."""
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------

    def _check_compatible(self, params: Arrays, grads: Arrays) -> None:
        """Raise ValueError unless grads and existing state match params in names and shapes."""
        _check_same_keys("grads", grads, "params", params)
        for key, p in params.items():
            if p.dtype.kind != "f":
                raise ValueError(f"parameter {key!r} must be a floating array, got {p.dtype}")
            if grads[key].shape != p.shape:
                raise ValueError(
                    f"gradient {key!r} has shape {grads[key].shape}, parameter has {p.shape}"
                )
        for slot in self.slots:
            buffers = self._state[slot]
            if not buffers:
                continue
            _check_same_keys("params", params, f"optimizer state '{slot}/'", buffers)
            for key, p in params.items():
                if buffers[key].shape != p.shape:
                    raise ValueError(
                        f"optimizer state {slot}/{key} has shape {buffers[key].shape}, "
                        f"parameter has {p.shape}"
                    )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Plain gradient descent: p ← p − lr·g. State: only the step counter."""

    name = "sgd"

    def _apply(self, p, g, tmp):
        np.multiply(g, self.lr, out=tmp)
        np.subtract(p, tmp, out=p)


class Momentum(Optimizer):
    """Heavy-ball momentum (PyTorch's SGD with momentum, no dampening).

    v ← β·v + g;  p ← p − lr·v.  State ``v/<param>`` has the parameter's shape and dtype.
    """

    name = "momentum"
    slots = ("v",)

    def __init__(self, lr: float, beta: float = 0.9) -> None:
        super().__init__(lr)
        self.beta = _check_unit_interval("beta", beta)

    def _apply(self, p, g, tmp, v):
        np.multiply(v, self.beta, out=v)
        np.add(v, g, out=v)
        np.multiply(v, self.lr, out=tmp)
        np.subtract(p, tmp, out=p)

    def __repr__(self) -> str:
        return f"Momentum(lr={self.lr}, beta={self.beta})"


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, in PyTorch's formulation.

    At step t:  m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;
    p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
    State ``m/<param>`` and ``v/<param>`` have the parameter's shape and dtype.
    """

    name = "adam"
    slots = ("m", "v")

    def __init__(
        self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1 = _check_unit_interval("beta1", beta1)
        self.beta2 = _check_unit_interval("beta2", beta2)
        self.eps = _check_positive("eps", eps)

    def _apply(self, p, g, tmp, m, v):
        t = self.steps
        step_size = self.lr / (1.0 - self.beta1**t)
        sqrt_bc2 = math.sqrt(1.0 - self.beta2**t)
        # m ← β₁m + (1−β₁)g
        np.multiply(m, self.beta1, out=m)
        np.multiply(g, 1.0 - self.beta1, out=tmp)
        np.add(m, tmp, out=m)
        # v ← β₂v + (1−β₂)g²
        np.multiply(v, self.beta2, out=v)
        np.multiply(g, g, out=tmp)
        np.multiply(tmp, 1.0 - self.beta2, out=tmp)
        np.add(v, tmp, out=v)
        # p ← p − step_size · m / (√v/√bc₂ + ε)
        np.sqrt(v, out=tmp)
        np.divide(tmp, sqrt_bc2, out=tmp)
        np.add(tmp, self.eps, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, step_size, out=tmp)
        np.subtract(p, tmp, out=p)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e) in PyTorch's formulation (not centred, no momentum).

    s ← decay·s + (1−decay)·g²;  p ← p − lr·g / (√s + ε).
    State ``s/<param>`` has the parameter's shape and dtype.
    """

    name = "rmsprop"
    slots = ("s",)

    def __init__(self, lr: float, decay: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.decay = _check_unit_interval("decay", decay)
        self.eps = _check_positive("eps", eps)

    def _apply(self, p, g, tmp, s):
        np.multiply(s, self.decay, out=s)
        np.multiply(g, g, out=tmp)
        np.multiply(tmp, 1.0 - self.decay, out=tmp)
        np.add(s, tmp, out=s)
        np.sqrt(s, out=tmp)
        np.add(tmp, self.eps, out=tmp)
        np.divide(g, tmp, out=tmp)
        np.multiply(tmp, self.lr, out=tmp)
        np.subtract(p, tmp, out=p)

    def __repr__(self) -> str:
        return f"RMSprop(lr={self.lr}, decay={self.decay}, eps={self.eps})"


_CLASSES: tuple[type[Optimizer], ...] = (SGD, Momentum, Adam, RMSprop)


def shared_buffer(params: Arrays) -> np.ndarray | None:
    """The 1-d array that holds every parameter end to end, in order, when the parameters are
    C-contiguous views of one; None otherwise."""
    arrays = list(params.values())
    base = arrays[0].base if arrays else None
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    address = base.ctypes.data
    for p in arrays:
        if p.base is not base or not p.flags.c_contiguous or p.ctypes.data != address:
            return None
        address += p.nbytes
    return base if address == base.ctypes.data + base.nbytes else None


def make_optimizer(name: str, lr: float, **kwargs: float) -> Optimizer:
    """Build the optimizer called ``name`` (one of :data:`OPTIMIZERS`, case-insensitive).

    Extra keyword arguments go to its constructor (e.g. ``beta1=0.8`` for Adam); an
    argument the optimizer does not take raises TypeError.
    """
    wanted = name.strip().lower()
    for cls in _CLASSES:
        if cls.name == wanted:
            return cls(lr, **kwargs)
    raise ValueError(f"unknown optimizer {name!r}; valid names: {', '.join(OPTIMIZERS)}")


# --------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------


def _check_positive(what: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a finite number > 0, got {value}")
    return value


def _check_unit_interval(what: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{what} must be in [0, 1), got {value}")
    return value


def _check_same_keys(name_a: str, a: Arrays, name_b: str, b: Arrays) -> None:
    if a.keys() != b.keys():
        missing = sorted(b.keys() - a.keys())
        extra = sorted(a.keys() - b.keys())
        raise ValueError(
            f"{name_a} and {name_b} have different names: missing {missing}, extra {extra}"
        )
