"""The socket at the byte level (RFC 6455): handshakes and frames built by hand.

Each test opens a plain TCP connection to an app served on 127.0.0.1, writes the
HTTP upgrade and the frames itself, and reads the server's bytes back, so that
what is checked is the wire, not what a WebSocket library makes of it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import hashlib
import os
import struct
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Final, NamedTuple
from urllib.parse import urlsplit

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from waiting import wait_until

import reactive_blocks as gr
from reactive_blocks.protocol import PROTOCOL_VERSION
from reactive_blocks.transport import _handshake

if TYPE_CHECKING:
    from tests.conftest import Apps, Message

#: Seconds any single read may take; never spent when the server is right.
TIMEOUT: Final = 5.0
GUID: Final = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE: Final = 16 * 1024 * 1024

CONTINUATION: Final = 0x0
TEXT: Final = 0x1
CLOSE: Final = 0x8
PING: Final = 0x9
PONG: Final = 0xA
RSV1: Final = 0b100

HELLO: Final = orjson.dumps({"type": "hello", "protocol": PROTOCOL_VERSION})


class Frame(NamedTuple):
    """A frame as the server sent it (server frames are never masked)."""

    fin: bool
    opcode: int
    payload: bytes

    @property
    def close_code(self) -> int:
        """The status code of a close frame."""
        assert self.opcode == CLOSE, f"expected a close frame, got {self!r}"
        assert len(self.payload) >= 2, f"a close frame without a code: {self!r}"
        code: int = struct.unpack("!H", self.payload[:2])[0]
        return code


class Head(NamedTuple):
    """The status and headers (names in lower case) of an HTTP response."""

    status: int
    headers: dict[str, str]


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    mask: bool = True,
    rsv: int = 0,
    length: int | None = None,
) -> bytes:
    """A frame's bytes; ``length`` overrides the announced payload length."""
    announced = len(payload) if length is None else length
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    mask_bit = 0x80 if mask else 0
    if announced < 126:
        head = struct.pack("!BB", first, mask_bit | announced)
    elif announced < 1 << 16:
        head = struct.pack("!BBH", first, mask_bit | 126, announced)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, announced)
    if not mask:
        return head + payload
    key = os.urandom(4)
    stream = (key * (len(payload) // 4 + 1))[: len(payload)]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(
        len(payload), "big"
    )
    return head + key + masked


def text(message: Message) -> bytes:
    """A masked text frame holding ``message`` as JSON."""
    return frame(TEXT, orjson.dumps(message))


def close_frame(code: int) -> bytes:
    return frame(CLOSE, struct.pack("!H", code))


def accept_for(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` that answers ``key``."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def new_key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def request(target: str, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 GET request head."""
    lines = [f"GET {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def upgrade_headers(host: str, key: str) -> dict[str, str]:
    """The headers of a correct upgrade to a WebSocket."""
    return {
        "Host": host,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
    }


def click(button: gr.Button, ref: int) -> bytes:
    """A masked text frame of a click on ``button``."""
    return text({"type": "trigger", "id": button.id, "event": "click", "ref": ref})


def call(ref: int, value: str) -> Message:
    return {"type": "call", "api_name": "shout", "inputs": [value], "ref": ref}


def shout_app() -> gr.Blocks:
    """A listener ``shout`` writing its input in capitals."""
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        gr.Button("Shout").click(
            lambda value: value.upper(),
            name,
            out,
            api_name="shout",
            trigger_mode="multiple",
        )
    return demo


class Wire:
    """One TCP connection to a served app, read and written byte by byte."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.host = host

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), TIMEOUT)

    async def read(self, size: int) -> bytes:
        return await asyncio.wait_for(self.reader.readexactly(size), TIMEOUT)

    async def head(self) -> Head:
        """The head of the next HTTP response."""
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        status_line, *lines = raw.decode("latin-1").split("\r\n")[:-2]
        version, status, *_ = status_line.split(" ", 2)
        assert version in ("HTTP/1.0", "HTTP/1.1"), status_line
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Head(int(status), headers)

    async def body(self, head: Head) -> bytes:
        """The body of the response ``head`` starts, by its Content-Length."""
        return await self.read(int(head.headers.get("content-length", "0")))

    async def frame(self) -> Frame:
        """The next frame from the server."""
        first, second = await self.read(2)
        assert not second & 0x80, "a server must not mask its frames"
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.read(8))
        return Frame(bool(first & 0x80), first & 0x0F, await self.read(length))

    async def messages(self) -> list[Message]:
        """The messages of the next frame, which must be a whole text frame."""
        got = await self.frame()
        assert (got.fin, got.opcode) == (True, TEXT), got
        messages = orjson.loads(got.payload)
        assert isinstance(messages, list), messages
        return messages

    async def until(self, done: Callable[[Message], bool]) -> list[Message]:
        """Every message up to and including the first for which ``done`` holds."""
        received: list[Message] = []
        while True:
            for message in await self.messages():
                received.append(message)
                if done(message):
                    return received

    async def upgrade(self) -> None:
        """Open a WebSocket on this connection; the server must switch protocols."""
        key = new_key()
        await self.write(request("/ws", upgrade_headers(self.host, key)))
        head = await self.head()
        assert head.status == 101, head
        assert head.headers["sec-websocket-accept"] == accept_for(key)

    async def hello(self) -> Message:
        """Say hello; return the first message of the server's answer."""
        await self.write(frame(TEXT, HELLO))
        return (await self.messages())[0]

    async def eof(self) -> bool:
        """Whether the server closes the connection with nothing more to read."""
        return await asyncio.wait_for(self.reader.read(), TIMEOUT) == b""


@contextlib.asynccontextmanager
async def connect(url: str) -> AsyncIterator[Wire]:
    """A TCP connection to the app at ``url``, closed after."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1" and parts.port is not None, url
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname, parts.port), TIMEOUT
    )
    try:
        yield Wire(reader, writer, parts.netloc)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await asyncio.wait_for(writer.wait_closed(), TIMEOUT)


@contextlib.asynccontextmanager
async def socket_to(url: str) -> AsyncIterator[Wire]:
    """A WebSocket to the app at ``url`` whose hello was welcomed."""
    async with connect(url) as wire:
        await wire.upgrade()
        assert (await wire.hello())["type"] == "welcome"
        yield wire


async def test_a_correct_upgrade_switches_protocols_and_hello_is_welcomed(
    launch: Apps,
) -> None:
    """101 with the Accept computed from the key; a masked hello gets a welcome."""
    async with connect(launch(shout_app())) as wire:
        key = new_key()
        await wire.write(request("/ws", upgrade_headers(wire.host, key)))
        head = await wire.head()
        assert head.status == 101
        assert head.headers["upgrade"].lower() == "websocket"
        assert "upgrade" in head.headers["connection"].lower()
        assert head.headers["sec-websocket-accept"] == accept_for(key)

        welcome = await wire.hello()

    assert welcome["type"] == "welcome"
    assert welcome["protocol"] == PROTOCOL_VERSION


async def test_the_accept_of_the_rfc_sample_key_is_the_rfc_sample_accept(
    launch: Apps,
) -> None:
    """The key of RFC 6455 section 1.3 gets the Accept printed there."""
    async with connect(launch(shout_app())) as wire:
        headers = upgrade_headers(wire.host, "dGhlIHNhbXBsZSBub25jZQ==")
        await wire.write(request("/ws", headers))
        head = await wire.head()

    assert head.status == 101
    assert head.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize(
    ("change", "statuses"),
    [
        pytest.param({"Sec-WebSocket-Key": None}, {400}, id="no-key"),
        pytest.param({"Sec-WebSocket-Version": "12"}, {400, 426}, id="version-12"),
        pytest.param({"Sec-WebSocket-Version": "8"}, {426}, id="version-8"),
    ],
)
async def test_a_malformed_upgrade_is_refused(
    launch: Apps, change: dict[str, str | None], statuses: set[int]
) -> None:
    """An upgrade without a key, or of another version, gets a 4xx, not 101."""
    async with connect(launch(shout_app())) as wire:
        merged = {**upgrade_headers(wire.host, new_key()), **change}
        headers = {name: value for name, value in merged.items() if value is not None}
        await wire.write(request("/ws", headers))
        head = await wire.head()

    assert head.status in statuses


async def test_a_cross_origin_upgrade_is_forbidden(launch: Apps) -> None:
    """An upgrade from a page of another site gets 403."""
    async with connect(launch(shout_app())) as wire:
        headers = upgrade_headers(wire.host, new_key())
        await wire.write(request("/ws", {**headers, "Origin": "http://evil.example"}))
        head = await wire.head()

    assert head.status == 403


async def test_a_fragmented_message_is_one_message_and_pings_between_are_answered(
    launch: Apps,
) -> None:
    """A hello in three fragments is welcomed; a ping between them gets its pong."""
    async with connect(launch(shout_app())) as wire:
        await wire.upgrade()
        first, second, third = HELLO[:5], HELLO[5:12], HELLO[12:]

        await wire.write(frame(TEXT, first, fin=False))
        await wire.write(frame(PING, b"between fragments"))
        await wire.write(frame(CONTINUATION, second, fin=False))
        await wire.write(frame(CONTINUATION, third))
        frames = [await wire.frame(), await wire.frame()]

    [pong] = [f for f in frames if f.opcode == PONG]
    [answer] = [f for f in frames if f.opcode == TEXT]
    assert pong == Frame(True, PONG, b"between fragments")
    assert answer.fin
    assert orjson.loads(answer.payload)[0]["type"] == "welcome"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(
            frame(TEXT, orjson.dumps({"type": "ping", "ref": 1}), mask=False),
            id="unmasked",
        ),
        pytest.param(frame(3, b"x"), id="reserved-opcode"),
        pytest.param(frame(TEXT, b"{}", rsv=RSV1), id="rsv1"),
        pytest.param(frame(PING, b"p" * 126), id="long-control"),
        pytest.param(frame(CONTINUATION, b"{}"), id="orphan-continuation"),
    ],
)
async def test_a_frame_breaking_the_protocol_closes_with_1002(
    launch: Apps, bad: bytes
) -> None:
    """The server answers a frame RFC 6455 forbids with a close frame of code 1002."""
    async with socket_to(launch(shout_app())) as wire:
        await wire.write(bad)
        code = (await wire.frame()).close_code

    assert code == 1002


async def test_a_client_close_is_answered_and_the_connection_ends(
    launch: Apps,
) -> None:
    """A close frame with 1000 gets a close frame with 1000, then EOF."""
    async with socket_to(launch(shout_app())) as wire:
        await wire.write(close_frame(1000))
        code = (await wire.frame()).close_code
        ended = await wire.eof()

    assert code == 1000
    assert ended


async def test_frames_pipelined_behind_the_upgrade_request_are_handled(
    launch: Apps,
) -> None:
    """A hello written with the upgrade request in one write is welcomed."""
    async with connect(launch(shout_app())) as wire:
        key = new_key()
        upgrade = request("/ws", upgrade_headers(wire.host, key))
        await wire.write(upgrade + frame(TEXT, HELLO) + text(call(1, "ada")))
        head = await wire.head()
        welcome = (await wire.messages())[0]
        received = await wire.until(lambda m: m["type"] == "end")

    assert head.status == 101
    assert head.headers["sec-websocket-accept"] == accept_for(key)
    assert welcome["type"] == "welcome"
    assert (received[-1]["ref"], received[-1]["outputs"]) == (1, ["ADA"])


async def test_several_frames_in_one_write_are_each_handled(launch: Apps) -> None:
    """Three calls written at once each end with their own outputs."""
    async with socket_to(launch(shout_app())) as wire:
        names = {1: "ada", 2: "grace", 3: "edsger"}
        await wire.write(b"".join(text(call(ref, v)) for ref, v in names.items()))
        ends: dict[int, Message] = {}
        while len(ends) < len(names):
            for message in await wire.messages():
                if message["type"] == "end":
                    ends[message["ref"]] = message

    assert {ref: end["outputs"] for ref, end in ends.items()} == {
        ref: [value.upper()] for ref, value in names.items()
    }


async def test_a_frame_dribbled_a_byte_at_a_time_is_handled(launch: Apps) -> None:
    """A call whose frame arrives one byte per write runs as one message."""
    async with socket_to(launch(shout_app())) as wire:
        for byte in text(call(7, "slowly")):
            await wire.write(bytes([byte]))
        received = await wire.until(lambda m: m["type"] == "end")

    assert (received[-1]["ref"], received[-1]["outputs"]) == (7, ["SLOWLY"])


async def test_a_message_announced_above_the_limit_closes_with_1009(
    launch: Apps,
) -> None:
    """A frame header announcing 16 MiB + 1 bytes gets a close frame with 1009."""
    async with socket_to(launch(shout_app())) as wire:
        header = frame(TEXT, b"", length=MAX_MESSAGE + 1)
        assert header[1] & 0x7F == 127
        await wire.write(header)
        code = (await wire.frame()).close_code

    assert code == 1009


async def test_a_resume_before_the_client_answers_a_1009_close_is_refused(
    launch: Apps,
) -> None:
    """A session closed for a message over the limit stays ended.

    A client slow to answer the close frame could resume in between: its
    session carried on, told to send the oversized message again.
    """
    unloads: list[str] = []
    with gr.Blocks() as demo:
        gr.Textbox(label="Text")
        demo.unload(lambda: unloads.append("unload"))
    url = launch(demo)

    async with connect(url) as first:
        await first.upgrade()
        await first.write(frame(TEXT, HELLO))
        [welcome] = await first.messages()
        await first.write(frame(TEXT, b"", length=MAX_MESSAGE + 1))
        assert (await first.frame()).close_code == 1009
        async with connect(url) as second:
            await second.upgrade()
            resume = {"token": welcome["resume_token"], "received": 1}
            hello = {"type": "hello", "protocol": PROTOCOL_VERSION, "resume": resume}
            await second.write(text(hello))
            answer = await second.messages()

    assert [(m["type"], m.get("code")) for m in answer] == [
        ("error", "session_expired")
    ]
    await wait_until(lambda: unloads == ["unload"])
    await wait_until(lambda: welcome["session"] not in demo.server.runtime.sessions)


async def test_a_socket_opens_on_a_connection_that_served_a_request(
    launch: Apps,
) -> None:
    """After a keep-alive GET of the page, an upgrade on the same connection works."""
    async with connect(launch(shout_app())) as wire:
        await wire.write(request("/", {"Host": wire.host, "Connection": "keep-alive"}))
        page = await wire.head()
        await wire.body(page)
        await wire.upgrade()
        welcome = await wire.hello()

    assert page.status == 200
    assert welcome["type"] == "welcome"


async def test_the_page_is_served_over_plain_http(launch: Apps) -> None:
    """A GET of / answers 200 with the HTML page."""
    async with connect(launch(shout_app())) as wire:
        await wire.write(request("/", {"Host": wire.host, "Connection": "close"}))
        head = await wire.head()
        body = await wire.body(head)

    assert head.status == 200
    assert head.headers["content-type"].startswith("text/html")
    assert body


async def test_a_plain_get_of_the_socket_path_is_refused(launch: Apps) -> None:
    """A GET of /ws without upgrade headers gets a 4xx; the connection ends cleanly.

    Either the server says it closes the connection and does, or the connection
    serves the next request.
    """
    async with connect(launch(shout_app())) as wire:
        await wire.write(request("/ws", {"Host": wire.host}))
        refused = await wire.head()
        await wire.body(refused)
        if refused.headers.get("connection", "").lower() == "close":
            assert await wire.eof()
        else:
            await wire.write(request("/", {"Host": wire.host, "Connection": "close"}))
            assert (await wire.head()).status == 200

    assert 400 <= refused.status < 500


async def test_a_message_in_many_one_byte_fragments_costs_its_size(
    launch: Apps,
) -> None:
    """100,000 fragments of one byte hold about 100 KB and make one message.

    Kept as an object each, they held about 4 MB; a ping between the
    fragments shows when the server has read them all.
    """
    message = pad_to(100_000, 5)
    stream = fragments(message, list(range(1, len(message))))
    last = len(stream) - len(frame(CONTINUATION, message[-1:]))
    async with socket_to(launch(shout_app())) as wire:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            await wire.write(stream[:last])
            await wire.write(frame(PING, b"read"))
            assert await wire.frame() == Frame(True, PONG, b"read")
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        await wire.write(stream[last:])
        [pong] = await wire.until(lambda m: m["type"] == "pong")

    assert held < 1_500_000
    assert pong == {"type": "pong", "ref": 5}


async def test_a_close_behind_unread_frames_ends_the_session_at_once(
    launch: Apps,
) -> None:
    """A client that stops reading, then says goodbye, gets its unload at once.

    The server's frames to it fill every buffer; the connection is cut
    rather than closed after them, which would wait until the peer read.
    """
    unloaded = threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        go = gr.Button("Go")

        def flood() -> Iterator[str]:
            for i in range(100_000):
                yield f"{i:08d}" * 20_000

        go.click(flood, None, out, api_name="flood")
        demo.unload(unloaded.set)

    async with socket_to(launch(demo)) as wire:
        await wire.write(text({"type": "call", "api_name": "flood", "inputs": []}))
        await asyncio.sleep(1.0)
        await wire.write(close_frame(1000))
        closed = time.monotonic()
        assert await asyncio.to_thread(unloaded.wait, TIMEOUT)

    assert time.monotonic() - closed < 2.0


@pytest.mark.parametrize(
    "line_ends",
    [
        pytest.param(lambda head: head.replace(b"\r\n", b"\n"), id="bare-lf"),
        pytest.param(
            lambda head: head[:-4].replace(b"\r\n", b"\n") + b"\n\r\n",
            id="lf-then-crlf",
        ),
        pytest.param(lambda head: head.replace(b"\r\n", b"\r"), id="bare-cr"),
    ],
)
async def test_a_head_with_stray_line_ends_is_refused(
    launch: Apps, line_ends: Callable[[bytes], bytes]
) -> None:
    """An upgrade head whose lines do not end in CRLF gets aiohttp's 400 at once."""
    async with connect(launch(shout_app())) as wire:
        lines = request("/ws", upgrade_headers(wire.host, new_key()))
        await wire.write(line_ends(lines))
        head = await wire.head()

    assert head.status == 400


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /ws HTTP/1.1\r\nHost: x\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n"],
    ids=["nothing", "half-a-socket-head", "half-a-page-head"],
)
async def test_a_connection_without_a_whole_head_in_time_is_closed(
    launch: Apps, monkeypatch: pytest.MonkeyPatch, sent: bytes
) -> None:
    """A connection that sends no whole request head in time is closed, not held."""
    monkeypatch.setattr(_handshake, "HEAD_TIMEOUT", 0.3)
    async with connect(launch(shout_app())) as wire:
        if sent:
            await wire.write(sent)
        opened = time.monotonic()
        ended = await wire.eof()

    assert ended
    assert 0.2 < time.monotonic() - opened < TIMEOUT


async def test_a_bad_answer_to_the_servers_close_still_ends_the_connection(
    launch: Apps,
) -> None:
    """The peer's reply to the server's close ends the connection, valid or not."""
    async with socket_to(launch(shout_app())) as wire:
        await wire.write(frame(TEXT, b"{}", mask=False))
        code = (await wire.frame()).close_code
        await wire.write(frame(CLOSE, b"\x03"))
        answered = time.monotonic()
        ended = await wire.eof()

    assert code == 1002
    assert ended
    assert time.monotonic() - answered < 2.0


def fragments(payload: bytes, cuts: list[int]) -> bytes:
    """``payload`` as one text message in fragments ending at ``cuts``."""
    ends = [*sorted({cut for cut in cuts if 0 < cut < len(payload)}), len(payload)]
    frames, start = [], 0
    for index, end in enumerate(ends):
        opcode = TEXT if index == 0 else CONTINUATION
        frames.append(frame(opcode, payload[start:end], fin=end == len(payload)))
        start = end
    return b"".join(frames)


def pad_to(size: int, ref: int) -> bytes:
    """A ``ping`` message of about ``size`` bytes of JSON."""
    return orjson.dumps({"type": "ping", "ref": ref, "pad": "x" * size})


@given(
    sizes=st.lists(
        st.one_of(st.integers(0, 300), st.integers(65_400, 66_000)),
        min_size=1,
        max_size=5,
    ),
    data=st.data(),
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_fragmenting_and_any_split_of_the_bytes_gives_the_same_messages(
    launch: Apps, sizes: list[int], data: st.DataObject
) -> None:
    """Messages of every length form, fragmented and cut anywhere, all arrive.

    Each message is a ``ping`` answered by a ``pong`` with its ref, so the
    answers show that every message arrived whole, once, and in order.
    """
    if launch not in SERVED:
        SERVED[launch] = launch(shout_app())
    stream = b"".join(
        fragments(
            pad_to(size, ref),
            data.draw(st.lists(st.integers(1, size + 20), max_size=4), label="cuts"),
        )
        for ref, size in enumerate(sizes, start=1)
    )
    cuts = data.draw(
        st.lists(st.integers(1, len(stream) - 1), max_size=8), label="split"
    )

    refs = asyncio.run(
        _pongs_for(SERVED[launch], stream, sorted(set(cuts)), len(sizes))
    )

    assert refs == list(range(1, len(sizes) + 1))


#: The app each ``launch`` fixture serves for the property test above.
SERVED: Final[dict[Apps, str]] = {}


async def _pongs_for(url: str, stream: bytes, cuts: list[int], count: int) -> list[int]:
    """Send ``stream`` in writes ending at ``cuts``; the refs of ``count`` pongs."""
    async with socket_to(url) as wire:
        start = 0
        for end in [*cuts, len(stream)]:
            await wire.write(stream[start:end])
            start = end
        pongs = await wire.until(lambda m: m["type"] == "pong" and m["ref"] == count)
    return [m["ref"] for m in pongs if m["type"] == "pong"]


async def test_stop_then_run_written_at_once_runs_again(launch: Apps) -> None:
    """Stop (cancels=) and Run in one write: the new run is admitted and runs.

    Both are handled in one read, before the cancelled call's thread has
    returned: the cancelled event ends at once, so ``trigger_mode="once"``
    does not refuse the new trigger as ``pending``.
    """
    release = threading.Event()
    runs: list[int] = []
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run, stop = gr.Button("Run"), gr.Button("Stop")

        def work() -> str:
            runs.append(len(runs) + 1)
            if len(runs) == 1:
                release.wait(TIMEOUT)
            return f"run {len(runs)}"

        working = run.click(work, None, out)
        stop.click(None, None, None, cancels=[working])

    async with socket_to(launch(demo)) as wire:
        await wire.write(click(run, 1))
        await wait_until(lambda: runs == [1])
        await wire.write(click(stop, 2) + click(run, 3))
        received = await wire.until(lambda m: m["type"] == "end" and m["ref"] == 3)
        release.set()

    assert sorted((m["ref"], m["outcome"]) for m in received if m["type"] == "end") == [
        (1, "cancelled"),
        (2, "done"),
        (3, "done"),
    ]
    assert [out.id, "value", "run 2"] in [
        change for m in received if m["type"] == "update" for change in m["changes"]
    ]


async def test_an_async_run_stopped_as_it_starts_leaves_no_unawaited_coroutine(
    launch: Apps, recwarn: pytest.WarningsRecorder
) -> None:
    """Run and Stop in one write: the run ends cancelled, and Python has no warning.

    Its coroutine was made when the run started; its task was cancelled
    before its first step, so nothing else would close it.
    """

    async def work() -> str:
        await asyncio.sleep(0)
        return "worked"

    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run, stop = gr.Button("Run"), gr.Button("Stop")
        working = run.click(work, None, out, trigger_mode="multiple")
        stop.click(None, None, None, cancels=[working])

    async with socket_to(launch(demo)) as wire:
        await wire.write(click(run, 1) + click(stop, 2))
        received = await wire.until(lambda m: m["type"] == "end" and m["ref"] == 2)
    gc.collect()

    assert ("end", 1, "cancelled") in [
        (m["type"], m.get("ref"), m.get("outcome")) for m in received
    ]
    unawaited = [w for w in recwarn if "was never awaited" in str(w.message)]
    assert unawaited == []
