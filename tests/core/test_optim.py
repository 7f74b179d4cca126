"""Tests for rnn_core.optim: gradient clipping and the optimizers.

Expected numbers are worked out by hand (plain arithmetic) in the tests, never by calling
the code under test.
"""

import math
import tracemalloc

import numpy as np
import pytest

from rnn_core.optim import (
    OPTIMIZERS,
    SGD,
    Adam,
    Momentum,
    Optimizer,
    RMSprop,
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    make_optimizer,
)


def cosine(a: dict, b: dict) -> float:
    x = np.concatenate([a[k].ravel() for k in sorted(a)]).astype(np.float64)
    y = np.concatenate([b[k].ravel() for k in sorted(b)]).astype(np.float64)
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def copy_arrays(d: dict) -> dict:
    return {k: v.copy() for k, v in d.items()}


# --------------------------------------------------------------------------------------
# global_norm and clipping
# --------------------------------------------------------------------------------------


def test_global_norm_3_4_5():
    grads = {"a": np.array([3.0]), "b": np.array([[0.0, 4.0]])}
    assert global_norm(grads) == 5.0
    assert isinstance(global_norm(grads), float)


def test_global_norm_sums_in_float64():
    # (1e20)² overflows float32 (max ≈ 3.4e38); a float64 sum gets 2e20.
    grads = {"w": np.full(4, 1e20, dtype=np.float32)}
    assert global_norm(grads) == pytest.approx(2e20, rel=1e-6)


def test_global_norm_non_finite():
    assert math.isnan(global_norm({"w": np.array([1.0, np.nan])}))
    assert global_norm({"w": np.array([1.0, np.inf])}) == math.inf


def test_clip_by_global_norm_keeps_direction_and_hits_max_norm():
    grads = {"a": np.array([6.0, 0.0]), "b": np.array([[8.0]])}  # norm 10
    before = copy_arrays(grads)
    a_obj = grads["a"]
    norm, clipped = clip_by_global_norm(grads, max_norm=5.0)
    assert (norm, clipped) == (10.0, True)
    assert grads["a"] is a_obj  # in place
    np.testing.assert_allclose(grads["a"], [3.0, 0.0])
    np.testing.assert_allclose(grads["b"], [[4.0]])
    assert global_norm(grads) == pytest.approx(5.0, rel=1e-12)
    assert cosine(grads, before) == pytest.approx(1.0, abs=1e-12)


def test_clip_by_global_norm_below_threshold_is_untouched():
    grads = {"a": np.array([0.3, -0.4])}  # norm 0.5
    norm, clipped = clip_by_global_norm(grads, max_norm=1.0)
    assert norm == pytest.approx(0.5)
    assert clipped is False
    np.testing.assert_array_equal(grads["a"], [0.3, -0.4])


