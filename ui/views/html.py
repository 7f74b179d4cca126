"""Small, pure HTML builders and the colour scales every view shares.

Everything here is plain strings and numpy; no streamlit, no plotly. Two rules hold for every
builder:

- every user string goes through :func:`html.escape` (with ``quote=True`` wherever it may end up
  inside an attribute), so a token like ``<script>`` is shown, never run;
- whitespace tokens are shown visibly, with :func:`display_token`'s mapping.

The colour scales live here too, as lists of stops, so that the plotly heatmaps
(``ui.views.charts_explore``) and the coloured text (:func:`neuron_text_html`) draw the same
value in the same colour: both interpolate linearly in RGB between the same stops.

The builders return one line of HTML without newline characters, safe for
``st.markdown(..., unsafe_allow_html=True)`` (a newline inside would end markdown's HTML block)
as well as ``st.html``.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

import numpy as np

# ----------------------------------------------------------------------------- tokens

# How whitespace and invisible characters are drawn. Applied only to a token made entirely of
# such characters (a space token, a newline token, "\r\n"); "don't" or "👨‍👩‍👧" (with its
# zero-width joiners) are left alone.
VISIBLE = {
    " ": "␣",
    "\n": "↵",
    "\t": "⇥",
    "\r": "␍",
    "\f": "␌",
    "\v": "␋",
    "\u00a0": "⍽",  # no-break space
}
EMPTY_TOKEN = "∅"


def _invisible(ch: str) -> bool:
    """Whitespace, control and format characters: nothing (or nothing visible) on screen."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Zs")


def visible_token(token) -> str:
    """The token as text a reader can see, NOT escaped (see :func:`display_token`).

    A token made only of whitespace / invisible characters is spelled out character by
    character: " " -> "␣", "\\n" -> "↵", "\\t" -> "⇥", "\\r" -> "␍", "\\f" -> "␌", "\\v" -> "␋",
    no-break space -> "⍽", any other such character -> "U+XXXX" (e.g. a zero-width space
    "\\u200b" -> "U+200B"). The empty string -> "∅". Any other token is returned unchanged.
    """
    token = str(token)
    if token == "":
        return EMPTY_TOKEN
    if not all(_invisible(ch) for ch in token):
        return token
    return "".join(VISIBLE.get(ch, f"U+{ord(ch):04X}") for ch in token)


def display_token(token, *, quote: bool = False) -> str:
    """The one way a token is shown, in charts and in HTML: :func:`visible_token`, escaped.

    ``&``, ``<`` and ``>`` are always escaped: plotly renders tick, hover and legend text as
    pseudo-HTML (``"<b>"`` would turn bold), and decodes these entities back for display.
    ``quote=True`` also escapes ``"`` and ``'``, for text placed in an HTML attribute. Plotly
    does not decode ``&quot;``, so charts use the default ``quote=False``.

    >>> display_token("<b>")
    '&lt;b&gt;'
    >>> display_token(" "), display_token("\\n")
    ('␣', '↵')
    """
    return html.escape(visible_token(token), quote=quote)


# ----------------------------------------------------------------------------- colour scales

