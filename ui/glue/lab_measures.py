"""The gradient lab's measurements of a model, computed once per model: a rerun that does not
change the model (a "Measure on" or "Run to inspect" click, the gradient check, an
experiment's end drawn again) takes them from a cache instead of recomputing them.

    m = measurements(model, config, batch)   # ui.services.lab_measures.LabMeasures

The cache is keyed on a digest of everything the measurements read
(``ui.services.lab_measures.measure_key``: the weights, the configs, the batch), so a changed
model is a new entry and an entry is right for any session that has the same model — the
default models are measured once per server, not once per visitor. Entries are a few
kilobytes; the oldest go beyond ``MAX_ENTRIES``.
"""

from __future__ import annotations

import streamlit as st

from rnn_core.model import RNNModel
from rnn_core.train import TrainConfig
from ui.services.lab_measures import LabMeasures, measure, measure_key

MAX_ENTRIES = 64  # models measured and kept, all sessions together


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _measured(key: str, _model: RNNModel, _config: TrainConfig, _batch) -> LabMeasures:
    # ``key`` is the whole cache key: the leading underscores keep Streamlit from hashing
    # the model and the batch itself (measure_key already digested them)
    return measure(_model, _config, _batch)


def measurements(model: RNNModel, config: TrainConfig, batch) -> LabMeasures:
    """:func:`ui.services.lab_measures.measure` of this model, from the cache when it has
    been measured before (by this session or another)."""
    return _measured(measure_key(model, config, batch), model, config, batch)
