"""The export bundle: one zip with everything needed to keep, share or reproduce a run.

Pure (no streamlit); the page makes it on a click and offers the bytes themselves (a lazy
download, ``data=callable``, is deleted by Streamlit 1.67 once two script runs end anywhere
on the server):

    made = make_bundle(run, task, figures, page="train", link=share_link)   # on a click
    made = current_bundle(made, run)     # None once the run has moved on: make it again
    st.download_button("Everything (.zip)", data=made.data, file_name=made.name)

The zip holds ``model.npz`` (:func:`ui.services.transfer.checkpoint_bytes`), ``metrics.csv``
(:func:`ui.services.transfer.metrics_csv`), ``config.json`` (the TrainConfig, the task,
the page, the share link, the app's version and the export time), ``charts/<name>.html``
for every figure, a ``README.txt`` describing them and, for a language model, ``samples.txt``
(what it wrote at each snapshot).

Every chart is a standalone HTML file that works offline: plotly.js is embedded (about 4.8 MB
per file, 1.5 MB once zipped), MathJax is not referenced, and the plot config sends nothing
anywhere. What plotly.js 4.1.1 (bundled with plotly 7.1.0) would otherwise fetch — audited in
``plotly.min.js`` for this module:

- A basic chart (scatter, heatmap, bar, annotations, shapes) fetches nothing. The library's
  other URL strings are licence comments (feross.org, github.com, maplibre.org), XML
  namespace names (``http://www.w3.org/2000/svg`` — identifiers, never requested) and text
  of error messages (get.webgl.org).
- ``topojsonURL`` (default ``https://cdn.plot.ly/un/``) is fetched only by ``geo`` subplots
  (scattergeo, choropleth). Set to ``"./"`` here, so a geo chart would look for
  ``./<scope>_<res>m.json`` next to the file instead.
- ``map`` traces (scattermap, choroplethmap, densitymap — MapLibre) load their basemap style,
  tiles, glyphs and sprites from basemaps.cartocdn.com, openstreetmap.org,
  fonts.openmaptiles.org, and marker icons from cdn.jsdelivr.net (@mapbox/maki).
- ``layout.images`` with a URL ``source`` are loaded as given.
- MathJax: plotly.js never loads it; LaTeX (``$...$``) text only renders if the page already
  has MathJax (``include_mathjax="cdn"`` would add a cdnjs.cloudflare.com script; we do not).
- ``plotlyServerURL`` (default ``https://cloud.plotly.com/newchart``): the modebar's "Share
  chart..." button — shown by default in plotly.js 4 (``showSendToCloud`` defaults to true) —
  uploads the figure there after a confirmation dialog. Turned off here.
- ``displaylogo``: a modebar link to https://plotly.com/ (followed on click only). Turned off.

None of the app's charts use geo, map or image traces, so a bundle's charts load nothing
remote; :func:`bundle_urls` lets a test check that for every exported file.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import tomllib
import zipfile
from collections.abc import Mapping
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import plotly.io as pio
from plotly.offline import get_plotlyjs

from rnn_core.tasks import Task
from ui.services.run import TrainingRun
from ui.services.samples import SAMPLE_SEED, SAMPLE_TEMPERATURE
from ui.services.transfer import APP_NAME, checkpoint_bytes, metrics_csv, run_key

ROOT = Path(__file__).resolve().parents[2]

# plotly.js config for the exported charts: nothing that points anywhere remote.
CHART_CONFIG = {
    "displaylogo": False,  # the modebar's link to plotly.com
    "showSendToCloud": False,  # the modebar's "Share chart..." upload to cloud.plotly.com
    "topojsonURL": "./",  # geo subplots' maps: next to the file, never cdn.plot.ly
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

MAX_NAME_CHARS = 60
_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)
}


# --------------------------------------------------------------------------------------
# The bundle
# --------------------------------------------------------------------------------------


def export_bundle(
    run: TrainingRun,
    task: Task,
    figures: Mapping[str, object],
    page: str = "train",
    link: str | None = None,
    created: dt.datetime | None = None,
) -> bytes:
    """The zip: model.npz, metrics.csv, config.json, charts/<name>.html, README.txt, and
    for a language model samples.txt (:func:`samples_text`).

    ``figures`` maps a name to a plotly Figure (or figure dict); each name is made safe with
    :func:`safe_name` (only ``[a-z0-9_-]``, unique within the bundle), and config.json's
    ``charts`` maps every file back to the name given. ``created`` (default: now, UTC) is the
    export time written to config.json and to the zip entries.
    """
    if not isinstance(page, str):
        raise TypeError(f"page must be a string; got {type(page).__name__}")
    if link is not None and not isinstance(link, str):
        raise TypeError(f"link must be a string or None; got {type(link).__name__}")
    created = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    with run.lock:  # one consistent moment of a run that may be training in another thread
        model = checkpoint_bytes(run, task)
        metrics = metrics_csv(run.log)
        steps, state, config = run.steps, run.state, run.config
        written = samples_text(run)

    charts: dict[str, str] = {}  # file name -> the name it was given
    pages: dict[str, bytes] = {}
    for name, fig in figures.items():
        file = unique_name(safe_name(name), charts)
        charts[file] = str(name)
        pages[file] = chart_html(fig, title=str(name)).encode("utf-8")

    meta = {
        "app": APP_NAME,
        "version": app_version(),
        "created": created.isoformat().replace("+00:00", "Z"),
        "task": task.name,
        "task_title": task.title,
        "page": page,
        "link": link,
        "steps": int(steps),
        "state": state,
        "train_config": config.to_dict(),
        "charts": {f"charts/{file}.html": name for file, name in charts.items()},
    }
    config_json = json.dumps(meta, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    buf = io.BytesIO()
    stamp = created.timetuple()[:6]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:

        def put(path: str, data: bytes, level: int = 6) -> None:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=level)

        readme = _readme(task, steps, page, link, sorted(charts), written is not None)
        put("README.txt", readme.encode("utf-8"))
        put("config.json", config_json.encode("utf-8"))
        put("model.npz", model)
        put("metrics.csv", metrics)
        if written is not None:
            put("samples.txt", written.encode("utf-8"))
        for file in sorted(pages):
            # level 1: 1.7 MB instead of 1.5 MB per chart, but 5x faster (0.06 s, not 0.3 s)
            put(f"charts/{file}.html", pages[file], level=1)
    return buf.getvalue()


class BundleFile(NamedTuple):
    """An export bundle made at one moment of a run (``key``), ready to download."""

    key: tuple[int, int, int]  # ui.services.transfer.run_key(run) when it was made
    name: str  # bundle_filename(run, task)
    data: bytes  # the zip


def make_bundle(
    run: TrainingRun,
    task: Task,
    figures: Mapping[str, object],
    page: str = "train",
    link: str | None = None,
) -> BundleFile:
    """The run's export bundle (:func:`export_bundle`), its file name and the moment it was
    made, all under the run's lock."""
    with run.lock:
        data = export_bundle(run, task, figures, page=page, link=link)
        return BundleFile(run_key(run), bundle_filename(run, task), data)


