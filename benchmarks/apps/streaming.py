"""A generator streaming 2,000 five-byte tokens into a Textbox (streaming)."""

from __future__ import annotations

from collections.abc import Iterator

from _compat import gr, serve

TOKENS = 2000


def token(i: int) -> str:
    """The i-th token: four digits and a space, so the final text is checkable."""
    return f"{i:04d} "


def stream() -> Iterator[str]:
    """Yield the text so far after each token, as chat apps do."""
    text = ""
    for i in range(TOKENS):
        text += token(i)
        yield text


def build() -> None:
    """Declare this app's components and listeners in the current Blocks."""
    button = gr.Button("Stream")
    output = gr.Textbox(label="Tokens")
    button.click(stream, None, output, api_name="stream")


with gr.Blocks() as demo:
    build()

if __name__ == "__main__":
    serve(demo)
