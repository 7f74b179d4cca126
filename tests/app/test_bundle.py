"""ui/views/bundle.py: export zip (model, metrics, config, offline charts) and its URL checker."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import zipfile

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from rnn_core.tasks import load_task
from rnn_core.train import TrainConfig
from ui.services.limits import Limits
from ui.services.run import TrainingRun
from ui.services.transfer import read_checkpoint
from ui.views import charts_explore, charts_train
from ui.views.bundle import (
    CHART_CONFIG,
    app_version,
    bundle_filename,
    bundle_urls,
    chart_html,
    export_bundle,
    external_urls,
    is_external,
    safe_name,
)

LINK = "http://localhost:8501/train?task=sentiment-tiny&cell=gru"
CREATED = dt.datetime(2026, 5, 1, 12, 30, tzinfo=dt.UTC)
PLOTLYJS_HEADER = re.compile(r"<script>\s*/\*\*\s*\* plotly\.js v\d+\.\d+\.\d+")


def external(url: str) -> bool:
    """The test's own, independent notion of remote: a scheme with a host, or //host."""
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//", "ftp://", "ws://", "wss://"))


@pytest.fixture(scope="module")
def task():
    return load_task("sentiment-tiny")


@pytest.fixture(scope="module")
def run(task):
    probe = task.encoder.encode(task.example)
    run = TrainingRun(task, task.default_config, probe, Limits())
    run.advance(0, max_steps=30)
    assert run.steps == 30
    return run


@pytest.fixture(scope="module")
def figures(run, task):
    v = run.view()
    loss = charts_train.loss_chart(
        v.columns["step"],
        v.columns["loss"],
        v.evals["step"],
        v.evals["train_loss"],
        v.evals["test_loss"],
        title="Loss of the tiny run",
    )
    snap = v.snapshots[-1]
    heat = charts_explore.hidden_heatmap(
        snap.hs[-1], task.encoder.tokens(task.example), title=f"Probe at step {snap.step}"
    )
    return {"loss": loss, "hidden state": heat}


@pytest.fixture(scope="module")
def bundle(run, task, figures) -> zipfile.ZipFile:
    data = export_bundle(run, task, figures, page="train", link=LINK, created=CREATED)
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_zip_has_exactly_the_expected_files(bundle):
    assert bundle.testzip() is None
    assert sorted(bundle.namelist()) == [
        "README.txt",
        "charts/hidden_state.html",
        "charts/loss.html",
        "config.json",
        "metrics.csv",
        "model.npz",
    ]


def test_the_model_loads_and_predicts_bit_for_bit_like_the_run(bundle, run, task):
    ckpt = read_checkpoint(bundle.read("model.npz"), task, Limits())
    assert ckpt.step == run.steps == 30
    assert ckpt.train_config == run.config
    test = task.data.test
    ours = run.model.predict_proba(test.inputs, test.mask)
    theirs = ckpt.model.predict_proba(test.inputs, test.mask)
    assert theirs.dtype == ours.dtype
    assert np.array_equal(theirs, ours)  # bit for bit, not allclose
    for name, value in run.model.params.items():
        assert np.array_equal(ckpt.model.params[name], value), name


def test_metrics_csv_has_one_row_per_logged_step(bundle, run):
    frame = pd.read_csv(io.BytesIO(bundle.read("metrics.csv")))
    logged = run.log.table()["step"]
    assert len(frame) == len(logged) == 30
    assert frame["step"].tolist() == list(range(1, 31))
    assert np.allclose(frame["batch_loss"], run.log.steps.column("loss"))
    evaluated = frame.dropna(subset=["test_acc"])["step"].tolist()
    assert evaluated == [int(s) for s in run.log.evals.column("step")] != []


def test_config_json_round_trips_to_the_same_train_config(bundle, run, task):
    meta = json.loads(bundle.read("config.json"))
    assert TrainConfig(**meta["train_config"]) == run.config
    assert meta["task"] == task.name == "sentiment-tiny"
    assert meta["page"] == "train"
    assert meta["link"] == LINK
    assert meta["steps"] == 30
    assert meta["app"] == "RNN Explorer"
    assert meta["version"] == app_version() != "unknown"
    assert meta["created"] == "2026-05-01T12:30:00Z"
    assert meta["charts"] == {
        "charts/loss.html": "loss",
        "charts/hidden_state.html": "hidden state",
    }
    assert bundle.getinfo("model.npz").date_time == (2026, 5, 1, 12, 30, 0)


def test_no_link_is_stored_as_null(run, task):
    data = export_bundle(run, task, {}, page="explore")
    meta = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("config.json"))
    assert meta["link"] is None and meta["page"] == "explore" and meta["charts"] == {}


