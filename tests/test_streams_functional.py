"""Streaming inputs against real servers: pacing, coalescing, time limits, refusals."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from PIL import Image
from waiting import wait_until

import reactive_blocks as gr
from reactive_blocks.protocol import Blob

if TYPE_CHECKING:
    from tests.conftest import Apps, Message, RawSocket, Sockets

TIMEOUT: Final = 10.0


def frame(number: int) -> np.ndarray:
    """An 8x8 RGB frame whose every pixel holds ``number``, telling frames apart."""
    return np.full((8, 8, 3), number, np.uint8)


def frame_blob(number: int) -> Blob:
    """``frame(number)`` as PNG bytes, as a raw client sends them."""
    buffer = io.BytesIO()
    Image.fromarray(frame(number)).save(buffer, format="PNG")
    return Blob(buffer.getvalue(), "image/png")


def stream_message(component: gr.Image, number: int) -> Message:
    return {"type": "stream", "id": component.id, "value": frame_blob(number)}


async def until(sock: RawSocket, kind: str) -> list[Message]:
    """Messages up to and including the first of type ``kind``, acks left out."""
    received = await sock.receive_until(lambda m: m["type"] == kind)
    return [m for m in received if m["type"] != "ack"]


class Runs:
    """What a stream listener saw: the start time and frame number of each run."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.starts: list[float] = []
        self.frames: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, image: np.ndarray) -> str:
        with self._lock:
            self.starts.append(time.monotonic())
            self.frames.append(int(image[0, 0, 0]))
        time.sleep(self.seconds)
        return f"frame {int(image[0, 0, 0])}"


def webcam_app(runs: Runs, **options: Any) -> tuple[gr.Blocks, gr.Image, gr.Textbox]:
    with gr.Blocks() as demo:
        webcam = gr.Image(sources=["webcam"], streaming=True, label="Webcam")
        seen = gr.Textbox(label="Seen")
        webcam.stream(runs, webcam, seen, **options)
    return demo, webcam, seen


async def test_frames_faster_than_stream_every_run_spaced_and_end_on_the_last(
    launch: Apps,
) -> None:
    """Sixty frames in 0.6 s run a few times, stream_every apart, the last last."""
    runs = Runs()
    demo, webcam, seen = webcam_app(runs, stream_every=0.25)

    async with gr.AsyncClient(launch(demo)) as client:
        for number in range(60):
            await client.stream(webcam.id, frame(number))
            await asyncio.sleep(0.01)
        await wait_until(lambda: runs.frames[-1:] == [59])
        await client.settle()

        assert client.values[seen.id] == "frame 59"
    gaps = [
        later - earlier
        for earlier, later in zip(runs.starts[:-1], runs.starts[1:], strict=True)
    ]
    # Coalesced: a run per stream_every of sending at most, nowhere near one per frame.
    assert 2 <= len(runs.frames) <= 60 // 4, runs.frames
    assert runs.frames == sorted(runs.frames)
    assert runs.frames[0] == 0
    assert min(gaps) >= 0.25 * 0.8, gaps


async def test_a_slow_listener_goes_on_with_the_newest_frame(launch: Apps) -> None:
    """A listener slower than the frames skips to the newest one; none queue up."""
    runs = Runs(seconds=0.3)
    demo, webcam, seen = webcam_app(runs, stream_every=0.02)

    async with gr.AsyncClient(launch(demo)) as client:
        for number in range(40):
            await client.stream(webcam.id, frame(number))
            await asyncio.sleep(0.02)
        await wait_until(lambda: runs.frames[-1:] == [39])
        await client.settle()

        assert client.values[seen.id] == "frame 39"
    # About 0.8 s of frames at 0.3 s a run: a handful of runs, not forty.
    assert 2 <= len(runs.frames) <= 40 // 4, runs.frames
    assert runs.frames == sorted(runs.frames)


async def test_a_once_stream_listener_still_ends_on_the_last_frame(
    launch: Apps, sockets: Sockets
) -> None:
    """Under trigger_mode='once' frames that come mid-run wait; none is refused."""
    runs = Runs(seconds=0.3)
    demo, webcam, _ = webcam_app(runs, stream_every=0.02, trigger_mode="once")

    sock, _ = await sockets.open(launch(demo))
    for number in range(25):
        await sock.send(stream_message(webcam, number))
        await asyncio.sleep(0.03)
    await wait_until(lambda: runs.frames[-1:] == [24])
    received = await sock.receive_until(
        lambda m: m["type"] == "end" and m["event"] == len(runs.frames)
    )

    refused = [m for m in received if m.get("outcome") == "refused"]
    assert refused == []
    assert runs.frames == sorted(runs.frames)
    assert 2 <= len(runs.frames) <= 25 // 4, runs.frames


