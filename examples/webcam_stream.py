"""A webcam streamed through a numpy filter: the edges of each frame, live.

Click Record and allow the camera. The page sends a frame every 0.1 s; the
server runs ``edges`` on the newest frame no more often than that, whatever
pace a client sends at, so a slow machine skips frames instead of falling
behind. The stream stops by itself after 30 s; Record starts a new one.

Run: python examples/webcam_stream.py
"""

import numpy as np

import reactive_blocks as gr


def edges(frame: np.ndarray | None) -> np.ndarray | None:
    """The frame's edges, bright on black: the gradient of its brightness."""
    if frame is None:
        return None
    grey = frame.astype(np.float32).mean(axis=2)
    across = np.abs(np.diff(grey, axis=1, prepend=grey[:, :1]))
    down = np.abs(np.diff(grey, axis=0, prepend=grey[:1]))
    return np.clip(4 * (across + down), 0, 255).astype(np.uint8)


with gr.Blocks(title="Webcam edges") as demo:
    gr.Markdown(
        "## Webcam edges\nClick **Record** to stream your camera; **Stop** ends it."
    )
    with gr.Row():
        webcam = gr.Image(label="Webcam", sources=["webcam"], streaming=True)
        outline = gr.Image(label="Edges")
    webcam.stream(edges, webcam, outline, stream_every=0.1, time_limit=30)

if __name__ == "__main__":
    demo.launch()
