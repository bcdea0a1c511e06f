"""A listener writes back into the Textbox the user is typing in.

The user's newer edit always wins: an output computed from an older value
never overwrites what they have typed since, so fast typing loses nothing.

Run: python examples/typing_writeback.py
"""

import time

import reactive_blocks as gr


def shout(text):
    time.sleep(0.05)
    return text.upper()


with gr.Blocks(title="Typing write-back") as demo:
    box = gr.Textbox(label="Type here (it is upper-cased as you type)")
    box.change(shout, box, box)

if __name__ == "__main__":
    demo.launch()
