"""The seed demo: each keystroke's text comes back as a greeting (browser)."""

from __future__ import annotations

from _compat import gr, serve


def welcome(name: str) -> str:
    """The greeting ``examples/blocks_hello.py`` writes as the user types."""
    return f"Welcome to Gradio, {name}!"


def build() -> None:
    """Declare this app's components and listeners in the current Blocks."""
    gr.Markdown("# Hello World!\nStart typing below to see the output.")
    name = gr.Textbox(placeholder="What is your name?")
    greeting = gr.Textbox()
    name.change(welcome, name, greeting)


with gr.Blocks() as demo:
    build()

if __name__ == "__main__":
    serve(demo)