@pytest.mark.parametrize(
    ("name", "title"), [("loss", "Loss of the tiny run"), ("hidden_state", "Probe at step 30")]
)
def test_each_chart_is_standalone_and_loads_nothing_remote(bundle, name, title):
    page = bundle.read(f"charts/{name}.html").decode("utf-8")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert f"<title>{title}</title>" in page
    assert f'"text":"{title}"' in page  # the figure's own data, not only the <title>
    # plotly.js is inside the file (plotly 7 writes a bare <script>, no type attribute)
    assert PLOTLYJS_HEADER.search(page)
    script = page[PLOTLYJS_HEADER.search(page).start() :]
    assert script.index("</script>") > 1_000_000
    assert len(page) > 1_000_000
    # nothing it loads is remote; no MathJax, no CDN, no cloud button, no logo link
    urls = bundle_urls(page)
    assert [u for u in urls if external(u)] == [] == external_urls(page)
    assert "<script src" not in page and "tex-svg" not in page  # no MathJax or CDN script
    assert '"showSendToCloud": false' in page and '"displaylogo": false' in page
    assert '"topojsonURL": "./"' in page
    assert "cdn.plot.ly/plotly" not in page


def test_the_bundle_has_a_readme_naming_every_file(bundle):
    text = bundle.read("README.txt").decode("utf-8")
    for name in ("model.npz", "metrics.csv", "config.json", "hidden_state.html", "loss.html"):
        assert name in text
    assert LINK in text


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("a b", "a_b"),
        ("Loss (log)", "loss_log"),
        ("C:\\Windows\\x", "c_windows_x"),
        ("", "chart"),
        ("../..", "chart"),
        ("ünïcode ✓ 📈", "n_code"),
        ("con", "con_"),
        ("x" * 200, "x" * 60),
    ],
)
def test_safe_name(given, safe):
    assert safe_name(given) == safe
    assert re.fullmatch(r"[a-z0-9_-]+", safe_name(given))


def test_unsafe_names_become_safe_files_inside_the_zip(run, task, figures):
    fig = figures["loss"]
    unsafe = {"../../etc/passwd": fig, "a b": fig, "A B": fig, "/abs/path": fig, "": fig}
    zf = zipfile.ZipFile(io.BytesIO(export_bundle(run, task, unsafe)))
    charts_in_zip = sorted(n for n in zf.namelist() if n.startswith("charts/"))
    assert charts_in_zip == [
        "charts/a_b-2.html",
        "charts/a_b.html",
        "charts/abs_path.html",
        "charts/chart.html",
        "charts/etc_passwd.html",
    ]
    for name in zf.namelist():
        assert name == "README.txt" or re.fullmatch(r"(charts/)?[a-z0-9_-]+\.[a-z]+", name), name
        assert ".." not in name and not name.startswith("/")
    meta = json.loads(zf.read("config.json"))
    assert sorted(meta["charts"].values()) == sorted(unsafe)


def test_bundle_filename(run, task):
    assert bundle_filename(run, task) == "rnn-explorer-sentiment-tiny-step30.zip"


# --------------------------------------------------------------------------------------
# bundle_urls finds what a page would load
# --------------------------------------------------------------------------------------


def test_bundle_urls_finds_attributes_css_and_script_urls():
    page = """<!doctype html><html><head>
    <link rel="stylesheet" href="https://fonts.example/css">
    <style>@import "//cdn.example/a.css"; @import url('local.css');
      body { background: url("https://img.example/bg.png") }</style>
    <meta http-equiv="refresh" content="5; url=https://elsewhere.example/">
    <script src="https://cdn.plot.ly/plotly-3.0.0.min.js"></script>
    </head><body style="background-image:url(//img.example/b.png)">
    <img srcset="small.png 1x, https://img.example/large.png 2x" src="data:image/png;base64,AA">
    <script>fetch("https:\\u002f\\u002fapi.example\\u002fdata"); var x = "./rel.json";</script>
    <a href="#top">top</a></body></html>"""
    urls = bundle_urls(page)
    assert external_urls(page) == [
        "https://fonts.example/css",
        "//cdn.example/a.css",
        "https://img.example/bg.png",
        "https://elsewhere.example/",
        "https://cdn.plot.ly/plotly-3.0.0.min.js",
        "//img.example/b.png",
        "https://img.example/large.png",
        "https://api.example/data",
    ]
    assert {"local.css", "small.png", "#top"} <= set(urls)
    assert "data:image/png;base64,AA" in urls and not is_external("data:image/png;base64,AA")


def test_bundle_urls_sees_a_cdn_plotly_and_mathjax():
    fig = go.Figure(go.Scatter(x=[1], y=[2]))
    page = pio.to_html(fig, include_plotlyjs="cdn", include_mathjax="cdn", full_html=True)
    remote = external_urls(page)
    assert any("cdn.plot.ly" in u for u in remote)
    assert any("mathjax" in u for u in remote)