# ColorBrewer RdBu (11 classes), ordered negative -> positive: blue for negative values, red for
# positive, near-white (247, 247, 247) at the middle. Colour-blind safe.
DIVERGING_STOPS = np.array(
    [
        (5, 48, 97),
        (33, 102, 172),
        (67, 147, 195),
        (146, 197, 222),
        (209, 229, 240),
        (247, 247, 247),
        (253, 219, 199),
        (244, 165, 130),
        (214, 96, 77),
        (178, 24, 43),
        (103, 0, 31),
    ],
    dtype=np.float64,
)
# Viridis (as in plotly and matplotlib), low -> high, for non-negative quantities: gates,
# probabilities. Perceptually uniform, colour-blind safe, and unlike the diverging scale so a
# gate at 0.5 is not misread as "slightly positive".
SEQUENTIAL_STOPS = np.array(
    [
        (68, 1, 84),
        (72, 40, 120),
        (62, 73, 137),
        (49, 104, 142),
        (38, 130, 142),
        (31, 158, 137),
        (53, 183, 121),
        (110, 206, 88),
        (181, 222, 43),
        (253, 231, 37),
    ],
    dtype=np.float64,
)
NEGATIVE_COLOUR = "rgb(33,102,172)"  # bars and marks for "negative", from DIVERGING_STOPS[1]
POSITIVE_COLOUR = "rgb(178,24,43)"  # ... and for "positive", from DIVERGING_STOPS[-2]
NEUTRAL_COLOUR = "rgb(150,150,150)"  # exactly zero, missing values


def is_diverging(vmin: float, vmax: float) -> bool:
    """The rule every view follows: a range reaching below 0 gets the diverging scale (white at
    0), a range starting at or above 0 the sequential one."""
    return float(vmin) < 0.0


def _rgb(stop) -> str:
    r, g, b = (round(float(c)) for c in stop)
    return f"rgb({r},{g},{b})"