def test_clip_by_global_norm_keeps_float32():
    grads = {"a": np.array([30.0, 40.0], dtype=np.float32)}
    norm, clipped = clip_by_global_norm(grads, 1.0)
    assert clipped and norm == pytest.approx(50.0)
    assert grads["a"].dtype == np.float32
    np.testing.assert_allclose(grads["a"], [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_by_global_norm_non_finite_leaves_grads_alone(bad):
    grads = {"a": np.array([1e3, bad]), "b": np.array([2e3])}
    norm, clipped = clip_by_global_norm(grads, 1.0)
    assert not math.isfinite(norm)
    assert clipped is False
    assert grads["a"][0] == 1e3 and grads["b"][0] == 2e3


def test_clip_by_value_changes_direction_and_reports_pre_clip_norm():
    grads = {"a": np.array([10.0, 0.5]), "b": np.array([-3.0])}
    before = copy_arrays(grads)
    norm, clipped = clip_by_value(grads, limit=1.0)
    assert norm == pytest.approx(math.sqrt(100.0 + 0.25 + 9.0))
    assert clipped is True
    np.testing.assert_array_equal(grads["a"], [1.0, 0.5])
    np.testing.assert_array_equal(grads["b"], [-1.0])
    assert cosine(grads, before) < 0.99  # direction changed, unlike global-norm clipping


def test_clip_by_value_not_clipped():
    grads = {"a": np.array([0.5, -1.0])}
    norm, clipped = clip_by_value(grads, limit=1.0)
    assert clipped is False
    assert norm == pytest.approx(math.sqrt(1.25))
    np.testing.assert_array_equal(grads["a"], [0.5, -1.0])


def test_clip_by_value_hides_how_big_an_explosion_was():
    """Value clipping makes a gradient a million times too big indistinguishable from one
    slightly too big (and turns it); global-norm clipping keeps its direction."""
    huge = {"a": np.array([3e6, 4e6]), "b": np.array([0.5])}
    slight = {"a": np.array([3.0, 4.0]), "b": np.array([0.5])}
    norm_huge, _ = clip_by_value(huge, limit=1.0)
    norm_slight, _ = clip_by_value(slight, limit=1.0)
    np.testing.assert_array_equal(huge["a"], [1.0, 1.0])  # 3:4 became 1:1
    np.testing.assert_array_equal(huge["a"], slight["a"])
    np.testing.assert_array_equal(huge["b"], slight["b"])
    # only the returned norm (taken before clipping) still tells them apart
    assert norm_huge == pytest.approx(math.sqrt(25e12 + 0.25), rel=1e-12)
    assert norm_slight == pytest.approx(math.sqrt(25.25), rel=1e-12)

    by_norm = {"a": np.array([3e6, 4e6]), "b": np.array([0.5])}
    clip_by_global_norm(by_norm, max_norm=1.0)  # × 1/‖g‖ ≈ 1/(5·10⁶)
    np.testing.assert_allclose(by_norm["a"], [0.6, 0.8], rtol=1e-12)
    np.testing.assert_allclose(by_norm["b"], [1e-7], rtol=1e-12)


@pytest.mark.parametrize("fn", [clip_by_global_norm, clip_by_value])
@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_clipping_rejects_bad_threshold(fn, bad):
    with pytest.raises(ValueError):
        fn({"a": np.ones(2)}, bad)


# --------------------------------------------------------------------------------------
# One step of each optimizer, by hand
# --------------------------------------------------------------------------------------


def test_sgd_one_step():
    params = {"w": np.array([1.0, -2.0]), "b": np.array([0.5])}
    grads = {"w": np.array([0.5, 0.25]), "b": np.array([-1.0])}
    SGD(lr=0.1).update(params, grads)
    np.testing.assert_allclose(params["w"], [1.0 - 0.05, -2.0 - 0.025], rtol=1e-15)
    np.testing.assert_allclose(params["b"], [0.5 + 0.1], rtol=1e-15)
    np.testing.assert_array_equal(grads["w"], [0.5, 0.25])  # grads only read


def test_momentum_two_steps():
    params = {"w": np.array([1.0, -2.0])}
    opt = Momentum(lr=0.1, beta=0.9)
    opt.update(params, {"w": np.array([0.5, 0.25])})
    # v1 = g1 = [0.5, 0.25];  p1 = p0 − 0.1·v1
    np.testing.assert_allclose(params["w"], [0.95, -2.025], rtol=1e-14)
    opt.update(params, {"w": np.array([1.0, -1.0])})
    # v2 = 0.9·[0.5, 0.25] + [1, −1] = [1.45, −0.775];  p2 = p1 − 0.1·v2
    np.testing.assert_allclose(params["w"], [0.95 - 0.145, -2.025 + 0.0775], rtol=1e-14)
    np.testing.assert_allclose(opt.state_dict()["v/w"], [1.45, -0.775], rtol=1e-14)


def test_adam_bias_correction_first_step_is_lr_times_sign():
    params = {"w": np.array([1.0, 1.0, 1.0])}
    Adam(lr=0.1).update(params, {"w": np.array([0.5, -3.0, 1e-3])})
    # m̂ = g, v̂ = g² after bias correction → step = lr·g/(|g| + ε) ≈ lr·sign(g).
    # Without bias correction it would be lr·0.1g/(√0.001·|g|) ≈ 0.316 per entry.
    np.testing.assert_allclose(params["w"], [0.9, 1.1, 0.9], atol=2e-6)


def test_adam_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    params = {"w": np.array([1.0])}
    opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)

    g1, g2 = 0.5, 1.0
    opt.update(params, {"w": np.array([g1])})
    m1 = 0.1 * g1  # 0.05
    v1 = 0.001 * g1 * g1  # 0.00025
    p1 = 1.0 - lr * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + eps)
    assert params["w"][0] == pytest.approx(p1, rel=1e-12)

    opt.update(params, {"w": np.array([g2])})
    m2 = 0.9 * m1 + 0.1 * g2  # 0.145
    v2 = 0.999 * v1 + 0.001 * g2 * g2  # 0.00124975
    m_hat = m2 / (1 - 0.9**2)  # / 0.19
    v_hat = v2 / (1 - 0.999**2)  # / 0.001999
    p2 = p1 - lr * m_hat / (math.sqrt(v_hat) + eps)
    assert params["w"][0] == pytest.approx(p2, rel=1e-12)
    assert p1 - p2 == pytest.approx(0.0965, abs=1e-4)

    state = opt.state_dict()
    assert state["m/w"][0] == pytest.approx(0.145, rel=1e-12)
    assert state["v/w"][0] == pytest.approx(0.00124975, rel=1e-12)
    assert int(state["step"]) == 2


