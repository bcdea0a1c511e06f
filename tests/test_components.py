"""What components turn listener return values into, for the wire."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import reactive_blocks as gr


def plot_value(frame: pd.DataFrame) -> dict[str, object]:
    with gr.Blocks():
        plot = gr.LinePlot(x="x", y="y")
    value = plot.postprocess(frame)
    assert isinstance(value, dict)
    return value


def test_a_numeric_table_travels_as_rows_of_floats() -> None:
    frame = pd.DataFrame({"x": np.arange(3), "y": [0.5, -1.25, 2.0]})

    value = plot_value(frame)

    assert value == {
        "columns": ["x", "y"],
        "data": [[0.0, 0.5], [1.0, -1.25], [2.0, 2.0]],
    }
    assert {type(v) for row in value["data"] for v in row} == {float}


def test_missing_numbers_become_null() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0.5, math.nan, 2.0]})

    assert plot_value(frame)["data"] == [[1.0, 0.5], [2.0, None], [3.0, 2.0]]


def test_dates_travel_as_epoch_seconds_and_text_stays_text() -> None:
    frame = pd.DataFrame(
        {
            "x": pd.to_datetime(["1970-01-01 00:00:10", "1970-01-02 00:00:00"]),
            "y": [1, 2],
            "series": ["a", "b"],
        }
    )

    assert plot_value(frame)["data"] == [[10.0, 1, "a"], [86400.0, 2, "b"]]


def test_a_boolean_column_stays_boolean() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": [True, False]})

    rows = plot_value(frame)["data"]

    assert rows == [[1, True], [2, False]]
    assert [type(y) for _, y in rows] == [bool, bool]  # 1.0 == True in Python


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="no column 'y'"):
        plot_value(pd.DataFrame({"x": [1]}))
