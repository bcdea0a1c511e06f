"""A slow ``always_last`` change listener fed by a fast slider (slider)."""

from __future__ import annotations

import itertools
import time

from _compat import gr, serve

_runs = itertools.count(1)


def double(value: float) -> tuple[str, str]:
    """Take 5 ms, return twice the value and how many runs there were so far."""
    time.sleep(0.005)
    return f"{value * 2:g}", str(next(_runs))


def build() -> None:
    """Declare this app's components and listeners in the current Blocks."""
    slider = gr.Slider(0, 2000, value=0, step=1, label="Value")
    doubled = gr.Textbox(label="Doubled")
    runs = gr.Textbox(label="Runs")
    slider.change(
        double, slider, [doubled, runs], api_name="double", trigger_mode="always_last"
    )


with gr.Blocks() as demo:
    build()

if __name__ == "__main__":
    serve(demo)
