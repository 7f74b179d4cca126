"""The sidebar's Display (projector mode, colour maps) and the keyboard shortcuts, in AppTest:
URL round trips, bad links, and what they change on the page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import numpy as np

from tests.app.conftest import figures, open_page
from ui.glue.controls import KEYS
from ui.glue.display import PROJECTOR_CSS
from ui.glue.share import dark_link
from ui.glue.state import SHARE_DARK, SHARE_OPEN
from ui.views.palettes import Palette

SENTENCE = "this is not bad"


def _link(at) -> dict:
    (code,) = at.sidebar.code
    return parse_qs(urlsplit(code.value).query)


def _display_widgets(at) -> tuple:
    (display,) = [w for w in at.get("button_group") if w.key == "display"]
    diverging, sequential = (w for w in at.selectbox if w.key in ("diverging", "sequential"))
    return display, diverging, sequential


def test_display_settings_round_trip_through_the_link():
    at = open_page(
        "explore",
        session={SHARE_OPEN: True},
        sentence=SENTENCE,
        display="projector",
        diverging="blue-yellow",
        sequential="cividis",
    )
    display, diverging, sequential = _display_widgets(at)
    assert (display.value, diverging.value, sequential.value) == (
        "projector",
        "blue-yellow",
        "cividis",
    )
    query = _link(at)
    assert query["display"] == ["projector"]
    assert query["diverging"] == ["blue-yellow"] and query["sequential"] == ["cividis"]
    assert any(PROJECTOR_CSS in h.proto.body for h in at.get("html"))


def test_the_standard_display_adds_no_style_and_no_url_keys():
    at = open_page("explore", session={SHARE_OPEN: True}, sentence=SENTENCE)
    assert not any(PROJECTOR_CSS in h.proto.body for h in at.get("html"))
    query = _link(at)
    assert "display" not in query and "diverging" not in query


def test_a_bad_display_link_falls_back_with_a_note_and_is_not_echoed():
    at = open_page(
        "explore",
        session={SHARE_OPEN: True},
        sentence=SENTENCE,
        diverging="<script>hotpink",
        display="cinema",
    )
    notes = [i.value for i in at.sidebar.info]
    assert any("`diverging`" in n for n in notes) and any("`display`" in n for n in notes)
    assert not any("hotpink" in n or "cinema" in n for n in notes)
    _, diverging, _ = _display_widgets(at)
    assert diverging.value == "red-blue"
    assert "diverging" not in _link(at)


def _backgrounds(markup: str) -> np.ndarray:
    found = re.findall(r"background:rgb\((\d+),(\d+),(\d+)\)", markup)
    return np.array(found, dtype=np.float64)


def test_a_chosen_palette_recolours_the_neuron_text():
    at = open_page("explore", sentence=SENTENCE, diverging="blue-yellow")
    # the One neuron view, then Steer a neuron's unit over the same sentence
    chosen, steered = [m.value for m in at.markdown if "rnnx-neuron" in m.value]
    plain_at = open_page("explore", sentence=SENTENCE)
    plain = next(m.value for m in plain_at.markdown if "rnnx-neuron" in m.value)
    assert len(_backgrounds(chosen)) == len(_backgrounds(plain)) == 4
    cividis = np.array(
        [Palette("blue-yellow").colour_at("diverging", p) for p in np.linspace(0, 1, 1001)]
    )
    for colour in np.concatenate([_backgrounds(chosen), _backgrounds(steered)]):  # on cividis …
        assert np.sqrt(((cividis - colour) ** 2).sum(axis=1)).min() <= 2.0
    for colour in _backgrounds(plain):  # … where the default text's lie on RdBu, not cividis
        assert np.sqrt(((cividis - colour) ** 2).sum(axis=1)).min() > 2.0


def test_share_can_make_a_dark_theme_link():
    at = open_page("explore", session={SHARE_OPEN: True, SHARE_DARK: True}, sentence=SENTENCE)
    assert _link(at)["embed_options"] == ["dark_theme"]
    assert dark_link("http://h/x?a=1") == "http://h/x?a=1&embed_options=dark_theme"
    assert dark_link("http://h/x") == "http://h/x?embed_options=dark_theme"
    twice = dark_link(dark_link("http://h/x"))
    assert twice.count("embed_options") == 1


def test_train_buttons_have_their_shortcuts():
    at = open_page("train")
    shortcuts = {b.label: b.proto.shortcut for b in at.button}
    assert shortcuts["▶ Start"] == KEYS["start_pause"].lower()
    assert shortcuts["Step"] == KEYS["step"].lower()
    assert shortcuts["↺ Reset"] == KEYS["reset"].lower()


def test_learn_previous_and_next_walk_the_step_slider():
    at = open_page("learn", sentence=SENTENCE)
    (step,) = [s for s in at.slider if s.key == "t"]
    assert step.value == 4
    buttons = {b.key: b for b in at.button}
    assert buttons["t_next"].disabled and not buttons["t_previous"].disabled
    assert buttons["t_previous"].proto.shortcut == KEYS["previous"].lower()
    assert buttons["t_next"].proto.shortcut == KEYS["next"].lower()
    buttons["t_previous"].click().run()
    buttons = {b.key: b for b in at.button}
    buttons["t_previous"].click().run()
    (step,) = [s for s in at.slider if s.key == "t"]
    assert step.value == 2
    assert at.query_params["t"] == "2"
    {b.key: b for b in at.button}["t_next"].click().run()
    (step,) = [s for s in at.slider if s.key == "t"]
    assert step.value == 3


def test_charts_follow_the_display():
    """Projector mode and a colour map reach every chart on the page (show_chart restyles);
    the default display leaves them as the builders drew them."""
    plain = figures(open_page("explore", sentence=SENTENCE))
    shown = figures(
        open_page("explore", sentence=SENTENCE, display="projector", diverging="blue-yellow")
    )
    assert len(plain) == len(shown) >= 4
    for before, after in zip(plain, shown, strict=True):
        assert after["layout"]["font"]["size"] > before["layout"]["font"].get("size", 13)
    heatmap = next(f for f in shown if f["data"][0]["type"] == "heatmap")
    cividis = np.array(
        [Palette("blue-yellow").colour_at("diverging", p) for p in np.linspace(0, 1, 1001)]
    )
    for _, colour in heatmap["data"][0]["colorscale"]:
        rgb = np.array(re.findall(r"\d+", colour)[:3], dtype=np.float64)
        assert np.sqrt(((cividis - rgb) ** 2).sum(axis=1)).min() <= 2.0
    plain_heatmap = next(f for f in plain if f["data"][0]["type"] == "heatmap")
    assert plain_heatmap["data"][0]["colorscale"] != heatmap["data"][0]["colorscale"]
