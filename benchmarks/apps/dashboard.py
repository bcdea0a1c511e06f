"""A live dashboard: a 20 Hz Timer redraws a 10,000-point line plot (browser)."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
from _compat import gr, serve

POINTS = 10_000
#: Seconds between ticks: 20 Hz, a rate a person reads as live.
INTERVAL = 0.05
X = np.linspace(0, 10, POINTS)

_ticks = itertools.count(1)


def refresh() -> tuple[pd.DataFrame, str, str, str]:
    """A moving signal and three figures about it, as a monitoring page shows."""
    phase = time.monotonic()
    y = np.sin(X + phase) + 0.1 * np.sin(7 * X - 3 * phase)
    frame = pd.DataFrame({"x": X, "y": y})
    return frame, f"{y.mean():+.4f}", f"{y.max():.4f}", f"tick {next(_ticks)}"


def build() -> None:
    """Declare this app's components and listeners in the current Blocks."""
    gr.Markdown("## Live signal")
    with gr.Row():
        mean = gr.Textbox(label="Mean")
        peak = gr.Textbox(label="Peak")
    count = gr.Markdown("tick 0")
    plot = gr.LinePlot(x="x", y="y", title="Signal", y_lim=[-1.2, 1.2], height=320)
    timer = gr.Timer(INTERVAL)
    timer.tick(refresh, None, [plot, mean, peak, count], concurrency_limit=None)


with gr.Blocks() as demo:
    build()

if __name__ == "__main__":
    serve(demo)
