"""Reading plotly figures back the way the browser gets them (shared by the chart and page
tests): plotly 7 sends numpy arrays as typed-array specs {"dtype", "bdata", "shape"}."""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.io as pio


def decode(value) -> np.ndarray:
    """A trace array as numpy: a typed-array spec (``shape`` may be a string "16, 7"), or a
    plain JSON list (null -> NaN)."""
    if isinstance(value, dict):
        arr = np.frombuffer(base64.b64decode(value["bdata"]), np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape is not None:
            if isinstance(shape, str):
                shape = tuple(int(s) for s in shape.split(","))
            arr = arr.reshape(shape)
        return arr
    return np.array([np.nan if v is None else v for v in value], dtype=np.float64)


def sent(fig) -> dict:
    """The figure as Streamlit sends it."""
    return json.loads(pio.to_json(fig, validate=False, engine="orjson"))
