"""Size limits against real servers: uploaded files and whole messages."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import numpy as np
import PIL.Image
import pytest
import websockets
from waiting import wait_until

import reactive_blocks as gr
from reactive_blocks.protocol import PROTOCOL_VERSION

if TYPE_CHECKING:
    from tests.conftest import Apps, Message, RawSocket, Sockets

TIMEOUT: Final = 10.0
#: One message may hold this many bytes, whatever ``max_file_size`` says.
MAX_MESSAGE: Final = 16 * 1024 * 1024
TOO_LARGE_TEXT: Final = (
    "the file is {size}, above this app's limit of 1 KB per file "
    "(launch(max_file_size=...)); send a smaller one"
)


def png(side: int, seed: int) -> bytes:
    """A PNG of random pixels, ``side`` pixels square: noise does not compress."""
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), np.uint8)
    buffer = io.BytesIO()
    PIL.Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


SMALL: Final = png(8, 1)
LARGE: Final = png(64, 2)


def sizes_app() -> gr.Blocks:
    """An upload, a webcam stream and a call, each reporting the bytes it got."""
    with gr.Blocks() as demo:
        upload = gr.Image(label="Upload")
        webcam = gr.Image(label="Webcam", sources=["webcam"], streaming=True)
        seen = gr.Textbox(label="Seen")

        def size(image: Any) -> str:
            return "none" if image is None else f"{image.shape[1]}x{image.shape[0]}"

        gr.Button("Look").click(size, upload, seen)
        gr.Button("Peek").click(size, webcam, seen)
        gr.Button("Size").click(size, upload, seen, api_name="size")
    return demo


def upload_message(kind: str, ids: dict[str, int], image: bytes) -> Message:
    """A ``set``, ``stream`` or ``call`` carrying ``image``, with ref 5."""
    blob = gr.Blob(image, "image/png")
    if kind == "set":
        return {"type": "set", "id": ids["Upload"], "value": blob, "ref": 5}
    if kind == "stream":
        return {"type": "stream", "id": ids["Webcam"], "value": blob, "ref": 5}
    return {"type": "call", "api_name": "size", "inputs": [blob], "ref": 5}


async def seen_after(sock: RawSocket, button: int) -> str:
    """Click ``button`` and return what its listener wrote into Seen."""
    await sock.send({"type": "trigger", "id": button, "event": "click"})
    received = await sock.receive_until(lambda m: m["type"] == "end")
    [value] = [
        change[2]
        for m in received
        if m["type"] == "update"
        for change in m["changes"]
        if change[0] == sock.component("Seen")
    ] or ["unchanged"]
    return str(value)


def button_ids(welcome: Message) -> dict[str, int]:
    return {
        block["props"]["value"]: int(key)
        for key, block in welcome["config"]["blocks"].items()
        if block["type"] == "button"
    }


@pytest.mark.parametrize("kind", ["set", "stream", "call"])
async def test_an_upload_above_max_file_size_is_refused_and_the_session_carries_on(
    launch: Apps, sockets: Sockets, kind: str
) -> None:
    """A file above max_file_size gets too_large with its ref and is not stored."""
    sock, welcome = await sockets.open(launch(sizes_app(), max_file_size="1kb"))
    ids = {label: sock.component(label) for label in ("Upload", "Webcam", "Seen")}
    buttons = button_ids(welcome)
    assert len(SMALL) < 1024 < len(LARGE)
    assert welcome["config"]["max_file_size"] == 1024
    assert welcome["config"]["max_message"] == MAX_MESSAGE

    await sock.send(upload_message("stream" if kind == "stream" else "set", ids, SMALL))
    await sock.send(upload_message(kind, ids, LARGE))
    received = await sock.ping()

    errors = [m for m in received if m["type"] == "error"]
    assert errors == [
        {
            "type": "error",
            "code": "too_large",
            "message": TOO_LARGE_TEXT.format(size=f"{len(LARGE) / 1024:.1f} KB"),
            "ref": 5,
        }
    ]
    assert not [m for m in received if m["type"] == "end"], "the call must not run"
    look = buttons["Peek" if kind == "stream" else "Look"]
    assert await seen_after(sock, look) == "8x8"


async def test_text_above_max_file_size_is_no_upload_and_is_accepted(
    launch: Apps, sockets: Sockets
) -> None:
    """A 100 KB text set under max_file_size="1kb" is stored; only files are limited."""
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text")
        seen = gr.Textbox(label="Seen")
        gr.Button("Count").click(lambda t: str(len(t)), text, seen)
    sock, welcome = await sockets.open(launch(demo, max_file_size="1kb"))

    await sock.send(
        {"type": "set", "id": sock.component("Text"), "value": "a" * 100_000}
    )

    assert await seen_after(sock, button_ids(welcome)["Count"]) == "100000"


async def test_a_message_above_the_socket_limit_ends_the_session(
    launch: Apps, sockets: Sockets
) -> None:
    """A 17 MiB message closes the socket with 1009; unload runs once; no resume."""
    unloads: list[str] = []
    with gr.Blocks() as demo:
        gr.Textbox(label="Text")
        demo.unload(lambda: unloads.append("unload"))
    url = launch(demo)
    sock, welcome = await sockets.open(url)
    token = welcome["resume_token"]

    await sock.send({"type": "set", "id": sock.component("Text"), "value": "a" * 2})
    with contextlib.suppress(websockets.ConnectionClosed):
        await sock.send({"type": "set", "id": 1, "value": "a" * (MAX_MESSAGE + 1)})
    await asyncio.wait_for(sock.connection.wait_closed(), TIMEOUT)
    assert sock.connection.close_code == 1009
    await wait_until(lambda: unloads == ["unload"])

    again = await sockets.connect(url)
    await again.send(
        {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "resume": {"token": token, "received": 1},
        }
    )
    assert await again.receive() == [
        {
            "type": "error",
            "code": "session_expired",
            "message": "this session has ended; reload the page to start anew",
        }
    ]
    await asyncio.to_thread(demo.close)
    assert unloads == ["unload"]


async def test_an_api_image_above_max_file_size_answers_413(launch: Apps) -> None:
    """The HTTP API refuses an image above max_file_size as the socket does."""
    demo = sizes_app()
    demo.queue(api_open=True)
    url = launch(demo, max_file_size="1kb")

    async def size_of(image: bytes) -> tuple[int, Any]:
        body = {"data": ["data:image/png;base64," + base64.b64encode(image).decode()]}
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(f"{url}api/size", json=body) as response,
        ):
            return response.status, await response.json()

    assert await size_of(SMALL) == (
        200,
        {"data": ["8x8"], "duration": pytest.approx(0, abs=5)},
    )
    assert await size_of(LARGE) == (
        413,
        {
            "error": TOO_LARGE_TEXT.format(size=f"{len(LARGE) / 1024:.1f} KB"),
            "code": "too_large",
        },
    )