def current_bundle(made: BundleFile | None, run: TrainingRun) -> BundleFile | None:
    """``made`` while it is still the run's bundle as the run is now; None when there is
    none or the run has moved on since (another step, another run): make it again."""
    return made if made is not None and made.key == run_key(run) else None


def bundle_filename(run: TrainingRun, task: Task) -> str:
    """A download name: ``rnn-explorer-sentiment-step300.zip``."""
    return f"rnn-explorer-{safe_name(task.name)}-step{run.steps}.zip"


def chart_html(fig, title: str = "chart") -> str:
    """A figure as a standalone, offline HTML page (plotly.js inline, no MathJax, no remote
    config, ``<title>`` from the figure's title or ``title``)."""
    page = pio.to_html(
        fig,
        full_html=True,
        include_plotlyjs=True,
        include_mathjax=False,
        config=CHART_CONFIG,
        validate=False,  # the app's figures are built with graph_objects, already valid
    )
    heading = _figure_title(fig) or title
    charset = '<meta charset="utf-8" />'
    return page.replace(charset, f"{charset}\n    <title>{html.escape(heading)}</title>", 1)


def safe_name(name: str) -> str:
    """A file name from any string: lowercase ``[a-z0-9_-]`` only, no leading or trailing
    ``_``/``-``, at most 60 characters, never empty or a reserved Windows device name.

    "../../etc/passwd" -> "etc_passwd"; "a b" -> "a_b"; "Loss (log)" -> "loss_log".
    """
    out = _UNSAFE.sub("_", str(name).lower()).strip("_-")[:MAX_NAME_CHARS].strip("_-")
    if not out:
        return "chart"
    return f"{out}_" if out in _WINDOWS_RESERVED else out


