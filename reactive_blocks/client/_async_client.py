"""The asyncio Python client: one socket, the same protocol as the page."""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from reactive_blocks.client._connection import Connection, SessionExpired
from reactive_blocks.errors import EventError, ProtocolError
from reactive_blocks.log import client_logger as log
from reactive_blocks.protocol import (
    Blob,
    apply_edits,
)


def handle_file(path: str | Path) -> Blob:
    """Read a file to pass as an input, e.g. to an ``Image``."""
    path = Path(path)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Blob(path.read_bytes(), mime)


class AsyncClient:
    """Drive an app from asyncio code over one WebSocket, as a tab would.

    The client keeps a mirror of the session's values, updated by the
    server's ``update`` messages.

    Example:
        >>> async with AsyncClient("http://127.0.0.1:7860/") as client:
        ...     print(await client.predict("Abubakar", api_name="/welcome"))

    Args:
        url: The app's URL, as printed by ``launch()``.
        headers: Extra HTTP headers for the socket's handshake (a login cookie).
        reconnect_timeout: Seconds to keep trying to resume the session after
            a connection is lost without a close frame.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        reconnect_timeout: float = 120.0,
    ) -> None:
        self.url = url
        self.headers = headers or {}
        self.session: str | None = None
        self.config: dict[str, Any] = {}
        self.values: dict[int, Any] = {}
        self.props: dict[int, dict[str, Any]] = {}
        self.errors: list[dict[str, Any]] = []
        self.stream_ends: list[dict[str, Any]] = []
        self._conn: Connection | None = None
        self._held: dict[int, int] = {}
        self.reconnect_timeout = reconnect_timeout
        self._reader: asyncio.Task[None] | None = None
        self._failure: ConnectionError | None = None
        self._refs = itertools.count(1)
        self._waiters: dict[int, asyncio.Future[Any]] = {}
        self._open_events: dict[int, Any] = {}
        self._quiet = asyncio.Event()
        self._quiet.set()

    async def __aenter__(self) -> AsyncClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the socket, say hello, and read the app's config."""
        self._failure = None
        self._conn = Connection(
            _socket_url(self.url),
            self.headers,
            self._handle_frame,
            reconnect_timeout=self.reconnect_timeout,
        )
        first_frame = await self._conn.open()
        welcome = first_frame[0]
        self.session = welcome["session"]
        self.config = welcome["config"]
        for key, block in self.config["blocks"].items():
            self.props[int(key)] = dict(block["props"])
            if "value" in block["props"]:
                self.values[int(key)] = block["props"]["value"]
        # The welcome's frame also carries the start of the load listeners'
        # runs; settle() must know of them to wait for their outputs.
        self._handle_frame(first_frame[1:])
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    async def close(self) -> None:
        """Close the socket cleanly; the server ends the session."""
        if self._conn is not None:
            await self._conn.close()
        if self._reader is not None:
            # Waited for, not awaited: the reader's own end (an error, or the
            # session gone) is no failure of close(), and a close() that is
            # itself cancelled must raise, not swallow, its cancellation.
            await asyncio.wait([self._reader])
            if not self._reader.cancelled():
                self._reader.exception()  # marked seen: its calls were failed by it

    @property
    def resumes(self) -> int:
        """How many times the session was resumed after a lost connection."""
        return self._conn.resumes if self._conn is not None else 0

    def drop_connection(self) -> None:
        """Cut the TCP connection without a close frame (for testing resumes)."""
        if self._conn is not None:
            self._conn.abort()

    # -- finding things --------------------------------------------------------

    def component(
        self,
        *,
        label: str | None = None,
        elem_id: str | None = None,
        kind: str | None = None,
        value: Any = None,
    ) -> int:
        """The id of the one block matching every given criterion.

        ``value`` finds a button by its caption.
        """
        criteria = {"label": label, "elem_id": elem_id, "value": value}
        found = [
            int(key)
            for key, block in self.config["blocks"].items()
            if (kind is None or block["type"] == kind)
            and all(
                v is None or block["props"].get(k) == v for k, v in criteria.items()
            )
        ]
        if len(found) != 1:
            raise LookupError(f"{len(found)} blocks match {criteria}, kind={kind!r}")
        return found[0]

    # -- acting -------------------------------------------------------------------

    async def predict(
        self, *inputs: Any, api_name: str | None = None, listener: int | None = None
    ) -> Any:
        """Run a listener with these inputs and return its outputs.

        One output is returned as is, several as a tuple, like gradio_client.

        Raises:
            EventError: the run ended with an error, was cancelled or refused.
            ProtocolError: the server could not use the request.
        """
        message: dict[str, Any] = {"type": "call", "inputs": [_wire(v) for v in inputs]}
        if api_name is not None:
            message["api_name"] = api_name
        elif listener is not None:
            message["listener"] = listener
        else:
            raise ValueError("predict() needs api_name= or listener=")

        end = await self._request(message)
        if end["outcome"] != "done":
            raise EventError(end["outcome"], end.get("message", ""))
        outputs = end.get("outputs", [])
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    async def set(self, block_id: int, value: Any) -> None:
        """Edit a value as a user would; listeners it fires run on the server.

        Until the server has seen the edit, values it sends for that
        component were computed before it and are not applied to
        ``values``: the server keeps the newer edit too.
        """
        self.values[block_id] = value
        await self._send({"type": "set", "id": block_id, "value": _wire(value)})
        ref = next(self._refs)
        self._held[block_id] = ref
        await self._send({"type": "ping", "ref": ref})

    async def stream(self, block_id: int, frame: Any) -> None:
        """Send one frame of a streaming input, as a recording webcam would.

        The server stores the frame without firing ``change`` and runs the
        component's ``stream`` listeners on the newest frame, at most once per
        ``stream_every`` seconds, so frames may be sent at any pace. A stream
        starts with its first frame; once its ``time_limit`` is over the
        server appends a ``stream_end`` message to ``stream_ends`` and refuses
        frames (``errors``) until ``stop_stream``.

        Args:
            block_id: A component declared with ``streaming=True``.
            frame: A numpy array, PIL image, path, or encoded image bytes.
        """
        await self._send({"type": "stream", "id": block_id, "value": _wire(frame)})

    async def stop_stream(self, block_id: int) -> None:
        """End the component's stream; the next frame starts a new one."""
        await self._send({"type": "stream_stop", "id": block_id})

    async def sync(self, timeout: float = 30.0) -> None:
        """Wait until the server has handled every message sent so far."""
        await self._request({"type": "ping"}, timeout=timeout)

    async def trigger(self, block_id: int, event: str) -> None:
        """Fire ``event`` on a block, as a click or Enter would."""
        await self._send(
            {"type": "trigger", "id": block_id, "event": event, "ref": next(self._refs)}
        )

    async def settle(self, timeout: float = 30.0) -> None:
        """Wait until the server handled everything sent and no run is open."""
        await self._request({"type": "ping"}, timeout=timeout)
        # One frame may end a run and start its followers: the wait wakes for
        # the end, so look again before taking the session as quiet.
        while True:
            await asyncio.wait_for(self._quiet.wait(), timeout)
            if self._quiet.is_set():
                return

    # -- the socket ---------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._conn is not None, "connect() first"
        await self._conn.send(message)

    async def _request(
        self, message: dict[str, Any], timeout: float | None = None
    ) -> Any:
        if self._failure is not None:
            raise self._failure  # nothing would ever answer
        ref = next(self._refs)
        message["ref"] = ref
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[ref] = future
        try:
            await self._send(message)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.pop(ref, None)

    def _handle_frame(self, frame: list[dict[str, Any]]) -> None:
        for message in frame:
            self._handle(message)

    async def _read_loop(self) -> None:
        assert self._conn is not None
        try:
            await self._conn.run()
        finally:
            self._failure = failure = (
                SessionExpired("the server ended the session")
                if self._conn.expired
                else ConnectionError("the connection closed")
            )
            for future in self._waiters.values():
                if not future.done():
                    future.set_exception(failure)
            self._open_events.clear()
            self._quiet.set()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "update":
            for change in message["changes"]:
                self._apply(change)
        elif kind == "event":
            self._open_events[message["event"]] = message.get("ref")
            self._quiet.clear()
        elif kind == "end":
            self._open_events.pop(message["event"], None)
            self._resolve(message.get("ref"), message)
            if not self._open_events:
                self._quiet.set()
        elif kind == "pong":
            ref = message.get("ref")
            self._resolve(ref, message)
            for block_id in [k for k, held in self._held.items() if held == ref]:
                del self._held[block_id]
        elif kind == "stream_end":
            self.stream_ends.append(message)
        elif kind == "ack" and self._conn is not None:
            self._conn.confirmed(message["received"])
        elif kind == "error":
            self.errors.append(message)
            log.debug("server error: %s", message)
            waiter = self._waiters.get(message.get("ref"))  # type: ignore[arg-type]
            if waiter is not None and not waiter.done():
                waiter.set_exception(ProtocolError(message["code"], message["message"]))

    def _apply(self, change: list[Any]) -> None:
        block_id, prop, value = change[0], change[1], change[2]
        if prop == "value" and block_id in self._held:
            return  # computed before the server saw our newer edit
        current = (
            self.values.get(block_id)
            if prop == "value"
            else self.props[block_id].get(prop)
        )
        if len(change) == 4 and change[3] == "append":
            value = (current or "") + value
        elif len(change) == 4 and change[3] == "edit":
            value = apply_edits(current, value, in_place=True)
        if prop == "value":
            self.values[block_id] = value
        self.props.setdefault(block_id, {})[prop] = value

    def _resolve(self, ref: Any, message: dict[str, Any]) -> None:
        future = self._waiters.get(ref)
        if future is not None and not future.done():
            future.set_result(message)


def _socket_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/") + "/ws"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def _wire(value: Any) -> Any:
    """Inputs as the protocol carries them: paths and arrays of images as blobs."""
    if isinstance(value, Path):
        return handle_file(value)
    if isinstance(value, bytes):
        return Blob(value, "application/octet-stream")
    if type(value).__module__.startswith(("numpy", "PIL")):
        import io

        import numpy as np
        import PIL.Image

        image = PIL.Image.fromarray(value) if isinstance(value, np.ndarray) else value
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return Blob(buffer.getvalue(), "image/png")
    return value
