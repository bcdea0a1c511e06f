"""A live dashboard: a Timer at 20 Hz updates a 10,000-point line plot and numbers.

Every session gets its own timer, driven by the server; open several tabs.

Run: python examples/live_dashboard.py
"""

import time

import numpy as np
import pandas as pd

import reactive_blocks as gr

POINTS = 10_000
X = np.linspace(0, 10, POINTS)


def refresh():
    phase = time.monotonic()
    y = np.sin(X + phase) + 0.1 * np.sin(7 * X - 3 * phase)
    frame = pd.DataFrame({"x": X, "y": y})
    return frame, f"{y.mean():+.4f}", f"{y.max():.4f}"


with gr.Blocks(title="Live dashboard") as demo:
    gr.Markdown("## Live signal")
    with gr.Row():
        mean = gr.Textbox(label="Mean")
        peak = gr.Textbox(label="Peak")
    plot = gr.LinePlot(x="x", y="y", title="Signal", y_lim=[-1.2, 1.2], height=320)
    timer = gr.Timer(0.05)
    timer.tick(refresh, None, [plot, mean, peak], concurrency_limit=None)

if __name__ == "__main__":
    demo.launch()