def unique_name(name: str, taken) -> str:
    """``name``, or ``name-2``, ``name-3``… if already in ``taken``."""
    if name not in taken:
        return name
    i = 2
    while f"{name}-{i}" in taken:
        i += 1
    return f"{name}-{i}"


@cache
def app_version() -> str:
    """The version in pyproject.toml ("unknown" where it is not shipped)."""
    try:
        with open(ROOT / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _figure_title(fig) -> str | None:
    if isinstance(fig, dict):
        title = fig.get("layout", {}).get("title") or {}
        text = title.get("text") if isinstance(title, dict) else title
    else:
        text = fig.layout.title.text
    if not isinstance(text, str):
        return None
    # plotly text is HTML-like: <b>, <br> and entities (the app escapes user text)
    return html.unescape(re.sub(r"<[^>]*>", " ", text)).strip() or None


def samples_text(run: TrainingRun) -> str | None:
    """What a language model wrote after the probe at each kept snapshot, one line each
    ("   120 | text", a line break shown as "↵"), under a header naming the prime, the
    temperature and the seed; None for a run that wrote nothing (other tasks)."""
    rows = [(s.step, s.sample) for s in run.snapshots.items if s.sample is not None]
    if not rows:
        return None
    width = len(f"{rows[-1][0]:,}")
    lines = [
        f"What the model wrote after the probe at each snapshot (temperature "
        f"{SAMPLE_TEMPERATURE:g}, seed {SAMPLE_SEED}: only the model changes).",
        f"Probe: {run.prime.replace(chr(10), '↵')}",
        "",
        *(f"{step:>{width},} | {text.replace(chr(10), '↵')}" for step, text in rows),
    ]
    return "\n".join(lines) + "\n"


def _readme(
    task: Task, steps: int, page: str, link: str | None, charts: list[str], samples: bool = False
) -> str:
    lines = [
        f"{APP_NAME} {app_version()} - exported run",
        "",
        f"Task: {task.title} ({task.name}), {steps:,} training steps, from the {page} page.",
    ]
    if link:
        lines += [f"Open the same view again: {link}"]
    lines += [
        "",
        "model.npz     The model: weights, optimizer state, settings, vocabulary and step",
        "              count. Load it on the Train page (Load a checkpoint) to continue",
        "              training or explore it, or in Python:",
        "                from rnn_core.checkpoint import load_checkpoint",
        "                ckpt = load_checkpoint(open('model.npz', 'rb').read())",
        "              An .npz of numpy arrays plus JSON metadata; never pickle.",
        "metrics.csv   One row per recorded step: batch loss and accuracy, gradient norm",
        "              before clipping, clipped (0/1), learning rate, spectral radius and",
        "              largest singular value of W_hh per layer, gradient norm per parameter,",
        "              and train/test loss and accuracy at evaluation steps (empty elsewhere).",
        "              Long runs keep an evenly thinned subset of the steps.",
        *(
            [
                "samples.txt   What the language model wrote after the probe at each kept",
                "              snapshot (the same seed each time): from gibberish to words.",
            ]
            if samples
            else []
        ),
        "config.json   The training settings (train_config: every TrainConfig field), the",
        "              task, the page, the share link, the app version and the export time.",
        "charts/       Each chart as a standalone HTML page: open it in any browser, offline",
        "              (plotly.js is inside the file; nothing is fetched). Zoom, pan and hover",
        "              work; the camera icon saves a PNG.",
    ]
    lines += [f"                {name}.html" for name in charts]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Checking a bundle: what would an HTML file load?
# --------------------------------------------------------------------------------------

_URL_ATTRS = {"src", "href", "poster", "data", "background", "xlink:href", "action", "formaction"}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.I | re.S)
_CSS_IMPORT = re.compile(r"""@import\s+(['"])(.*?)\1""", re.I)
_JS_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\(/)")
_JS_URL = re.compile(
    r"""(?:\b(?:https?|ftp|wss?):(?://)?|(?<![\w:/\\])//(?=[a-z0-9-]+(?:\.[a-z0-9-]+)+))"""
    r"""[^\s"'`<>()\\]*""",
    re.I,
)
_REFRESH = re.compile(r"url\s*=\s*(['\"]?)([^'\"]+)\1", re.I)


