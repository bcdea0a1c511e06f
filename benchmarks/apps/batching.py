"""The same 20 ms-per-call function, batched and not (batching)."""

from __future__ import annotations

import time

from _compat import gr, serve


def upper_batched(texts: list[str]) -> tuple[list[str]]:
    """One 20 ms call serves the whole batch, as a model forward pass would.

    Returns a tuple of one list per output, the form Gradio's docs ask for.
    """
    time.sleep(0.02)
    return ([text.upper() for text in texts],)


def upper_single(text: str) -> str:
    """The same cost for one item."""
    time.sleep(0.02)
    return text.upper()


def build() -> None:
    """Declare this app's components and listeners in the current Blocks."""
    text = gr.Textbox(label="Text")
    batched_button = gr.Button("Batched")
    single_button = gr.Button("Single")
    batched_out = gr.Textbox(label="Batched")
    single_out = gr.Textbox(label="Single")
    batched_button.click(
        upper_batched,
        text,
        batched_out,
        api_name="upper_batched",
        batch=True,
        max_batch_size=16,
    )
    single_button.click(upper_single, text, single_out, api_name="upper_single")


with gr.Blocks() as demo:
    build()

if __name__ == "__main__":
    serve(demo)
