"""Hosted limits: one place, overridable by environment variables, bad values reported."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ui.services.limits import Limits, upload_mb

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_without_environment():
    limits, notes = Limits.from_env({})
    assert limits == Limits() and notes == []


def test_environment_overrides_and_bad_values_keep_defaults():
    env = {
        "RNNX_MAX_HIDDEN": "64",
        "RNNX_MAX_SECONDS": "30.5",
        "RNNX_MAX_STEPS": "-3",
        "RNNX_SNAPSHOTS": "many",
        "RNNX_HISTORY_ROWS": "nan",
        "UNRELATED": "1",
    }
    limits, notes = Limits.from_env(env)
    assert limits.max_hidden == 64 and limits.max_seconds == 30.5
    assert limits.max_steps == Limits().max_steps
    assert limits.snapshots == Limits().snapshots
    assert limits.history_rows == Limits().history_rows
    assert len(notes) == 3
    assert any("RNNX_SNAPSHOTS" in n and "whole number" in n for n in notes)


# ----------------------------------------------------------------------------- uploads


def test_upload_limits_are_fields_like_the_others():
    limits, notes = Limits.from_env({"RNNX_MAX_CHECKPOINT_MB": "8", "RNNX_MAX_CSV_MB": "2"})
    assert notes == [] and limits.checkpoint_bytes == 8_000_000 and limits.csv_bytes == 2_000_000
    limits, notes = Limits.from_env({"RNNX_MAX_CHECKPOINT_MB": "2.5"})
    assert limits.max_checkpoint_mb == Limits().max_checkpoint_mb  # whole megabytes only
    assert any("RNNX_MAX_CHECKPOINT_MB" in n and "whole number" in n for n in notes)


def test_the_csv_limit_never_exceeds_what_the_importer_reads():
    from rnn_core.tasks.csv_import import MAX_BYTES

    assert Limits().csv_bytes == MAX_BYTES  # the default is the importer's ceiling
    assert Limits(max_csv_mb=50).csv_bytes == MAX_BYTES
    assert Limits(max_csv_mb=1).csv_bytes == 1_000_000


def test_the_upload_widgets_never_refuse_a_file_the_app_accepts():
    """A widget's ``max_upload_size`` is in Streamlit's megabytes (MiB): at least the limit."""
    for nbytes in (1, 999_999, 1_000_000, 1_000_001, 5_000_000, 20_000_000):
        mb = upload_mb(nbytes)
        assert isinstance(mb, int) and mb >= 1 and mb * 2**20 >= nbytes
        assert (mb - 1) * 1_000_000 < nbytes or mb == 1  # and no more than needed
    assert upload_mb(Limits().checkpoint_bytes) == 20 and upload_mb(Limits().csv_bytes) == 5


def test_the_servers_upload_cap_is_the_largest_default_upload_limit():
    """Streamlit checks every upload against ``server.maxUploadSize`` before the app sees
    it: the cap is the largest default limit, so no file the app accepts is cut off and no
    larger file is held in memory."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    defaults = Limits()
    largest = max(upload_mb(defaults.checkpoint_bytes), upload_mb(defaults.csv_bytes))
    assert config["server"]["maxUploadSize"] == largest


def test_the_transfer_checks_default_to_the_limits():
    from ui.services import transfer

    assert Limits().checkpoint_bytes == transfer.MAX_CHECKPOINT_BYTES
    assert Limits().csv_bytes == transfer.MAX_CSV_BYTES
