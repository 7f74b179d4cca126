"""rnn_core: a from-scratch numpy recurrent core (numpy only — no UI libraries, no ML framework).

    import numpy as np
    from rnn_core import ModelConfig, RNNModel, Trainer, TrainConfig

The cell functions follow docs/ARCHITECTURE.md, "Contracts": batch first ``x: (B, T, D)``,
row vectors, ``mask: (B, T)`` True for real steps, dtype following the parameters.
"""

from rnn_core.cells import (
    ACTIVATIONS,
    CELLS,
    SeqCache,
    cell_backward,
    cell_forward,
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from rnn_core.data import Dataset, SequenceData, pad_sequences
from rnn_core.gradcheck import check_model_gradients
from rnn_core.losses import mse, softmax, softmax_cross_entropy
from rnn_core.model import Clamp, ModelConfig, RNNModel, ablate, init_params, param_shapes
from rnn_core.optim import (
    OPTIMIZERS,
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    make_optimizer,
)
from rnn_core.train import TrainConfig, Trainer, evaluate

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "OPTIMIZERS",
    "Clamp",
    "Dataset",
    "ModelConfig",
    "RNNModel",
    "SeqCache",
    "SequenceData",
    "TrainConfig",
    "Trainer",
    "ablate",
    "cell_backward",
    "cell_forward",
    "check_model_gradients",
    "clip_by_global_norm",
    "clip_by_value",
    "evaluate",
    "global_norm",
    "gru_backward",
    "gru_forward",
    "init_params",
    "lstm_backward",
    "lstm_forward",
    "make_optimizer",
    "mse",
    "pad_sequences",
    "param_shapes",
    "rnn_backward",
    "rnn_forward",
    "softmax",
    "softmax_cross_entropy",
]
