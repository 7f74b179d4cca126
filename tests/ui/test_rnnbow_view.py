"""The RNNbow view (ui/views/rnnbow.py): the stacking that sums to ‖∂L/∂h_t‖, the chart's bands
and hovers, and the words computed from the split."""

from __future__ import annotations

import numpy as np
import pytest

from ui.views import rnnbow
from ui.views.figure_kit import summary_of
from ui.views.html import sequential_rgb


def random_split(S=6, T=6, H=5, seed=0):
    """Parts (S, T, H) that respect causality (zero for t > s) and their total."""
    rng = np.random.default_rng(seed)
    parts = rng.normal(size=(S, T, H))
    for s in range(S):
        parts[s, s + 1 :] = 0.0
    return parts, parts.sum(axis=0)


def bars(fig):
    return [t for t in fig.data if t.type == "bar"]


def stacked(fig, T):
    """The drawn bands summed at each step (what the stacked bars add up to)."""
    out = np.zeros(T)
    for t in bars(fig):
        out[np.asarray(t.x)] += np.asarray(t.y, np.float64)
    return out


# ----------------------------------------------------------------------------- numbers


def test_projections_sum_exactly_to_the_norm_of_the_total():
    parts, total = random_split()
    c = rnnbow.projections(parts, total)
    norm = np.linalg.norm(total, axis=1)
    np.testing.assert_allclose(c.sum(axis=0), norm, rtol=1e-12)
    # the norms of the parts do not: that is why the chart stacks projections
    assert not np.allclose(np.linalg.norm(parts, axis=2).sum(axis=0), norm, rtol=1e-3)
    # a loss never reaches a later step
    assert np.all(c[np.tril_indices(6, -1)[::-1]] == 0.0)


def test_a_part_against_the_total_projects_below_zero():
    parts = np.array([[[3.0, 0.0]], [[-1.0, 1.0]]])  # S=2, T=1, H=2
    c = rnnbow.projections(parts, parts.sum(axis=0))  # total (2, 1), norm √5
    u = np.array([2.0, 1.0]) / np.sqrt(5)
    np.testing.assert_allclose(c[:, 0], [3.0 * u[0], -u[0] + u[1]])
    assert c[1, 0] < 0 and c.sum() == pytest.approx(np.sqrt(5))


def test_a_step_without_gradient_gets_zero_shares():
    parts = np.zeros((2, 3, 4))
    parts[1, :2] = 1.0
    c = rnnbow.projections(parts, parts.sum(axis=0))
    assert c[:, 2].tolist() == [0.0, 0.0]
    assert rnnbow.step_reach(c, [0, 1], np.linalg.norm(parts.sum(0), axis=1))[2] == -1


def test_source_groups_are_contiguous_and_cover_every_source():
    groups = rnnbow.source_groups(np.arange(10)[::-1], max_bands=4)
    assert [g.tolist() for g in groups] == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    assert [g.tolist() for g in rnnbow.source_groups([2, 0, 1])] == [[0], [1], [2]]


def local(T, ahead):
    """Contributions where each step's gradient comes equally from its own loss and the
    next ``ahead`` ones (the last steps from what is left)."""
    c = np.zeros((T, T))
    for t in range(T):
        srcs = range(t, min(T, t + ahead + 1))
        for s in srcs:
            c[s, t] = 1.0 / len(srcs)
    return c, c.sum(axis=0)


def test_step_reach_and_quiet_beyond_measure_how_far_ahead_the_gradient_comes_from():
    c, total = local(10, 2)
    reach = rnnbow.step_reach(c, np.arange(10), total)
    assert reach.tolist() == [2, 2, 2, 2, 2, 2, 2, 2, 1, 0]  # 80% needs all three (⅔ < 0.8)
    assert rnnbow.quiet_beyond(c, np.arange(10), total) == 2
    np.testing.assert_allclose(rnnbow.far_share(c, np.arange(10), total, 1)[:8], 1 / 3)


# ----------------------------------------------------------------------------- the chart


def test_the_chart_stacks_one_band_per_source_and_they_sum_to_the_total():
    parts, total = random_split(S=5, T=5)
    c = rnnbow.projections(parts, total)
    norm = np.linalg.norm(total, axis=1)
    tokens = list("hello")
    fig = rnnbow.rnnbow_chart(c, np.arange(5), norm, tokens, list("ello!"))
    assert fig.layout.barmode == "relative"
    assert len(bars(fig)) == 5
    np.testing.assert_allclose(stacked(fig, 5), norm, rtol=1e-5)
    (tick,) = [t for t in fig.data if t.name and t.name.startswith("‖∂L/∂h_t‖")]
    np.testing.assert_allclose(np.asarray(tick.y, np.float64), norm, rtol=1e-6)
    first, last = bars(fig)[0], bars(fig)[-1]
    # source s reaches steps 0..s only; its hover names it and what its loss predicts
    assert list(first.x) == [0] and list(last.x) == [0, 1, 2, 3, 4]
    assert first.name == "from the loss at step 0, predicting 'e'"
    assert last.name == "from the loss at step 4, predicting '!'"
    assert "%{customdata:.0%}" in first.hovertemplate
    np.testing.assert_allclose(np.asarray(last.customdata), c[4] / norm, rtol=1e-5)
    # coloured along the sequential scale by s: dark first, yellow last
    assert first.marker.color == sequential_rgb(0.0) and last.marker.color == sequential_rgb(1.0)
    (key,) = [t for t in fig.data if t.type == "scatter" and t.marker.showscale]
    assert (key.marker.cmin, key.marker.cmax) == (0, 4)  # the colour bar names s = 0 … T − 1
    assert "5 steps" in summary_of(fig) and "add up to the total" in summary_of(fig)
    assert fig.layout.yaxis.title.text and fig.layout.xaxis.title.text


