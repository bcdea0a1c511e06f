"""gr.Progress drives a progress bar over the output while the function works.

Run: python examples/progress_bar.py
"""

import time

import reactive_blocks as gr


def count_letters(text, progress=gr.Progress()):
    progress(0, desc="Starting")
    letters = 0
    for char in progress.tqdm(text, desc="Counting"):
        time.sleep(0.1)
        letters += char.isalpha()
    if letters == 0:
        gr.Warning("There were no letters to count.")
    return f"{letters} letters"


with gr.Blocks(title="Progress") as demo:
    text = gr.Textbox(label="Text", value="Hello, progress!")
    result = gr.Textbox(label="Result")
    gr.Button("Count").click(count_letters, text, result)

if __name__ == "__main__":
    demo.launch()