async def test_stream_frames_fire_stream_listeners_but_not_change(
    launch: Apps,
) -> None:
    """Frames run the stream listener only; a set of the same image fires change."""
    changes: list[int] = []
    runs = Runs()
    with gr.Blocks() as demo:
        webcam = gr.Image(sources=["webcam"], streaming=True, label="Webcam")
        seen = gr.Textbox(label="Seen")
        webcam.stream(runs, webcam, seen, stream_every=0.05)
        webcam.change(lambda image: changes.append(int(image[0, 0, 0])), webcam)

    async with gr.AsyncClient(launch(demo)) as client:
        for number in (1, 2, 3):
            await client.stream(webcam.id, frame(number))
            await client.sync()
            await wait_until(lambda n=number: runs.frames[-1:] == [n])
        await client.settle()

        assert changes == []
        assert runs.frames == [1, 2, 3]
        assert client.values[seen.id] == "frame 3"

        await client.set(webcam.id, frame(9))
        await client.settle()

    assert changes == [9]
    assert runs.frames == [1, 2, 3]


async def test_time_limit_ends_the_stream_and_refuses_frames_until_stopped(
    launch: Apps, sockets: Sockets
) -> None:
    """At time_limit comes stream_end; frames are refused until a stop restarts it."""
    runs = Runs()
    demo, webcam, seen = webcam_app(runs, stream_every=0.05, time_limit=0.5)
    sock, _ = await sockets.open(launch(demo))

    await sock.send(stream_message(webcam, 1))
    first = time.monotonic()
    received = await until(sock, "stream_end")
    ended = time.monotonic()

    assert 0.5 * 0.9 <= ended - first <= 0.5 + 5
    assert received[-1] == {
        "type": "stream_end",
        "id": webcam.id,
        "code": "time_limit",
        "message": (
            "the stream of Image 'Webcam' reached its time_limit of 0.5 s "
            "and was stopped"
        ),
    }
    await wait_until(lambda: runs.frames == [1])

    await sock.send(stream_message(webcam, 2))
    refused = await until(sock, "error")
    assert refused[-1] == {
        "type": "error",
        "code": "stream_ended",
        "message": (
            "the stream of Image 'Webcam' ended at its time_limit of 0.5 s; send "
            "'stream_stop', then frames of a new stream"
        ),
    }

    await sock.send({"type": "stream_stop", "id": webcam.id})
    await sock.send(stream_message(webcam, 3))
    restarted = await until(sock, "end")
    await sock.ping()

    assert restarted[-1]["outcome"] == "done"
    assert [c for m in restarted if m["type"] == "update" for c in m["changes"]] == [
        [seen.id, "value", "frame 3"]
    ]
    assert runs.frames == [1, 3]
    # The new stream has a time limit of its own.
    assert (await until(sock, "stream_end"))[-1]["id"] == webcam.id


async def test_stream_messages_the_server_cannot_use_are_refused(
    launch: Apps, sockets: Sockets
) -> None:
    """Frames for a still image, empty frames and a 'stream' trigger are errors."""
    runs = Runs()
    with gr.Blocks() as demo:
        webcam = gr.Image(sources=["webcam"], streaming=True, label="Webcam")
        still = gr.Image(label="Still")
        seen = gr.Textbox(label="Seen")
        webcam.stream(runs, webcam, seen)
    sock, _ = await sockets.open(launch(demo))

    await sock.send({"type": "stream", "id": still.id, "value": frame_blob(1)})
    await sock.send({"type": "stream", "id": webcam.id, "value": None})
    await sock.send({"type": "stream", "id": webcam.id, "value": "pixels"})
    await sock.send({"type": "trigger", "id": webcam.id, "event": "stream"})
    errors = [m for m in await sock.ping() if m["type"] == "error"]

    assert [(m["code"], m["message"]) for m in errors] == [
        (
            "not_streaming",
            "Image 'Still' does not stream; declare it with streaming=True or send "
            "its value with 'set'",
        ),
        ("bad_value", "a frame of Image 'Webcam' is empty"),
        ("bad_value", "Image 'Webcam' needs image bytes in a binary frame"),
        ("bad_message", "'stream' is fired by the server, not sent"),
    ]
    assert runs.frames == []
