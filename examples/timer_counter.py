"""A server-driven Timer counts up in each tab and stops when the tab closes.

Run: python examples/timer_counter.py
"""

import reactive_blocks as gr

with gr.Blocks(title="Timer counter") as demo:
    timer = gr.Timer(0.5)
    count = gr.State(0)
    shown = gr.Textbox(label="Ticks", value="0")
    with gr.Row():
        pause = gr.Button("Pause")
        resume = gr.Button("Resume")

    def tick(n):
        return n + 1, str(n + 1)

    timer.tick(tick, count, [count, shown])
    pause.click(lambda: gr.Timer(active=False), None, timer)
    resume.click(lambda: gr.Timer(active=True), None, timer)

if __name__ == "__main__":
    demo.launch()
