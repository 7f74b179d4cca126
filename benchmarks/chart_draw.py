"""What each chart costs the browser to draw, apart from Streamlit.

    python -m benchmarks.chart_draw            # 9 repeats per chart
    python -m benchmarks.chart_draw --repeats 5

The figures are the app's own: Explore's, as its page sends them (AppTest runs of the page
for two sentences), and the Train page's, from a run's view after 60 and 90 steps
(``ui.views.train_figures``). Each is drawn in headless Chromium by the plotly.js that the
``plotly`` package ships (the same major version Streamlit bundles), in a 700 px wide div:

* newPlot: the first draw of the figure (a page load, or a chart that appears);
* react: the update to the second figure (a new sentence; 30 more training steps), which is
  what a rerun costs a chart that is already on screen.

Each time includes the layout it forces (``getBoundingClientRect`` after the draw). The
difference between the sum of these and the browser figures of ``benchmarks.explore_load``
is Streamlit's own work in the page (its React tree, its layout) and the transfer.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
from pathlib import Path

import plotly

from benchmarks.browser import browser_unavailable, find_chromium, launch_chromium

ROOT = Path(__file__).resolve().parents[1]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SENTENCES = ("this is not bad at all", "the movie was great and the food was good")
DRAW = """async ([a, b, n]) => {
    const gd = document.createElement('div');
    gd.style.width = '700px';
    document.body.appendChild(gd);
    const first = [], update = [];
    for (let i = 0; i < n; i++) {
        Plotly.purge(gd);
        let t0 = performance.now();
        await Plotly.newPlot(gd, a.data, a.layout);
        gd.getBoundingClientRect();
        first.push(performance.now() - t0);
        t0 = performance.now();
        await Plotly.react(gd, b.data, b.layout);
        gd.getBoundingClientRect();
        update.push(performance.now() - t0);
    }
    Plotly.purge(gd);
    gd.remove();
    return [first, update];
}"""


def explore_figures() -> dict[str, tuple[dict, dict]]:
    """Explore's charts by key: (spec for the first sentence, spec for the second)."""
    from streamlit.testing.v1 import AppTest

    specs = []
    for sentence in SENTENCES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.query_params["sentence"] = sentence
        at.run()
        if at.exception:
            raise RuntimeError(f"Explore raised: {at.exception}")
        specs.append(
            {
                el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec)
                for el in at.get("plotly_chart")
            }
        )
    return {f"explore {k}": (specs[0][k], specs[1][k]) for k in specs[0] if k in specs[1]}


def train_figures() -> dict[str, tuple[dict, dict]]:
    """The Train page's charts by name, after 60 and after 90 steps of the sentiment task."""
    from rnn_core.tasks import load_task
    from ui.services.limits import Limits
    from ui.services.run import TrainingRun
    from ui.views.inputs import read_text
    from ui.views.train_figures import detail_figures, fast_figures

    task = load_task("sentiment")
    probe = read_text(task, task.example)
    run = TrainingRun(task, dataclasses.replace(task.default_config), probe.seq, Limits())
    out = []
    for steps in (60, 30):
        run.advance(0.0, max_steps=steps)
        view = run.view()
        figs = fast_figures(view, task) | detail_figures(view, task, probe, view.snapshots[-1])
        out.append({k: json.loads(f.to_json()) for k, f in figs.items()})
    return {f"train {k}": (out[0][k], out[1][k]) for k in out[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="draws per chart (9)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    why = browser_unavailable()
    if why is not None:
        print(why, file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    figures = explore_figures() | train_figures()
    rows = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw, find_chromium())
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_content("<!doctype html><html><body></body></html>")
            page.add_script_tag(path=str(PLOTLY_JS))
            for name, (a, b) in figures.items():
                first, update = page.evaluate(DRAW, [a, b, args.repeats])
                kib = len(json.dumps(b)) / 1024
                rows.append((name, statistics.median(first), statistics.median(update), kib))
        finally:
            browser.close()

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"plotly.js {PLOTLY_JS.name} from plotly {plotly.__version__}; {args.repeats} draws each")
    print(f"load average {load} (1, 5, 15 min)\n")
    print(f"| {'chart':<28} | {'newPlot ms':>10} | {'react ms':>8} | {'spec KiB':>8} |")
    print(f"|{'-' * 30}|{'-' * 12}|{'-' * 10}|{'-' * 10}|")
    for name, first, update, kib in rows:
        print(f"| {name:<28} | {first:10.1f} | {update:8.1f} | {kib:8.1f} |")
    for prefix in ("explore", "train"):
        mine = [r for r in rows if r[0].startswith(prefix)]
        print(
            f"| {'all ' + prefix + ' charts':<28} | {sum(r[1] for r in mine):10.1f} "
            f"| {sum(r[2] for r in mine):8.1f} | {sum(r[3] for r in mine):8.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
