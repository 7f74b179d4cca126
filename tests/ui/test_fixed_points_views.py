"""The Dynamics lab's fixed and slow points: the search's definitions on networks whose fixed
points are known, the numbers and words of the verdict, and the figures read back as data."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from rnn_core.model import ModelConfig, RNNModel
from rnn_core.probes import PCA
from rnn_core.tasks import load_task
from tests.plotly_spec import decode, sent
from ui.services import fixed_points as FP
from ui.services.fixed_points import NO_INPUT, PointSet, Search, find_points, read_search
from ui.views import fixed_points as V
from ui.views.analysis import StateMap
from ui.views.figure_kit import summary_of


def _model(cell="rnn", H=2, D=1, O=2):
    cfg = ModelConfig(cell=cell, hidden_size=H, input_size=D, output_size=O)
    return RNNModel.create(cfg, np.random.default_rng(0), dtype=np.float64)


def _two_unit_tanh():
    """h' = tanh(2 h) on 2 uncoupled units, whatever the input: fixed points at 0 (unstable)
    and ±a, a = tanh(2a) ≈ 0.9575 (stable), in every combination."""
    m = _model()
    m.params["l0.W_hh"][:] = np.diag([2.0, 2.0])
    m.params["l0.W_xh"][:] = 0.0
    m.params["l0.b_h"][:] = 0.0
    a = 1.0
    for _ in range(100):
        t = np.tanh(2 * a)
        a -= (a - t) / (1 - 2 * (1 - t * t))
    return m, a


def _fake_task(inputs):
    """What find_points reads of a task: its test inputs and mask."""
    inputs = np.asarray(inputs)
    test = SimpleNamespace(inputs=inputs, mask=np.ones(inputs.shape, bool))
    return SimpleNamespace(data=SimpleNamespace(test=test), encoder=None)


def _point_set(points, *, fixed, stable=None, S=None, eig=None, slow=None, kind="slow points"):
    points = np.asarray(points, np.float64)
    K, S = points.shape
    return PointSet(
        points=points,
        speeds=np.linspace(1e-9, 1e-4, K),
        eigenvalues=np.asarray(eig if eig is not None else np.full((K, S), 0.5 + 0j)),
        near_one=np.zeros(K, int),
        slow_direction=np.asarray(slow if slow is not None else np.eye(S)[np.zeros(K, int)]),
        stable=np.asarray(stable if stable is not None else np.ones(K, bool)),
        fixed=np.asarray(fixed, bool),
        starts=K,
        searched=K,
        seconds=0.0,
        kind=kind,
        input=NO_INPUT,
    )


# ----------------------------------------------------------------------------- the search


def test_fixed_points_of_a_known_network_and_their_stability(monkeypatch):
    m, a = _two_unit_tanh()
    # the network's own trajectories start at 0, the unstable point, and stay there: the
    # starts are a grid around every fixed point instead
    task = _fake_task(np.zeros((2, 3), int))
    grid = np.array([[u, v] for u in (-1.2, -0.05, 0.05, 1.2) for v in (-1.2, -0.05, 0.05, 1.2)])
    monkeypatch.setattr(FP, "sample_starts", lambda *args, **kw: grid)
    ps = find_points(m, task, Search(kind="fixed points"), None)
    assert ps.fixed.all() and len(ps) == 9
    want = sorted((i * a, j * a) for i in (-1, 0, 1) for j in (-1, 0, 1))
    got = sorted(map(tuple, np.round(ps.points, 6)))  # ±1e-10 around 0 would sort apart
    np.testing.assert_allclose(got, want, atol=1e-6)
    corners = np.all(np.abs(ps.points) > 0.5, axis=1)
    np.testing.assert_array_equal(ps.stable, corners)  # stable only at (±a, ±a)
    assert (ps.speeds <= FP.FIXED_SPEED).all()


def test_slow_points_are_early_stopped_states_slower_than_the_threshold_and_not_fixed(
    monkeypatch,
):
    m, _ = _two_unit_tanh()
    task = _fake_task(np.zeros((2, 3), int))
    starts = np.array([[0.5, 0.5], [0.3, -0.6], [0.95, 0.95], [-0.7, 0.2]])
    monkeypatch.setattr(FP, "sample_starts", lambda *args, **kw: starts)
    slow = find_points(m, task, Search(kind="slow points"), None)
    fixed = find_points(m, task, Search(kind="fixed points"), None)
    np.testing.assert_array_equal(slow.points[slow.fixed], fixed.points)  # fixed ones first
    extra = slow.points[~slow.fixed]
    assert len(extra) >= 1
    assert (slow.speeds[~slow.fixed] <= FP.SLOW_SPEED).all()
    assert (slow.speeds[~slow.fixed] > FP.FIXED_SPEED).all()
    gaps = np.linalg.norm(extra[:, None] - fixed.points[None], axis=2)
    assert (gaps >= FP.SLOW_DEDUP).all()  # none of them is a fixed point again


def test_the_time_budget_stops_after_the_first_chunk_and_says_so():
    m, _ = _two_unit_tanh()
    task = _fake_task(np.zeros((40, 5), int))
    ps = find_points(m, task, Search(kind="fixed points"), None, budget=0.0, n_starts=64)
    assert (ps.starts, ps.searched) == (64, 8)  # one chunk: 64 starts report 8 times
    words = V.verdict(V.line_numbers(ps, m))
    assert "ran from 8 of 64 visited states" in words
    seen = []
    full = find_points(m, task, Search(kind="fixed points"), None, progress=seen.append)
    assert full.searched == full.starts == FP.N_STARTS
    np.testing.assert_allclose(seen, np.arange(1, 9) / 8)  # chunks of CHUNK = 16


def test_more_than_one_layer_is_refused():
    cfg = ModelConfig(cell="gru", hidden_size=4, input_size=3, num_layers=2)
    m = RNNModel.create(cfg, np.random.default_rng(0))
    with pytest.raises(ValueError, match="single-layer"):
        find_points(m, _fake_task(np.zeros((2, 3), int)), Search(), None)


def test_starts_shrink_for_big_states():
    assert FP.starts_for(32) == FP.starts_for(64) == FP.N_STARTS
    assert FP.starts_for(128) == FP.N_STARTS // 8
    assert FP.starts_for(10_000) == FP.MIN_STARTS


def test_input_options_and_ids_round_trip_and_leave_out_pad_and_unk():
    task = load_task("sentiment")
    opts = V.input_options(task)
    assert opts[0] == NO_INPUT and "<pad>" not in opts and "<unk>" not in opts
    assert "good" in opts and "bad" in opts
    assert task.encoder.vocab[V.input_id(task, "good")] == "good"
    assert V.input_id(task, NO_INPUT) is None
    assert V.input_id(task, "no such word") is None
    assert V.input_options(load_task("sine")) == (NO_INPUT,)
    chars = V.input_options(load_task("chars"))
    assert "␣" in chars and " " not in chars  # a space shown as one can see it


@pytest.mark.parametrize("bad", ["zap", "", "9999", None, "1e309"])
def test_read_search_keeps_the_default_for_values_the_controls_cannot_show(bad):
    got = read_search({"fp_kind": bad, "fp_eigen": bad})
    assert (got.kind, got.eigen) == (Search().kind, Search().eigen)
    assert read_search({"fp_kind": "fixed points", "fp_eigen": "3"}) == Search(
        kind="fixed points", eigen="3"
    )


# ----------------------------------------------------------------------------- numbers


def test_line_numbers_measure_the_line_its_readout_angle_and_where_the_fixed_point_sits():
    m = _model(H=3, O=2)
    m.params["W_hy"][:] = 0.0
    m.params["W_hy"][:, 1] = [1.0, 1.0, 0.0]  # readout direction (1, 1, 0)/√2
    t = np.linspace(0.0, 1.0, 11)[:, None]
    pts = t * np.array([[1.0, 0.0, 0.0]]) + np.array([[0.0, 0.0, 0.2]])  # a line along x
    fixed = np.zeros(11, bool)
    fixed[0] = True  # at one end
    ps = _point_set(pts, fixed=fixed, slow=np.tile([1.0, 0.0, 0.0], (11, 1)))
    n = V.line_numbers(ps, m)
    assert (n.n_fixed, n.n_stable, n.n_slow) == (1, 1, 10)
    assert n.pc1_share == pytest.approx(1.0)
    assert n.cos_readout == pytest.approx(1 / np.sqrt(2))
    assert n.slow_along == pytest.approx(1.0)
    assert n.fixed_place == pytest.approx(0.0)
    assert n.shape == "line"
    # the fixed point in the middle of the line
    mid = pts[[5, 0, 1, 2, 3, 4, 6, 7, 8, 9, 10]]
    assert V.line_numbers(_point_set(mid, fixed=fixed), m).fixed_place == pytest.approx(0.5)


def test_readout_direction_is_the_class_difference_for_two_classes_else_the_top_singular():
    m = _model(H=3, O=2)
    m.params["W_hy"][:] = [[1.0, 3.0], [0.0, 0.0], [2.0, 2.0]]
    np.testing.assert_allclose(V.readout_direction(m), [1.0, 0.0, 0.0])
    m3 = _model(H=3, O=3)
    m3.params["W_hy"][:] = 0.0
    m3.params["W_hy"][2, :] = [1.0, -2.0, 0.5]
    np.testing.assert_allclose(np.abs(V.readout_direction(m3)), [0.0, 0.0, 1.0], atol=1e-12)


def _numbers(**changes):
    base = V.LineNumbers(
        input=NO_INPUT,
        kind="slow points",
        starts=128,
        searched=128,
        n_fixed=1,
        n_stable=1,
        n_slow=97,
        pc1_share=0.977,
        pc2_share=0.01,
        slow_along=0.9,
        fixed_place=0.02,
        cos_readout=0.47,
        cos_of="line",
        near_one=1,
        top_abs=0.995,
        fixed_top_abs=0.97,
    )
    return dataclasses.replace(base, **changes)


def test_verdict_of_a_line_of_slow_points_ending_in_one_fixed_point():
    words = V.verdict(_numbers())
    assert "**1 fixed point** (stable) and **97 slow points**" in words
    assert "lie along a line (98% of their spread on one direction)" in words
    assert "it ends in the stable fixed point" in words
    assert "1 eigenvalue ≈ 1" in words and "counts evidence along it" in words
    assert "|cos| 0.47 to the readout direction" in words and "only partly" in words
    assert "fades by half in ≈ 22.8 steps" in words  # ln 0.5 / ln 0.97


def test_verdict_follows_the_numbers_not_the_task():
    scattered = V.verdict(_numbers(pc1_share=0.4, pc2_share=0.2))
    assert "scattered" in scattered and "counts evidence" not in scattered
    assert "lie along" not in scattered
    bent = V.verdict(_numbers(pc1_share=0.7, pc2_share=0.25))
    assert "bending into a second (25%)" in bent
    middle = V.verdict(_numbers(fixed_place=0.5))
    assert "with the stable fixed point on it" in middle and "ends in" not in middle
    across = V.verdict(_numbers(slow_along=0.2))
    assert "counts evidence" not in across and "drifts along it" not in across
    no_near = V.verdict(_numbers(near_one=0))
    assert "counts evidence" not in no_near
    aligned = V.verdict(_numbers(cos_readout=0.93))
    assert "runs along the readout direction (|cos| 0.93)" in aligned
    askew = V.verdict(_numbers(cos_readout=0.1))
    assert "nearly at right angles" in askew


def test_verdict_without_points_and_with_fixed_points_only():
    none = V.verdict(_numbers(n_fixed=0, n_stable=0, n_slow=0, pc1_share=None, cos_readout=None))
    assert "no fixed point and no slow point" in none and "keeps moving" in none
    only = V.verdict(
        _numbers(kind="fixed points", n_fixed=3, n_stable=2, n_slow=0, pc1_share=None,
                 cos_of="slow direction", cos_readout=0.1)
    )  # fmt: skip
    assert "**3 fixed points** (2 stable, 1 unstable)" in only
    assert "slow point" not in only.replace("slowest point", "")
    assert "The slowest point's slow direction is nearly at right angles" in only
    assert "reading “\\*” again" in V.verdict(_numbers(input="*"))  # Markdown shown as typed


def test_half_life():
    assert V.push_words(1.0) == "stays"
    assert V.half_life(0.5) == pytest.approx(1.0)
    assert V.half_life(1.0) == np.inf
    assert V.half_life(0.0) == 0.0


# ----------------------------------------------------------------------------- figures


def _state_map(H):
    comps = np.zeros((2, H))
    comps[0, 0] = comps[1, 1] = 1.0
    pca = PCA(np.full(H, 0.1), comps, np.array([0.6, 0.3]))
    return StateMap(pca, np.array([[0.0, 0.0], [0.5, 0.5]]), None)


def test_points_map_draws_each_point_where_the_pca_puts_its_h_and_its_slow_direction():
    m = _model(cell="lstm", H=2, D=3, O=3)  # state (h, c): the map shows h
    pts = np.array([[0.5, -0.2, 9.0, 9.0], [0.1, 0.3, -9.0, 9.0], [0.4, 0.4, 0.0, 0.0]])
    slow = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.6, 0.8, 0.0], [0.0, 0.0, 1.0, 0.0]])
    ps = _point_set(pts, fixed=[True, False, False], stable=[False, True, True], slow=slow)
    task = SimpleNamespace(class_names=())
    trace = m.trace(np.array([0, 1, 2]))
    fig = sent(V.points_map(m, task, _state_map(2), trace, ["a", "b", "c"], ps, chosen=1))
    by = {t.get("name"): t for t in fig["data"]}
    slow_xy = np.c_[decode(by["slow points"]["x"]), decode(by["slow points"]["y"])]
    np.testing.assert_allclose(slow_xy, pts[1:, :2] - 0.1, atol=1e-6)
    un = by["fixed point, unstable"]
    np.testing.assert_allclose([decode(un["x"])[0], decode(un["y"])[0]], [0.4, -0.3], atol=1e-6)
    assert un["marker"]["symbol"] == "diamond-open"
    assert un["customdata"][0] == [1, "fixed point, unstable", "1e-09", 0, "0.500"]
    assert "speed q = %{customdata[2]}" in un["hovertemplate"]
    assert "eigenvalues ≈ 1: %{customdata[3]}" in un["hovertemplate"]
    assert "fixed point, stable" not in by
    seg = np.c_[decode(by["slow direction"]["x"]), decode(by["slow direction"]["y"])]
    lengths = np.linalg.norm(seg[1::3] - seg[0::3], axis=1)
    # in-plane length ∝ the direction's h part: 1, 0.6, 0 (the third points out of the plane)
    np.testing.assert_allclose(lengths / lengths[0], [1.0, 0.6, 0.0], atol=1e-6)
    ring = by["point 2 (eigenvalues shown)"]
    np.testing.assert_allclose(decode(ring["x"]), [0.0], atol=1e-6)
    summary = summary_of(fig)
    assert "Over it: 1 fixed point (0 stable) and 2 slow points" in summary
    empty = _point_set(np.zeros((0, 4)), fixed=[])
    bare = sent(V.points_map(m, task, _state_map(2), trace, ["a", "b", "c"], empty))
    assert not {"slow points", "slow direction"} & {t.get("name") for t in bare["data"]}
    assert summary_of(bare).endswith("No fixed or slow point to draw over it.")
    assert "their slow directions keep 60% of their length in this plane" in summary


def test_points_eigenvalues_all_and_one():
    eig = np.array([[0.99 + 0j, 0.5 + 0.2j], [1.2 + 0j, 0.1 - 0.3j]])
    ps = _point_set(np.zeros((2, 2)), fixed=[True, False], eig=eig)
    fig = sent(V.points_eigenvalues(ps, np.array([0.0, 1.0])))
    by = {t.get("name"): t for t in fig["data"]}
    fixed, slow = by["at fixed points"], by["at slow points"]
    np.testing.assert_allclose(decode(fixed["x"]), eig[0].real, atol=1e-6)
    np.testing.assert_allclose(decode(slow["y"]), eig[1].imag, atol=1e-6)
    np.testing.assert_allclose(decode(slow["marker"]["color"]), [1.0, 1.0])
    assert (
        str(slow["customdata"][0][0]) == "2" and slow["customdata"][0][3] == "grows ×1.2 per step"
    )
    assert slow["customdata"][1][3] == "fades by half in 0.602 steps"  # |0.1 − 0.3i|
    assert fig["layout"]["title"]["text"] == "Eigenvalues at all 2 points"
    assert "1 outside the unit circle" in summary_of(fig)
    assert "the largest |λ| is 1.200 (point 2)" in summary_of(fig)
    one = sent(V.points_eigenvalues(ps, None, chosen=0))
    names = [t.get("name") for t in one["data"]]
    assert "at slow points" not in names
    assert one["layout"]["title"]["text"] == "Eigenvalues at point 1 (fixed)"
    assert "0 outside the unit circle" in summary_of(one)
    # the words name the point, as the title does ("at point" alone read as a typo)
    assert summary_of(fig).startswith("2 eigenvalues at each of 2 points: ")
    assert summary_of(one).startswith("2 eigenvalues at point 1: ")
    two = sent(V.points_eigenvalues(ps, None, chosen=1))
    assert summary_of(two).startswith("2 eigenvalues at point 2: ")
    alone = _point_set(np.zeros((1, 2)), fixed=[True], eig=eig[:1])
    only = sent(V.points_eigenvalues(alone, np.array([0.0])))  # "all points", and there is one
    assert only["layout"]["title"]["text"] == "Eigenvalues at point 1 (fixed)"
    assert summary_of(only).startswith("2 eigenvalues at point 1: ")
    none = sent(V.points_eigenvalues(_point_set(np.zeros((0, 2)), fixed=[]), None))
    assert none["layout"]["title"]["text"] == "Eigenvalues: no point was found"
    assert [t["name"] for t in none["data"]] == ["unit circle |λ| = 1", "≈ 1 (|λ − 1| < 0.05)"]
    assert summary_of(none) == "No point, so no eigenvalues to draw."


def test_points_table_lists_the_first_points():
    eig = np.array([[0.97 + 0j, 0.1 + 0j], [1.01 + 0j, 0.1 + 0j]])
    ps = _point_set(np.zeros((2, 2)), fixed=[True, False], eig=eig)
    table = V.points_table(ps)
    assert table["what"] == ["fixed, stable", "slow"]
    assert table["largest |λ|"] == ["0.970", "1.010"]
    assert table["half-life (steps)"] == ["22.8", "grows"]
    assert len(V.points_table(ps, rows=1)["point"]) == 1
