"""A WebSocket (RFC 6455, server side) as an asyncio protocol: frames in and out.

aiohttp's WebSocket keeps, for every connection, a request handler with its
task, the parsed request, a reader queue and a writer: about 14 KiB of an
idle socket, and a task wake for every message read. This one is a single
object on the transport. Frames are parsed in ``data_received`` and each
whole message is handed to its ``Receiver`` at once, on the same call; a
frame is written with one ``transport.write``. It measured 7 KiB less per
idle session, and about a third less CPU per message (benchmarks/README.md).

What it speaks: text and binary messages, fragmented or not, masked as
clients must; ping, pong and the closing handshake. It offers no
extensions (no compression) and no subprotocols, as the server asks for
neither. A protocol error closes the socket with 1002, a message over
``max_message`` with 1009.
"""

from __future__ import annotations

import asyncio
from typing import Final, Protocol

try:
    from websockets.speedups import apply_mask
except ImportError:  # the C extension is missing on some platforms
    from websockets.utils import apply_mask

from reactive_blocks.log import transport_logger as log

OP_CONTINUATION: Final = 0x0
OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_CLOSE: Final = 0x8
OP_PING: Final = 0x9
OP_PONG: Final = 0xA

CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_PROTOCOL_ERROR: Final = 1002
CLOSE_NO_STATUS: Final = 1005
CLOSE_ABNORMAL: Final = 1006
CLOSE_POLICY: Final = 1008
CLOSE_BAD_DATA: Final = 1007
CLOSE_TOO_BIG: Final = 1009

#: Seconds to wait for the peer's close frame after sending ours.
CLOSE_TIMEOUT: Final = 5.0

#: Frames up to this size are joined to their header before writing: one
#: copy is cheaper than a second write call for small frames.
_JOIN_BELOW: Final = 16 * 1024

#: Sweeps of the heartbeat (every half heartbeat) with nothing heard after
#: which a peer is gone: it was silent for 1 to 1.5 heartbeats.
_SILENT_SWEEPS: Final = 2


class Receiver(Protocol):
    """Where a socket's messages go."""

    def on_message(self, data: bytes, binary: bool) -> None:
        """One whole message, text (UTF-8 bytes, not yet checked) or binary."""

    def on_close(self) -> None:
        """The connection is gone; ``close_code`` says how it ended."""