def test_many_sources_are_grouped_into_bands_that_still_sum_to_the_total():
    T = 100
    parts, total = random_split(S=T, T=T, H=3, seed=2)
    c = rnnbow.projections(parts, total)
    norm = np.linalg.norm(total, axis=1)
    fig = rnnbow.rnnbow_chart(c, np.arange(T), norm)
    assert len(bars(fig)) == rnnbow.MAX_BANDS
    assert bars(fig)[0].name == "from the losses at steps 0–1"
    np.testing.assert_allclose(stacked(fig, T), norm, rtol=1e-4, atol=1e-6)


def test_a_single_source_is_one_band_equal_to_the_total():
    norm = np.array([0.1, 0.2, 0.5])
    fig = rnnbow.rnnbow_chart(norm[None], [2], norm, targets=["", "", "positive"])
    (band,) = bars(fig)
    assert band.name == "from the loss at step 2, predicting 'positive'"
    assert not [t for t in fig.data if t.type == "scatter" and t.marker.showscale]
    np.testing.assert_allclose(np.asarray(band.y, np.float64), norm, rtol=1e-6)


def test_the_chart_refuses_mismatched_shapes():
    with pytest.raises(ValueError):
        rnnbow.rnnbow_chart(np.zeros((2, 3)), [0, 1, 2], np.ones(3))


# ----------------------------------------------------------------------------- words


def test_words_for_a_gradient_that_comes_from_its_own_step():
    c, total = local(8, 0)
    text = rnnbow.where_from_words(c, np.arange(8), total)
    assert "from the loss at that very step" in text
    fig = rnnbow.rnnbow_chart(c, np.arange(8), total)
    assert "80% of it comes from that step's own loss" in summary_of(fig)
    assert "Later losses each send less than 1%" in text
    assert "farthest" not in text and "push the other way" not in text


def test_words_name_how_far_ahead_and_where_it_stops():
    c, total = local(12, 2)
    text = rnnbow.where_from_words(c, np.arange(12), total)
    assert "steps t to t + 2 (the median over 12 steps)" in text
    assert "Losses more than 2 steps later contribute less than 1% at every step" in text


def test_words_name_the_step_whose_gradient_comes_from_farthest():
    c, _ = local(10, 1)
    c[:, 3] = 0.0
    c[3, 3], c[9, 3] = 0.1, 0.9  # step 3 hears mostly the last loss
    tokens, targets = list("abcdefghij"), list("bcdefghij!")
    text = rnnbow.where_from_words(c, np.arange(10), c.sum(axis=0), tokens, targets)
    assert "farthest at step 3 ('d')" in text
    assert "steps 3–9" in text
    assert "90%, from the loss at step 9, predicting '!'" in text
    assert "Losses more than 6 steps later" in text  # the loss at 9 is 6 steps after 3


def test_words_name_a_loss_that_pushes_back():
    c, _ = local(6, 1)
    c[4, 2] = -0.3  # the loss at step 4 pulls step 2 the other way
    c[2, 2] += 0.3  # (its own loss makes up for it)
    text = rnnbow.where_from_words(c, np.arange(6), c.sum(axis=0))
    assert "at step 2 the loss at step 4 takes back 30%" in text


def test_words_without_any_gradient_say_so():
    text = rnnbow.where_from_words(np.zeros((3, 3)), np.arange(3), np.zeros(3))
    assert text.startswith("No gradient reaches")


def test_one_source_words_name_the_last_step_and_its_answer():
    text = rnnbow.one_source_words(7, "positive")
    assert "last step (step 6, the answer 'positive')" in text
    assert "single band" in text


def test_the_figure_is_valid_plotly_and_sends_numbers_as_binary():
    import plotly.graph_objects as go

    from tests.plotly_spec import sent

    parts, total = random_split(S=4, T=4)
    fig = rnnbow.rnnbow_chart(
        rnnbow.projections(parts, total), np.arange(4), np.linalg.norm(total, axis=1), list("ab<c")
    )
    go.Figure(fig.to_dict())  # re-validated: the template and layout set without validation
    spec = sent(fig)
    for trace in spec["data"]:
        if trace["type"] == "bar":
            assert set(trace["y"]) == {"dtype", "bdata"} and trace["y"]["dtype"] == "f4"
            assert trace["customdata"]["dtype"] == "f4"
    assert "&lt;" in spec["layout"]["xaxis"]["ticktext"][2]  # tokens escaped for plotly
