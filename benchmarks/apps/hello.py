"""The hello app: a name in, a greeting out (roundtrip, memory, coldstart)."""

from __future__ import annotations

from _compat import gr, serve


def greet(name: str) -> str:
    """Say hello: the smallest listener worth timing."""
    return f"Hello {name}!"


def build() -> None:
    """Declare this app's components and listeners in the current Blocks."""
    name = gr.Textbox(label="Name")
    button = gr.Button("Greet")
    greeting = gr.Textbox(label="Greeting")
    button.click(greet, name, greeting, api_name="greet")


with gr.Blocks() as demo:
    build()

if __name__ == "__main__":
    serve(demo)
