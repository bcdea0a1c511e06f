"""High-frequency change events: a slider dragged fast into a slow listener.

The ``change`` listener is ``always_last``: while it runs, newer positions
replace each other, so it runs far fewer times than the slider moves and the
output always ends on the final position.

Run: python examples/slider_storm.py
"""

import time

import reactive_blocks as gr


def square(x):
    time.sleep(0.05)
    return f"{x} squared is {x * x}"


with gr.Blocks(title="Slider storm") as demo:
    slider = gr.Slider(0, 100, value=0, step=1, label="Value")
    result = gr.Textbox(label="Result")
    slider.change(square, slider, result)

if __name__ == "__main__":
    demo.launch()