def test_rmsprop_two_steps_by_hand():
    params = {"w": np.array([1.0])}
    opt = RMSprop(lr=0.01, decay=0.99, eps=1e-8)
    opt.update(params, {"w": np.array([0.5])})
    # s1 = 0.01·0.25 = 0.0025, √s1 = 0.05 → step 0.01·0.5/0.05 = 0.1
    p1 = 1.0 - 0.01 * 0.5 / (0.05 + 1e-8)
    assert params["w"][0] == pytest.approx(p1, rel=1e-12)
    assert params["w"][0] == pytest.approx(0.9, rel=1e-6)
    opt.update(params, {"w": np.array([1.0])})
    s2 = 0.99 * 0.0025 + 0.01 * 1.0  # 0.012475
    p2 = p1 - 0.01 * 1.0 / (math.sqrt(s2) + 1e-8)
    assert params["w"][0] == pytest.approx(p2, rel=1e-12)
    assert opt.state_dict()["s/w"][0] == pytest.approx(0.012475, rel=1e-12)


# --------------------------------------------------------------------------------------
# Behaviour common to all optimizers
# --------------------------------------------------------------------------------------

# (name, lr, step budget) for f(p) = ½‖p − c‖²
CONVERGENCE = [("sgd", 0.1, 200), ("momentum", 0.05, 300), ("adam", 0.05, 400),
               ("rmsprop", 0.01, 1000)]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "lr", "steps"), CONVERGENCE)
def test_minimises_quadratic(name, lr, steps, dtype):
    c = np.array([1.5, -2.0, 0.25, 3.0, -0.75], dtype=dtype)
    params = {"p": np.zeros(5, dtype=dtype), "q": np.ones((2, 2), dtype=dtype)}
    opt = make_optimizer(name, lr)
    for _ in range(steps):
        grads = {"p": params["p"] - c, "q": params["q"] - 2.0}  # ∇ of ½‖p−c‖² + ½‖q−2‖²
        opt.update(params, grads)
    np.testing.assert_allclose(params["p"], c, atol=1e-3)
    np.testing.assert_allclose(params["q"], 2.0, atol=1e-3)
    assert opt.steps == steps


