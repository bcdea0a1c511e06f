"""A generator streams text token by token; Stop cancels it mid-stream.

Run: python examples/stream_text.py
"""

import time

import reactive_blocks as gr


def write(prompt):
    """Yield the growing answer; each yield reaches the page as an append."""
    text = ""
    for (
        word
    ) in f"You asked about {prompt}. Here is a long answer, word by word.".split():
        text += word + " "
        time.sleep(0.15)
        yield text


with gr.Blocks(title="Streaming text") as demo:
    prompt = gr.Textbox(label="Prompt", value="streaming")
    answer = gr.Textbox(label="Answer", lines=4)
    with gr.Row():
        go = gr.Button("Write", variant="primary")
        stop = gr.Button("Stop", variant="stop")
    writing = go.click(write, prompt, answer)
    stop.click(None, cancels=[writing])

if __name__ == "__main__":
    demo.launch()