def _diverging_position(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Where on the diverging scale (0…1, white at 0.5) each value sits: a two-slope map that
    sends vmin -> 0, 0 -> 0.5 and vmax -> 1, so 0 is white even for a lopsided range; values
    outside [vmin, vmax] are clipped."""
    v = np.clip(values, vmin, vmax)
    pos = np.full(v.shape, 0.5)
    if vmin < 0:
        neg = v < 0
        pos[neg] = 0.5 * (1.0 - v[neg] / vmin)
    if vmax > 0:
        posm = v > 0
        pos[posm] = 0.5 + 0.5 * v[posm] / vmax
    return pos


def _sequential_position(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    span = vmax - vmin
    if span <= 0:
        return np.zeros(values.shape)
    return np.clip((values - vmin) / span, 0.0, 1.0)


def _interpolate(stops: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """(…,) positions in 0…1 -> (…, 3) RGB floats, linear between evenly spaced stops (what
    plotly does with a colorscale)."""
    grid = np.linspace(0.0, 1.0, len(stops))
    return np.stack([np.interp(pos, grid, stops[:, c]) for c in range(3)], axis=-1)


def rgb_array(values, vmin: float, vmax: float) -> np.ndarray:
    """(…,) values -> (…, 3) uint8 RGB on the scale :func:`is_diverging` picks for the range.

    Values are clipped to [vmin, vmax]; NaN maps to the neutral grey."""
    v = np.asarray(values, dtype=np.float64)
    vmin, vmax = float(vmin), float(vmax)
    if is_diverging(vmin, vmax):
        rgb = _interpolate(DIVERGING_STOPS, _diverging_position(v, vmin, vmax))
    else:
        rgb = _interpolate(SEQUENTIAL_STOPS, _sequential_position(v, vmin, vmax))
    rgb = np.rint(rgb).astype(np.uint8)
    rgb[np.isnan(v)] = (150, 150, 150)
    return rgb


def diverging_rgb(value: float, vmin: float = -1.0, vmax: float = 1.0) -> str:
    """One value's colour on the diverging scale as "rgb(r,g,b)": vmin -> dark blue, 0 -> white
    (247, 247, 247), vmax -> dark red, clipped outside. For a lopsided range the two halves are
    stretched separately, so 0 stays white. The heatmaps use the same stops
    (:func:`plotly_colorscale`), so a value looks the same in both views.

    A range with vmin ≥ 0 has no negative half: its values run from white to red."""
    v = np.array([float(value)])
    if np.isnan(v[0]):
        return NEUTRAL_COLOUR
    vmin, vmax = float(vmin), float(vmax)
    return _rgb(_interpolate(DIVERGING_STOPS, _diverging_position(v, min(vmin, 0.0), vmax))[0])


def sequential_rgb(value: float, vmin: float = 0.0, vmax: float = 1.0) -> str:
    """One value's colour on the sequential scale (viridis) as "rgb(r,g,b)", clipped."""
    v = np.array([float(value)])
    if np.isnan(v[0]):
        return NEUTRAL_COLOUR
    return _rgb(
        _interpolate(SEQUENTIAL_STOPS, _sequential_position(v, float(vmin), float(vmax)))[0]
    )


def scale_rgb(value: float, vmin: float, vmax: float) -> str:
    """One value's colour on whichever scale the range calls for (see :func:`is_diverging`)."""
    if is_diverging(vmin, vmax):
        return diverging_rgb(value, vmin, vmax)
    return sequential_rgb(value, vmin, vmax)


def plotly_colorscale(vmin: float, vmax: float) -> list[list]:
    """The plotly colorscale for a heatmap with zmin=vmin, zmax=vmax: [[position, "rgb(…)"], …].

    Sequential ranges get viridis as is. Diverging ranges get the RdBu stops placed at the z
    values where :func:`diverging_rgb`'s two-slope map puts them, so z = 0 falls exactly on the
    white stop and every z gets the same colour in a heatmap as in :func:`rgb_array`."""
    vmin, vmax = float(vmin), float(vmax)
    if not is_diverging(vmin, vmax):
        grid = np.linspace(0.0, 1.0, len(SEQUENTIAL_STOPS))
        return [[float(p), _rgb(s)] for p, s in zip(grid, SEQUENTIAL_STOPS, strict=True)]
    if vmax <= vmin:
        return [[0.0, _rgb(DIVERGING_STOPS[0])], [1.0, _rgb(DIVERGING_STOPS[0])]]
    s = np.linspace(0.0, 1.0, len(DIVERGING_STOPS))
    # the z value of each stop: vmin·(1 − 2s) on the negative half, vmax·(2s − 1) on the other
    z = np.where(s <= 0.5, vmin * (1.0 - 2.0 * s), max(vmax, 0.0) * (2.0 * s - 1.0))
    z = np.unique(np.concatenate([z[(z > vmin) & (z < vmax)], [vmin, vmax]]))
    colours = _interpolate(DIVERGING_STOPS, _diverging_position(z, vmin, vmax))
    pos = (z - vmin) / (vmax - vmin)
    return [[float(p), _rgb(c)] for p, c in zip(pos, colours, strict=True)]


def text_colour(rgb) -> str:
    """Black or white, whichever contrasts more with an (r, g, b) background (WCAG luminance)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#ffffff" if lum < 0.179 else "#111111"


# ----------------------------------------------------------------------------- builders

UNKNOWN_TITLE = "not in the task's vocabulary: read as <unk>"

_CHIP = (
    "display:inline-block;margin:0 4px 6px 0;padding:2px 8px;border-radius:6px;"
    "border:1px solid #9aa5b8;background:#eef2f8;color:#1f2a3c;font-size:0.95em;"
    "line-height:1.5;white-space:pre"
)
_CHIP_UNKNOWN = (
    "display:inline-block;margin:0 4px 6px 0;padding:2px 8px;border-radius:6px;"
    "border:1px dashed #888;background:#f4f4f4;color:#6b6b6b;font-size:0.95em;"
    "line-height:1.5;white-space:pre;font-style:italic"
)


def token_chips_html(tokens: Sequence[str], unknown: Sequence[bool]) -> str:
    """The tokens as a row of inline "chips", one per token.

    tokens: T strings; unknown: T bools, True for a token the task's vocabulary lacks (the
    network reads it as ``<unk>``): that chip is grey, dashed and italic, with the class
    ``rnnx-chip rnnx-unk``, ``data-unknown="true"`` and a title attribute saying so. Known
    chips have the class ``rnnx-chip`` and a title "step t". Returns one ``<div>``.
    """
    tokens = [str(t) for t in tokens]
    unknown = [bool(u) for u in unknown]
    if len(tokens) != len(unknown):
        raise ValueError(f"{len(tokens)} tokens but {len(unknown)} unknown flags")
    chips = []
    for t, (tok, unk) in enumerate(zip(tokens, unknown, strict=True)):
        text = display_token(tok, quote=True)
        if unk:
            title = html.escape(f"step {t}: {UNKNOWN_TITLE}", quote=True)
            chips.append(
                f'<span class="rnnx-chip rnnx-unk" data-unknown="true" style="{_CHIP_UNKNOWN}"'
                f' title="{title}">{text}</span>'
            )
        else:
            chips.append(f'<span class="rnnx-chip" style="{_CHIP}" title="step {t}">{text}</span>')
    return '<div class="rnnx-chips" style="margin:0.25rem 0 0.5rem 0">' + "".join(chips) + "</div>"


def neuron_text_html(
    tokens: Sequence[str],
    values,
    *,
    vmin: float = -1.0,
    vmax: float = 1.0,
    level: str = "word",
    fmt: str = ".3f",
) -> str:
    """The text, each token on a background coloured by one unit's value after reading it.

    tokens: T strings; values: (T,) floats (one unit's activation per step). Colours follow
    :func:`rgb_array` (diverging, white at 0, when vmin < 0; viridis when vmin ≥ 0), the same
    as the heatmaps; values outside [vmin, vmax] are clipped. The text colour switches to white
    on dark backgrounds. Each token's ``title`` attribute is its value, e.g. "0.734".

    level "word": tokens separated by spaces (whitespace tokens shown as in display_token).
    level "char": characters concatenated with their whitespace kept (``white-space:pre-wrap``,
    monospace); a newline is shown as a coloured "↵" followed by a line break (``<br>``).
    Returns one ``<div>``, without newline characters.
    """
    if level not in ("word", "char"):
        raise ValueError(f"level must be 'word' or 'char'; got {level!r}")
    tokens = [str(t) for t in tokens]
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(tokens) != values.shape[0]:
        raise ValueError(f"{len(tokens)} tokens but {values.shape[0]} values")
    rgb = rgb_array(values, vmin, vmax)
    spans = []
    for tok, v, c in zip(tokens, values, rgb, strict=True):
        title = "nan" if np.isnan(v) else format(float(v), fmt)
        style = f"background:rgb({c[0]},{c[1]},{c[2]});color:{text_colour(c)}"
        if level == "word":
            text = display_token(tok, quote=True)
            style += ";padding:1px 3px;border-radius:3px"
            tail = ""
        else:
            text, tail = _char_text(tok)
        spans.append(f'<span style="{style}" title="{title}">{text}</span>{tail}')
    if level == "word":
        body, font = " ".join(spans), "inherit"
    else:
        body, font = "".join(spans), "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"
    return (
        f'<div class="rnnx-neuron rnnx-{level}" style="line-height:1.9;font-family:{font};'
        f'white-space:pre-wrap;word-break:break-word">{body}</div>'
    )


def _char_text(token: str) -> tuple[str, str]:
    """(span content, what follows the span) for a character-level token: whitespace kept as
    is (pre-wrap shows it), newlines as a visible "↵" plus ``<br>``, everything escaped."""
    if "\n" in token or "\r" in token:
        shown = token.replace("\r\n", "\n").replace("\r", "\n")
        n = shown.count("\n")
        other = shown.replace("\n", "")
        return html.escape(other, quote=True) + "↵" * n, "<br>" * n
    if token == "":
        return EMPTY_TOKEN, ""
    if all(_invisible(ch) for ch in token) and not all(ch in " \t" for ch in token):
        return html.escape(visible_token(token), quote=True), ""  # e.g. a zero-width space
    return html.escape(token, quote=True), ""
