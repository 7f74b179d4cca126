"""The Train page's downloads, made once per moment of a run: ui.services.transfer.run_files
(metrics and model) and ui.views.bundle.make_bundle / current_bundle (everything)."""

from __future__ import annotations

import dataclasses
import io
import threading
import zipfile

import plotly.graph_objects as go
import pytest

from rnn_core.tasks import load_task
from ui.services.limits import Limits
from ui.services.run import TrainingRun
from ui.services.transfer import checkpoint_bytes, metrics_csv, run_files, run_key
from ui.views.bundle import bundle_filename, current_bundle, make_bundle


@pytest.fixture(scope="module")
def task():
    return load_task("sentiment-tiny")


def new_run(task) -> TrainingRun:
    config = dataclasses.replace(task.default_config, hidden_size=8)
    run = TrainingRun(task, config, task.encoder.encode(task.example), Limits())
    run.advance(0.0, max_steps=3)
    return run


def test_run_files_are_made_once_per_moment_of_the_run(task):
    run = new_run(task)
    files = run_files(run, task)
    assert files.key == run_key(run) == (id(run), run.version, 3)
    assert files.metrics == metrics_csv(run.log)
    assert files.model == checkpoint_bytes(run, task)
    assert run_files(run, task, cached=files) is files  # nothing moved: the same bytes
    run.advance(0.0, max_steps=1)
    again = run_files(run, task, cached=files)
    assert again is not files and again.key[2] == 4 and again.model != files.model
    other = new_run(task)  # another run at the same step: its own files
    assert run_files(other, task, cached=run_files(run, task)).key[0] == id(other)


def test_run_files_wait_for_a_chunk_of_training_in_progress(task):
    run = new_run(task)
    made = []
    with run.lock:
        worker = threading.Thread(target=lambda: made.append(run_files(run, task)))
        worker.start()
        worker.join(0.2)
        assert worker.is_alive() and not made  # one consistent moment: after the chunk
    worker.join(10)
    assert made and made[0].key == run_key(run)


def test_the_bundle_is_the_runs_until_the_run_moves_on(task):
    run = new_run(task)
    assert current_bundle(None, run) is None
    figs = {"loss": go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))}
    made = make_bundle(run, task, figs, page="train", link="http://localhost:8501/train")
    assert made.key == run_key(run) and made.name == bundle_filename(run, task)
    with zipfile.ZipFile(io.BytesIO(made.data)) as zf:
        assert {"model.npz", "metrics.csv", "config.json", "charts/loss.html"} <= set(zf.namelist())
    assert current_bundle(made, run) is made
    run.advance(0.0, max_steps=1)
    assert current_bundle(made, run) is None  # another step: make it again
    assert current_bundle(made, new_run(task)) is None  # another run