def _run(opt: Optimizer, params: dict, steps: int, seed: int) -> None:
    """A few updates with reproducible pseudo-random gradients."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        grads = {k: rng.standard_normal(v.shape).astype(v.dtype) for k, v in params.items()}
        opt.update(params, grads)


def _params(dtype=np.float64) -> dict:
    rng = np.random.default_rng(0)
    return {
        "W_hh": rng.standard_normal((3, 3)).astype(dtype),
        "b_h": rng.standard_normal(3).astype(dtype),
    }


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_updates_params_in_place(name):
    params = _params()
    objects = dict(params)
    before = copy_arrays(params)
    opt = make_optimizer(name, 0.1)
    _run(opt, params, 2, seed=1)
    for k in params:
        assert params[k] is objects[k]
        assert not np.array_equal(params[k], before[k])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_params_and_state_stay_float32(name):
    params = _params(np.float32)
    opt = make_optimizer(name, 0.01)
    _run(opt, params, 3, seed=1)
    assert all(v.dtype == np.float32 for v in params.values())
    state = opt.state_dict()
    assert state["step"].dtype == np.int64 and state["step"].shape == ()
    for key, value in state.items():
        if key != "step":
            assert value.dtype == np.float32, key


def test_state_dict_names():
    params = _params()
    expected = {
        "sgd": {"step"},
        "momentum": {"step", "v/W_hh", "v/b_h"},
        "adam": {"step", "m/W_hh", "m/b_h", "v/W_hh", "v/b_h"},
        "rmsprop": {"step", "s/W_hh", "s/b_h"},
    }
    for name in OPTIMIZERS:
        opt = make_optimizer(name, 0.1)
        _run(opt, copy_arrays(params), 1, seed=1)
        state = opt.state_dict()
        assert set(state) == expected[name]
        assert int(state["step"]) == 1
        for key, value in state.items():
            if key != "step":
                assert value.shape == params[key.split("/", 1)[1]].shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_round_trip_reproduces_next_update(name, dtype):
    params = _params(dtype)
    opt = make_optimizer(name, 0.05)
    _run(opt, params, 3, seed=1)
    state = opt.state_dict()
    params_b = copy_arrays(params)

    _run(opt, params, 2, seed=2)  # the original continues (must not alter `state`)
    fresh = make_optimizer(name, 0.05)
    fresh.load_state_dict(state)
    _run(fresh, params_b, 2, seed=2)

    for k in params:
        np.testing.assert_array_equal(params_b[k], params[k])
    assert fresh.steps == opt.steps == 5


def test_load_state_dict_into_used_optimizer_overwrites_state():
    params = _params()
    a, b = Adam(0.05), Adam(0.05)
    _run(a, params, 3, seed=1)
    _run(b, copy_arrays(params), 1, seed=9)
    b.load_state_dict(a.state_dict())
    sa, sb = a.state_dict(), b.state_dict()
    assert set(sa) == set(sb)
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])


@pytest.mark.parametrize("name", ["momentum", "adam", "rmsprop"])
def test_changing_lr_midway_keeps_state(name):
    params = _params()
    opt = make_optimizer(name, 0.05)
    twin = make_optimizer(name, 0.05)
    params_twin = copy_arrays(params)
    _run(opt, params, 3, seed=1)
    _run(twin, params_twin, 3, seed=1)

    state_before = opt.state_dict()
    opt.lr = 0.01
    assert opt.lr == 0.01
    state_after = opt.state_dict()
    for k in state_before:
        np.testing.assert_array_equal(state_after[k], state_before[k])

    # Next update uses the new lr with the old moments: same as a state-restored copy at 0.01 ...
    restored = make_optimizer(name, 0.01)
    restored.load_state_dict(twin.state_dict())
    params_restored = copy_arrays(params_twin)
    _run(opt, params, 1, seed=2)
    _run(restored, params_restored, 1, seed=2)
    for k in params:
        np.testing.assert_array_equal(params[k], params_restored[k])

    # ... and unlike a fresh optimizer at 0.01 (which would have lost the moments).
    fresh = make_optimizer(name, 0.01)
    params_fresh = copy_arrays(params_twin)
    _run(fresh, params_fresh, 1, seed=2)
    assert not np.allclose(params_fresh["W_hh"], params["W_hh"])


def test_changing_lr_applies_from_next_update():
    params = {"w": np.array([1.0])}
    opt = SGD(0.1)
    opt.update(params, {"w": np.array([1.0])})
    opt.lr = 0.5
    opt.update(params, {"w": np.array([1.0])})
    assert params["w"][0] == pytest.approx(1.0 - 0.1 - 0.5)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_step_allocates_no_parameter_sized_arrays(name):
    """After the first update has built the buffers, updates (and an lr change between them)
    allocate nothing the size of the parameters: numpy reports its array memory to
    tracemalloc, and one temporary of W alone would be 2 MB."""
    params = {"W": np.zeros((500, 500)), "b": np.zeros(500)}
    grads = {k: np.full_like(v, 0.5) for k, v in params.items()}
    opt = make_optimizer(name, 0.01)
    opt.update(params, grads)
    tracemalloc.start()
    try:
        for lr in (0.01, 0.02, 0.005):
            opt.lr = lr
            opt.update(params, grads)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100_000, f"{name}: {peak:,} bytes allocated during three updates"
    assert opt.steps == 4


@pytest.mark.parametrize("name", ["momentum", "adam", "rmsprop"])
def test_state_dict_is_a_snapshot(name):
    """The state_dict taken at step 3 stays as it was while the optimizer goes on, and
    editing it does not reach the optimizer."""
    params = _params()
    opt = make_optimizer(name, 0.05)
    _run(opt, params, 3, seed=1)
    state = opt.state_dict()
    kept = copy_arrays(state)
    _run(opt, params, 2, seed=2)
    for key in kept:
        np.testing.assert_array_equal(state[key], kept[key])

    live = opt.state_dict()
    for key, value in opt.state_dict().items():
        if key != "step":
            value[...] = 1e6  # vandalise a fresh snapshot
    for key, value in opt.state_dict().items():
        np.testing.assert_array_equal(value, live[key])


def test_loaded_state_is_copied_in():
    """Editing the dict after loading it does not change what the optimizer does next."""
    params = {"w": np.array([1.0, -2.0])}
    opt = Momentum(lr=0.1, beta=0.5)
    source = {"v/w": np.array([1.0, -2.0]), "step": np.array(7)}
    opt.load_state_dict(source)
    source["v/w"][...] = 100.0
    opt.update(params, {"w": np.array([1.0, 1.0])})
    # v = 0.5·[1, −2] + [1, 1] = [1.5, 0];  p = p − 0.1·v
    np.testing.assert_allclose(params["w"], [1.0 - 0.15, -2.0], rtol=1e-15)
    assert opt.steps == 8


def test_adam_resumes_its_bias_correction_from_a_loaded_state():
    """Adam loaded with the state after one step (m = 0.05, v = 0.00025, step 1) takes the
    same second step as the Adam that took the first (test_adam_two_steps_by_hand); loaded
    with the same moments at step 100, its bias correction is nearly gone and the step
    differs: the step count round-trips and is used."""
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    m1, v1, g2 = 0.05, 0.00025, 1.0
    m2, v2 = 0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2 * g2  # 0.145, 0.00124975
    taken = {}
    for step in (1, 100):
        opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
        opt.load_state_dict({"m/w": np.array([m1]), "v/w": np.array([v1]), "step": np.array(step)})
        params = {"w": np.array([0.5])}
        opt.update(params, {"w": np.array([g2])})
        t = step + 1
        m_hat, v_hat = m2 / (1 - b1**t), v2 / (1 - b2**t)
        expected = 0.5 - lr * m_hat / (math.sqrt(v_hat) + eps)
        assert params["w"][0] == pytest.approx(expected, rel=1e-12), step
        taken[t] = 0.5 - params["w"][0]
        state = opt.state_dict()
        assert int(state["step"]) == t
        assert state["m/w"][0] == pytest.approx(m2, rel=1e-12)
        assert state["v/w"][0] == pytest.approx(v2, rel=1e-12)
    # t = 2: 0.1 · (0.145/0.19) / √(0.00124975/0.001999) ≈ 0.0965 (as after two real steps);
    # t = 101: m̂ ≈ m, v̂ = v/0.0961 → 0.1 · 0.145 / 0.1140 ≈ 0.1272
    assert taken[2] == pytest.approx(0.0965, abs=1e-4)
    assert taken[101] == pytest.approx(0.1272, abs=1e-4)


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def test_load_state_dict_rejects_wrong_shape_after_a_step():
    params = _params()
    opt = Adam(0.01)
    _run(opt, params, 1, seed=1)
    state = opt.state_dict()
    state["m/W_hh"] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"m/W_hh.*shape"):
        opt.load_state_dict(state)


def test_load_state_dict_rejects_inconsistent_shapes_when_fresh():
    state = Adam(0.01).state_dict()
    state.update({"m/w": np.zeros(3), "v/w": np.zeros(4)})
    with pytest.raises(ValueError, match="shape"):
        Adam(0.01).load_state_dict(state)


def test_fresh_load_then_update_with_other_shapes_raises_without_changing_params():
    opt = Momentum(0.1)
    opt.load_state_dict({"v/w": np.zeros(3), "step": np.array(4)})
    params = {"w": np.ones(2)}
    with pytest.raises(ValueError, match="shape"):
        opt.update(params, {"w": np.ones(2)})
    np.testing.assert_array_equal(params["w"], [1.0, 1.0])
    assert opt.steps == 4


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda s: s.pop("v/b_h"), "missing"),
        (lambda s: s.pop("step"), "step"),
        (lambda s: s.__setitem__("x/W_hh", np.zeros((3, 3))), "unexpected"),
        (lambda s: s.__setitem__("W_hh", np.zeros((3, 3))), "unexpected"),
        (lambda s: s.__setitem__("step", np.array([1, 2])), "step"),
        (lambda s: s.__setitem__("step", np.array(1.5)), "step"),
    ],
)
def test_load_state_dict_rejects_bad_names(change, pattern):
    params = _params()
    opt = Adam(0.01)
    _run(opt, params, 1, seed=1)
    state = opt.state_dict()
    change(state)
    with pytest.raises(ValueError, match=pattern):
        opt.load_state_dict(state)


def test_load_state_dict_rejects_other_optimizers_state():
    params = _params()
    mom = Momentum(0.1)
    _run(mom, params, 1, seed=1)
    with pytest.raises(ValueError):
        Adam(0.1).load_state_dict(mom.state_dict())  # "v/" only, "m/" missing
    with pytest.raises(ValueError):
        RMSprop(0.1).load_state_dict(mom.state_dict())


def test_update_rejects_mismatched_grads():
    opt = SGD(0.1)
    with pytest.raises(ValueError, match="missing"):
        opt.update({"a": np.ones(2), "b": np.ones(2)}, {"a": np.ones(2)})
    with pytest.raises(ValueError, match="shape"):
        opt.update({"a": np.ones(2)}, {"a": np.ones(3)})


def test_update_rejects_new_parameter_names_after_first_step():
    opt = Adam(0.1)
    opt.update({"a": np.ones(2)}, {"a": np.ones(2)})
    with pytest.raises(ValueError):
        opt.update({"b": np.ones(2)}, {"b": np.ones(2)})


@pytest.mark.parametrize("bad_lr", [-0.1, math.nan, math.inf])
def test_rejects_bad_lr(bad_lr):
    with pytest.raises(ValueError, match="lr"):
        SGD(bad_lr)
    opt = SGD(0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = bad_lr
    assert opt.lr == 0.1


def test_rejects_bad_hyperparameters():
    with pytest.raises(ValueError, match="beta"):
        Momentum(0.1, beta=1.0)
    with pytest.raises(ValueError, match="beta2"):
        Adam(0.1, beta2=-0.5)
    with pytest.raises(ValueError, match="eps"):
        Adam(0.1, eps=0.0)
    with pytest.raises(ValueError, match="decay"):
        RMSprop(0.1, decay=1.5)


# --------------------------------------------------------------------------------------
# make_optimizer
# --------------------------------------------------------------------------------------


def test_make_optimizer_names_and_classes():
    classes = {"sgd": SGD, "momentum": Momentum, "adam": Adam, "rmsprop": RMSprop}
    assert set(OPTIMIZERS) == set(classes)
    for name in OPTIMIZERS:
        opt = make_optimizer(name, 0.02)
        assert type(opt) is classes[name]
        assert isinstance(opt, Optimizer)
        assert opt.name == name
        assert opt.lr == 0.02


def test_make_optimizer_passes_kwargs():
    opt = make_optimizer("adam", 0.001, beta1=0.8, eps=1e-6)
    assert (opt.beta1, opt.beta2, opt.eps) == (0.8, 0.999, 1e-6)
    assert make_optimizer("momentum", 0.1, beta=0.5).beta == 0.5
    assert make_optimizer("rmsprop", 0.1, decay=0.9).decay == 0.9


def test_make_optimizer_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="sgd, momentum, adam, rmsprop"):
        make_optimizer("adagrad", 0.1)


def test_parameters_of_mixed_dtypes_are_refused():
    from rnn_core.optim import Adam

    params = {"a": np.zeros(3, np.float32), "b": np.zeros(2, np.float64)}
    grads = {k: np.ones_like(v) for k, v in params.items()}
    with pytest.raises(ValueError, match="one dtype"):
        Adam(0.1).update(params, grads)
    np.testing.assert_array_equal(params["a"], 0.0)  # nothing changed
