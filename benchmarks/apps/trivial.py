"""A trivial listener with no concurrency limit (throughput)."""

from __future__ import annotations

from _compat import gr, serve


def echo(text: str) -> str:
    """Return the input: all cost is the framework's."""
    return text


def build() -> None:
    """Declare this app's components and listeners in the current Blocks."""
    source = gr.Textbox(label="In")
    button = gr.Button("Echo")
    target = gr.Textbox(label="Out")
    button.click(echo, source, target, api_name="echo", concurrency_limit=None)


with gr.Blocks() as demo:
    build()

if __name__ == "__main__":
    serve(demo)
