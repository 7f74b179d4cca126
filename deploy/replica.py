"""One replica: warm the default model, then serve the app from the same process.

    python -m deploy.replica --port 8501 --name app1 [--address 0.0.0.0]

The first visitor of a fresh ``streamlit run`` trains the Explore page's default model
(``ui.glue.models.DefaultModels``, once per server process) while a progress bar runs. A
replica does it before it listens: it sets the process up as ``app.py`` does, trains (or
finds) the default of :data:`WARM_FIRST` in the process's own ``default_models()`` store,
and only then starts Streamlit in this same process, so the sessions read the store it
warmed and ``/_stcore/health`` answers only once it is ready. The slower defaults
(``--warm-later``) train in a background thread once the server is up.

Every default model the process trains is logged as one line, ``rnnx-replica NAME:
trained default TASK in S s (before serving|while serving)``; ``serving`` is logged just
before Streamlit starts. ``tests/deploy`` reads these lines.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARM_FIRST = ("sentiment",)  # Explore's default task (ui.glue.state.DEFAULT_TASK)
PREFIX = "rnnx-replica"


def log(name: str, message: str) -> None:
    print(f"{PREFIX} {name}: {message}", flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m deploy.replica", description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--name", default=os.environ.get("HOSTNAME", "replica"))
    p.add_argument(
        "--address", default="127.0.0.1", help="where to listen (0.0.0.0 in a container)"
    )
    p.add_argument(
        "--warm",
        default=",".join(WARM_FIRST),
        help="tasks whose default model is trained before the server listens (comma-separated)",
    )
    p.add_argument(
        "--warm-later",
        default="",
        help="tasks warmed in a background thread once the server is up (comma-separated; "
        "'all' for every other built-in task)",
    )
    return p.parse_args(argv)


def _tasks(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


# what the first Explore visit imports besides Streamlit (plotly's figure classes are slow)
WARM_IMPORTS = (
    "plotly.graph_objects",
    "ui.views.explore_figures",
    "ui.views.charts_explore",
    "ui.glue.explore_panels",
)


def warm(tasks: list[str]) -> None:
    """Train (or find) each task's default model in this process's shared store."""
    from ui.glue.models import default_models

    store = default_models()
    for task in tasks:
        if not store.ready(task):
            store.get(task)


def instrument(name: str, state: dict) -> None:
    """Log every default model this process trains (wraps ``ui.glue.models._train_default``,
    which :class:`DefaultModels` calls once per task and process)."""
    import ui.glue.models as models

    inner = models._train_default

    def logged(task_name, seed, progress):
        t0 = time.perf_counter()
        trained = inner(task_name, seed, progress)
        when = "while serving" if state.get("serving") else "before serving"
        log(name, f"trained default {task_name} in {time.perf_counter() - t0:.2f} s ({when})")
        return trained

    models._train_default = logged


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    # Set before Streamlit reads its configuration: the same as the Dockerfile's ENV
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    os.environ.setdefault("STREAMLIT_SERVER_HEADLESS", "true")
    os.environ.setdefault("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "none")

    from ui.services.runtime import configure_process

    configure_process()  # as app.py does: one BLAS thread, calmer malloc
    state: dict = {"serving": False}
    instrument(args.name, state)
    t0 = time.perf_counter()
    for module in WARM_IMPORTS:
        importlib.import_module(module)
    warm(_tasks(args.warm))
    log(args.name, f"warm in {time.perf_counter() - t0:.2f} s: {args.warm or '(nothing)'}")

    later = _tasks(args.warm_later)
    if later == ["all"]:
        from ui.glue.models import task_names

        later = [t for t in task_names() if t not in _tasks(args.warm)]
    if later:

        def background() -> None:
            time.sleep(2.0)  # let the server start first
            warm(later)
            log(args.name, f"warmed later: {','.join(later)}")

        threading.Thread(target=background, name="rnnx-warm-later", daemon=True).start()

    state["serving"] = True
    log(args.name, f"serving on {args.address}:{args.port}")
    from streamlit.web import cli

    cli.main(
        [
            "run",
            str(ROOT / "app.py"),
            f"--server.address={args.address}",
            f"--server.port={args.port}",
            "--server.headless=true",
            "--browser.gatherUsageStats=false",
        ],
        prog_name="streamlit",
    )


if __name__ == "__main__":
    main()