def bundle_urls(page: str) -> list[str]:
    """Every URL ``page`` (an HTML document) could load, in document order, without repeats.

    Found: ``src``/``href``/``srcset``/``poster``/``data``/``action``/``xlink:href``
    attributes of any tag (``<a href>`` too, though a link only loads on a click), a meta
    refresh target, CSS ``url()`` and ``@import`` in ``<style>`` and ``style=`` attributes, and
    in inline scripts every absolute URL in the code or its strings (JS escapes such as
    ``https:\\u002f\\u002f`` decoded first, as plotly writes figure JSON) — a superset of what
    ``fetch``/``XMLHttpRequest``/image sources would request, since finding those exactly
    needs a JS interpreter.

    Not scanned: an inline script that is exactly the plotly.js shipped with this plotly
    (``plotly.offline.get_plotlyjs()``). Its URL strings were audited (see this module's
    docstring): none is requested by a chart without geo or map traces, layout images,
    MathJax or the cloud button. Any other inline script, including another plotly.js
    version, is scanned in full.

    Relative URLs are returned too; :func:`external_urls` keeps the remote ones.
    """
    parser = _UrlParser()
    parser.feed(page)
    parser.close()
    return list(dict.fromkeys(u for u in parser.urls if u))


def is_external(url: str) -> bool:
    """Whether loading ``url`` leaves the machine: a network scheme or ``//host``.

    ``data:``, ``blob:``, ``about:``, ``javascript:``, ``#fragment``, relative and
    ``file:`` URLs are local."""
    url = url.strip()
    if url.startswith(("//", "\\\\", "/\\", "\\/")):
        return True
    scheme = urlsplit(url).scheme.lower()
    return scheme not in ("", "data", "blob", "about", "javascript", "file")


def external_urls(page: str) -> list[str]:
    """The URLs of :func:`bundle_urls` that are not local (see :func:`is_external`)."""
    return [u for u in bundle_urls(page) if is_external(u)]


@cache
def _plotlyjs() -> str:
    return get_plotlyjs().strip()


class _UrlParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in: str | None = None  # "script" or "style" while inside one
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag in ("script", "style"):
            self._in, self._text = tag, []

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)

    def handle_endtag(self, tag):
        if tag == self._in:
            text = "".join(self._text)
            if tag == "style":
                self.urls += _css_urls(text)
            elif text.strip() != _plotlyjs():
                self.urls += _script_urls(text)
            self._in, self._text = None, []

    def handle_data(self, data):
        if self._in:
            self._text.append(data)

    def close(self):
        super().close()
        if self._in:  # an unclosed <script>/<style> runs to the end of the document
            self.handle_endtag(self._in)

    def _attrs(self, tag, attrs):
        values = {k.lower(): v or "" for k, v in attrs}
        for key, value in values.items():
            if key in _URL_ATTRS:
                self.urls.append(value.strip())
            elif key in ("srcset", "imagesrcset"):
                self.urls += [c.strip().split()[0] for c in value.split(",") if c.strip()]
            elif key == "style":
                self.urls += _css_urls(value)
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            found = _REFRESH.search(values.get("content", ""))
            if found:
                self.urls.append(found.group(2).strip())


def _css_urls(css: str) -> list[str]:
    found = [(m.start(), m.group(2).strip()) for m in _CSS_URL.finditer(css)]
    found += [(m.start(), m.group(2).strip()) for m in _CSS_IMPORT.finditer(css)]
    return [u for _, u in sorted(found)]


def _script_urls(code: str) -> list[str]:
    def unescape(m: re.Match) -> str:
        hexa = m.group(1) or m.group(2)
        return chr(int(hexa, 16)) if hexa else m.group(3)

    return [m.group(0) for m in _JS_URL.finditer(_JS_ESCAPE.sub(unescape, code))]