def test_bundle_urls_sees_remote_sources_in_the_figure_json():
    """A layout image with a URL source would be loaded; plotly escapes '/' as \\u002f."""
    fig = go.Figure(
        go.Scatter(x=[1], y=[2]),
        layout={"images": [{"source": "https://img.example/logo.png", "x": 0, "y": 0}]},
    )
    assert external_urls(chart_html(fig)) == ["https://img.example/logo.png"]


def test_hostile_text_in_a_chart_stays_text():
    """Probe sentences are user input: markup in tick labels must not become a tag."""
    hostile = '</script><img src="https://evil.example/x.png"><script>'
    fig = charts_explore.hidden_heatmap(np.zeros((2, 3)), ["ok", hostile], title=hostile)
    page = chart_html(fig)
    assert "</script><img" not in page
    assert "<title>&lt;/script&gt;&lt;img" in page
    # the URL is in the figure's text (a string, not loaded); bundle_urls is a superset and
    # reports it; no tag or CSS carries it
    assert set(external_urls(page)) <= {"https://evil.example/x.png"}
    assert "<img" not in re.sub(r"<script>.*?</script>", "", page, flags=re.S)


def test_plotlyjs_itself_is_audited_not_scanned():
    """The bundled plotly.js has URL strings (cdn.plot.ly topojson, cloud.plotly.com,
    map styles); a basic chart requests none of them, so the exact library is skipped — but
    a changed library is scanned."""
    page = chart_html(go.Figure(go.Scatter(x=[1], y=[2])))
    assert "https://cdn.plot.ly/un/" in page and "cloud.plotly.com" in page
    assert external_urls(page) == []
    tampered = page.replace("* plotly.js v", "* plotly.js (changed) v", 1)
    assert any("cdn.plot.ly" in u for u in external_urls(tampered))


def test_is_external():
    for url in ("http://a.b", "https://a.b/x", "//a.b/c", "ws://a.b", "HTTPS://A.B"):
        assert is_external(url), url
    for url in ("", "#x", "a.css", "./b/c.json", "/root.json", "data:,x", "blob:null/1"):
        assert not is_external(url), url


def test_chart_config_points_nowhere():
    assert CHART_CONFIG["displaylogo"] is False
    assert CHART_CONFIG["showSendToCloud"] is False
    assert not is_external(CHART_CONFIG["topojsonURL"])
    assert "plotlyServerURL" not in CHART_CONFIG and "mapboxAccessToken" not in CHART_CONFIG


# --------------------------------------------------------------------------------------
# Optional: what a real browser requests when it opens an exported chart
# --------------------------------------------------------------------------------------


@pytest.mark.browser
def test_an_exported_chart_draws_offline_in_chromium(bundle, tmp_path):
    from tests.browser.server import find_chromium, launch_chromium, new_context

    playwright = pytest.importorskip("playwright.sync_api")
    if find_chromium() is None:
        pytest.skip("no Chromium executable")
    bundle.extractall(tmp_path)
    requests: list[str] = []
    with playwright.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = new_context(browser, requests).new_page()
            page.goto((tmp_path / "charts" / "loss.html").as_uri())
            page.wait_for_selector(".plotly-graph-div .main-svg", timeout=20_000)
            page.hover(".plotly-graph-div")
            buttons = page.eval_on_selector_all(
                ".modebar-btn", "bs => bs.map(b => b.getAttribute('data-title'))"
            )
        finally:
            browser.close()
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert "Share chart..." not in buttons and not any("Plotly.js" in b for b in buttons)


def test_a_language_model_bundle_keeps_what_it_wrote_at_each_snapshot():
    """Issue 19: the samples kept with the snapshots go into samples.txt, one per line (a
    line break shown as ↵), named in the README; other tasks have no such file (above)."""
    chars = load_task("chars")
    config = dataclasses.replace(chars.default_config, hidden_size=8)
    lm = TrainingRun(chars, config, chars.encoder.encode("ROMEO:\n"), Limits())
    lm.advance(0, max_steps=20)
    zf = zipfile.ZipFile(io.BytesIO(export_bundle(lm, chars, {}, created=CREATED)))
    assert "samples.txt" in zf.namelist()
    lines = zf.read("samples.txt").decode("utf-8").splitlines()
    assert lines[1] == "Probe: ROMEO:↵"
    rows = lines[3:]
    assert len(rows) == 3
    for line, snap in zip(rows, lm.snapshots.items, strict=True):
        assert line == f"{snap.step:>2} | {snap.sample.replace(chr(10), '↵')}"
    assert "samples.txt" in zf.read("README.txt").decode("utf-8")
