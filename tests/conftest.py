"""Fixtures shared by the tests: apps served on 127.0.0.1 and raw sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Final

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

import reactive_blocks as gr
from reactive_blocks.protocol import PROTOCOL_VERSION, decode_frame, encode_frame

#: Seconds any single wait may take before a test fails; generous for a
#: loaded two-core machine, never spent when the code under test is right.
TIMEOUT: Final = 10.0

Message = dict[str, Any]


class Apps:
    """Launches apps on 127.0.0.1 with a free port and closes them all after."""

    def __init__(self) -> None:
        self._launched: list[gr.Blocks] = []

    def __call__(self, demo: gr.Blocks, **options: Any) -> str:
        """Serve ``demo`` and return its URL; ``options`` go to ``launch()``."""
        demo.launch(
            prevent_thread_lock=True,
            server_name="127.0.0.1",
            server_port=0,
            quiet=True,
            **options,
        )
        self._launched.append(demo)
        assert demo.local_url is not None
        return demo.local_url

    def close_all(self) -> None:
        for demo in self._launched:
            demo.close()


class RawSocket:
    """A WebSocket speaking the protocol by hand, for raw-protocol tests."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.welcome: Message = {}
        self._refs = 1000
        self._unread: list[Message] = []

    async def send(self, message: Message | str | bytes) -> None:
        """Send a message as JSON, or a text or binary frame exactly as given."""
        if isinstance(message, dict):
            data, binary = encode_frame(message)
            await self.connection.send(data if binary else data.decode())
        else:
            await self.connection.send(message)

    async def receive(self) -> list[Message]:
        """The messages of the next frame from the server.

        Messages that ``receive_until`` left unread in a frame come first,
        as a frame of their own.
        """
        if self._unread:
            unread, self._unread = self._unread, []
            return unread
        data = await asyncio.wait_for(self.connection.recv(), TIMEOUT)
        frame = decode_frame(data, isinstance(data, bytes))
        assert isinstance(frame, list), f"server frames are arrays, got {frame!r}"
        return frame

    async def receive_until(self, done: Callable[[Message], bool]) -> list[Message]:
        """Every message up to and including the first for which ``done`` holds."""
        received: list[Message] = []
        while True:
            frame = await self.receive()
            for index, message in enumerate(frame):
                received.append(message)
                if done(message):
                    self._unread = frame[index + 1 :]
                    return received

    async def ping(self) -> list[Message]:
        """Ping and return what the server sent before its pong."""
        self._refs += 1
        ref = self._refs
        await self.send({"type": "ping", "ref": ref})
        received = await self.receive_until(
            lambda m: m["type"] == "pong" and m["ref"] == ref
        )
        return received[:-1]

    async def hello(self, protocol: int = PROTOCOL_VERSION) -> Message:
        """Say hello and return the server's first message."""
        await self.send({"type": "hello", "protocol": protocol})
        first = (await self.receive())[0]
        if first["type"] == "welcome":
            self.welcome = first
        return first

    def component(self, label: str) -> int:
        """The id of the block labelled ``label`` in the welcome's config."""
        found = [
            int(key)
            for key, block in self.welcome["config"]["blocks"].items()
            if block["props"].get("label") == label
        ]
        assert len(found) == 1, f"{len(found)} blocks labelled {label!r}"
        return found[0]

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        self.connection.transport.abort()

    async def close(self) -> None:
        await self.connection.close()


class Sockets:
    """Opens raw sockets to served apps and closes them all after the test."""

    def __init__(self) -> None:
        self._open: list[RawSocket] = []

    async def connect(self, url: str) -> RawSocket:
        """A socket to the app at ``url`` that has not said hello yet."""
        connection = await websockets.connect(
            url.replace("http://", "ws://").rstrip("/") + "/ws",
            compression=None,
            open_timeout=TIMEOUT,
            max_size=64 * 1024 * 1024,  # a big image output, whole
        )
        sock = RawSocket(connection)
        self._open.append(sock)
        return sock

    async def open(self, url: str) -> tuple[RawSocket, Message]:
        """A socket that said hello, and the server's welcome."""
        sock = await self.connect(url)
        welcome = await sock.hello()
        assert welcome["type"] == "welcome", welcome
        return sock, welcome

    async def close_all(self) -> None:
        for sock in self._open:
            await sock.close()


@pytest.fixture
def launch() -> Iterator[Apps]:
    """Serve apps on 127.0.0.1 and a free port; every one is closed after."""
    apps = Apps()
    yield apps
    apps.close_all()


@pytest.fixture
async def sockets(launch: Apps) -> AsyncIterator[Sockets]:
    """Open raw sockets; closed after the test, before its apps stop."""
    opened = Sockets()
    yield opened
    await opened.close_all()