class WebSocket(asyncio.Protocol):
    """One open WebSocket, after the handshake.

    Attributes:
        close_code: None while open and when the connection was lost
            without a close frame; else the code of the close frame that
            ended it (the peer's, or ours when we closed first).
        too_big: Whether the socket closed on a message over the limit.
        heard: Whether anything arrived since the last heartbeat sweep.
    """

    __slots__ = (
        "_buffer",
        "_close_timer",
        "_closed",
        "_closing",
        "_drained",
        "_max_message",
        "_parts",
        "_parts_binary",
        "_paused",
        "_reading_paused",
        "_silent",
        "_skip",
        "close_code",
        "heard",
        "receiver",
        "too_big",
        "transport",
    )

    def __init__(self, transport: asyncio.Transport, max_message: int) -> None:
        self.transport: asyncio.Transport | None = transport
        self.receiver: Receiver | None = None
        self.close_code: int | None = None
        self.too_big = False
        self.heard = True
        self._silent = 0
        self._max_message = max_message
        self._buffer: bytearray | None = None
        self._skip = 0
        # A fragmented message so far: one buffer, so that a message in many
        # tiny fragments costs its size, not an object per fragment.
        self._parts: bytearray | None = None
        self._parts_binary = False
        self._closing = False
        self._close_timer: asyncio.TimerHandle | None = None
        self._paused = False
        self._reading_paused = False
        self._drained: asyncio.Future[None] | None = None
        self._closed: asyncio.Future[None] | None = None

    # -- reading -------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self.heard = True
        if self._skip:
            if len(data) <= self._skip:
                self._skip -= len(data)
                return
            data = data[self._skip :]
            self._skip = 0

        buffer = self._buffer
        if buffer is None:
            used = self._read_frames(data)
            if used < len(data):
                self._buffer = bytearray(data[used:])
            return
        buffer += data
        used = self._read_frames(buffer)
        if used == len(buffer):
            self._buffer = None
        elif used:
            del buffer[:used]

    def _read_frames(self, data: bytes | bytearray) -> int:
        """Handle every whole frame in ``data``; return the bytes used.

        Bytes past the last whole frame are left for the next call, except
        that a data frame arriving while the socket closes is skipped as it
        comes, without being kept.
        """
        size = len(data)
        pos = 0
        while size - pos >= 2:
            first = data[pos]
            second = data[pos + 1]
            length = second & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                start = pos + 10

            opcode = first & 0x0F
            problem = self._problem(first, second, opcode, length)
            if problem is not None:
                if self._closing:
                    self.abort()
                    return size
                self._fail(*problem)
                if problem[0] != CLOSE_TOO_BIG:
                    return size  # what follows cannot be framed
            end = start + 4 + length
            if self._closing and opcode < OP_CLOSE:
                if end > size:
                    self._skip = end - size
                    return size
                pos = end
                continue

            if end > size:
                break
            payload = apply_mask(data[start + 4 : end], data[start : start + 4])
            pos = end
            self._handle(opcode, first & 0x80, payload)
            if opcode == OP_CLOSE and self._closing:
                return size  # the closing handshake is done; nothing follows
        return pos

    def _problem(
        self, first: int, second: int, opcode: int, length: int
    ) -> tuple[int, str] | None:
        """Why a frame header breaks the protocol or the size limit, if it does."""
        if first & 0x70:
            return CLOSE_PROTOCOL_ERROR, "reserved bits set, no extension was agreed"
        if not second & 0x80:
            return CLOSE_PROTOCOL_ERROR, "a client frame must be masked"
        if opcode >= OP_CLOSE:
            if opcode > OP_PONG:
                return CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}"
            if not first & 0x80 or length > 125:
                return (
                    CLOSE_PROTOCOL_ERROR,
                    "a control frame must be whole, ≤ 125 bytes",
                )
            return None
        if opcode > OP_BINARY:
            return CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}"
        if self._closing:
            return None  # skipped unread
        if (opcode == OP_CONTINUATION) == (self._parts is None):
            return CLOSE_PROTOCOL_ERROR, "a fragment out of order"
        if length + (len(self._parts) if self._parts else 0) > self._max_message:
            return CLOSE_TOO_BIG, f"a message over {self._max_message} bytes"
        return None

    def _handle(self, opcode: int, fin: int, payload: bytes) -> None:
        if opcode in (OP_TEXT, OP_BINARY):
            if fin:
                self._deliver(payload, opcode == OP_BINARY)
            else:
                self._parts = bytearray(payload)
                self._parts_binary = opcode == OP_BINARY
        elif opcode == OP_CONTINUATION:
            assert self._parts is not None
            self._parts += payload
            if fin:
                message = bytes(self._parts)
                self._parts = None
                self._deliver(message, self._parts_binary)
        elif opcode == OP_PING:
            self._write_frame(OP_PONG, payload)
        elif opcode == OP_CLOSE:
            self._close_received(payload)

    def _deliver(self, message: bytes, binary: bool) -> None:
        if self.receiver is not None:  # frames that come while closing never reach here
            self.receiver.on_message(message, binary)

    def _close_received(self, payload: bytes) -> None:
        """The peer's close frame: answer it (unless it answers ours), then hang up."""
        if self._closing:
            self._hang_up()  # the answer to ours, whatever it says
            return
        code = CLOSE_NO_STATUS
        if len(payload) == 1:
            self._fail(CLOSE_PROTOCOL_ERROR, "a close frame with a one-byte code")
            return
        if payload:
            code = int.from_bytes(payload[:2], "big")
            if not _valid_close_code(code):
                self._fail(CLOSE_PROTOCOL_ERROR, f"close code {code} is not allowed")
                return
            try:
                payload[2:].decode()
            except UnicodeDecodeError:
                self._fail(CLOSE_BAD_DATA, "a close reason that is not UTF-8")
                return

        self.close_code = code
        self._closing = True
        echo = CLOSE_NORMAL if code == CLOSE_NO_STATUS else code
        self._write_frame(OP_CLOSE, echo.to_bytes(2, "big"))
        self._hang_up()

    def _fail(self, code: int, reason: str) -> None:
        log.debug("socket closed with %s: %s", code, reason)
        if code == CLOSE_TOO_BIG:
            self.too_big = True
        self.close(code, reason.encode())

    # -- writing -------------------------------------------------------------

    @property
    def writable(self) -> bool:
        """Whether a message written now leaves without waiting for the peer."""
        return not (self._paused or self._closing or self.transport is None)

    def write(self, data: bytes, binary: bool) -> None:
        """Write one message now, unfragmented.

        Raises:
            ConnectionResetError: The socket is closing or closed.
        """
        if self._closing or self.transport is None:
            raise ConnectionResetError("the socket is closed")
        self._write_frame(OP_BINARY if binary else OP_TEXT, data)

    async def send(self, data: bytes, binary: bool) -> None:
        """Write one message, then wait while the peer is slow to read."""
        self.write(data, binary)
        if self._paused:
            await self._drain()

    def ping(self) -> None:
        if not self._closing:
            self._write_frame(OP_PING, b"")

    def _write_frame(self, opcode: int, data: bytes) -> None:
        transport = self.transport
        if transport is None:
            return
        size = len(data)
        if size < 126:
            head = bytes((0x80 | opcode, size))
        elif size < 65536:
            head = bytes((0x80 | opcode, 126)) + size.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 127)) + size.to_bytes(8, "big")
        if size < _JOIN_BELOW:
            transport.write(head + data)
        else:
            transport.writelines((head, data))

    def pause_reading(self) -> None:
        """Read nothing more from the peer: TCP holds it back.

        Meanwhile the heartbeat takes the peer as heard: its pongs wait
        unread with the rest.
        """
        self._reading_paused = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        self._reading_paused = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    async def _drain(self) -> None:
        if self.transport is None:
            raise ConnectionResetError("the socket is closed")
        if self._drained is None:
            self._drained = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._drained)

    # -- closing -------------------------------------------------------------

    def close(self, code: int = CLOSE_NORMAL, reason: bytes = b"") -> None:
        """Start the closing handshake: our close frame, then the peer's.

        Messages still arriving are dropped. The connection is cut when the
        peer answers, or after ``CLOSE_TIMEOUT`` if it does not.
        """
        if self._closing or self.transport is None:
            return
        self._closing = True
        self.close_code = code
        self._write_frame(OP_CLOSE, code.to_bytes(2, "big") + reason[:123])
        self._close_timer = asyncio.get_running_loop().call_later(
            CLOSE_TIMEOUT, self.abort
        )

    def abort(self) -> None:
        """Cut the connection at once, without a closing handshake."""
        if self.transport is not None:
            self.transport.abort()

    def _hang_up(self) -> None:
        """End the connection once the closing handshake is done.

        Frames still queued for a peer that has said goodbye would never be
        read: with any left, the connection is cut rather than closed after
        them, which could wait as long as the peer leaves them unread.
        """
        transport = self.transport
        if transport is None:
            return
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    def heartbeat(self, ping: bool) -> None:
        """One sweep of the server's heartbeat: ping, or cut a silent peer.

        A peer that sent nothing, not even a pong, through
        ``_SILENT_SWEEPS`` sweeps in a row is taken as gone: the connection
        is cut without a close frame, so its session waits to resume.
        """
        if self.heard or self._reading_paused:
            self.heard = False
            self._silent = 0
        else:
            self._silent += 1
            if self._silent >= _SILENT_SWEEPS:
                log.debug("socket silent through %s heartbeats; cut", self._silent)
                self.abort()
                return
        if ping:
            self.ping()

    async def wait_closed(self) -> None:
        if self.transport is None:
            return
        if self._closed is None:
            self._closed = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._closed)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._closing = True
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        for waiter in (self._drained, self._closed):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        self._drained = self._closed = None
        if self.receiver is not None:
            self.receiver.on_close()


def _valid_close_code(code: int) -> bool:
    """Whether a peer may send ``code`` in a close frame (RFC 6455, 7.4)."""
    return code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011) or (
        3000 <= code <= 4999
    )
